#pragma once

#include <cstdint>
#include <string>

namespace vigil::test {

/// Consumes the whole topic with a plain librdkafka consumer, one message at
/// a time and nothing else, every partition assigned from the beginning (no
/// group rebalance); returns the number of messages read. The reference run
/// of the drain benchmarks.
uint64_t raw_consume(const std::string& brokers, const std::string& topic,
                     int32_t partitions);

} // namespace vigil::test
