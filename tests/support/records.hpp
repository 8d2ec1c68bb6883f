#pragma once

// Record batches for unit tests of the ingest stage, as kafka_source packs
// them: payloads back to back in one buffer, with their end positions.

#include <cstdint>
#include <string>
#include <vector>

#include "actors/ingest/partition_processor.hpp"

namespace vigil::test {

/// One record batch of `payloads` at consecutive offsets from `first_offset`.
inline record_batch make_batch(int64_t first_offset,
                               const std::vector<std::string>& payloads) {
  record_batch b;
  auto offset = first_offset;
  for (const auto& p : payloads) {
    b.offsets.push_back(offset++);
    b.bytes += p;
    b.ends.push_back(static_cast<uint32_t>(b.bytes.size()));
  }
  return b;
}

/// Processor settings of the tests: 10 s windows, 5 s lateness.
inline partition_processor_config processor_settings() {
  partition_processor_config s;
  s.window_ms = 10'000;
  s.lateness_ms = 5'000;
  return s;
}

} // namespace vigil::test
