// Benchmark: the cost of moving a partial DDSketch between nodes, in the
// wire form ingest nodes send (ddsketch's inspect: bucket counts packed as
// varint tokens into one byte string) against the same buckets written as
// CAF writes a std::vector<uint64_t> (8 bytes and a call per bucket, the
// form before the packing), same sketches, same invocation.
//
//   sketch_wire_bench [sketches] [values per sketch] [rounds]  (2000 150 20)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/ddsketch.hpp"

using vigil::ddsketch;

namespace {

using clock_type = std::chrono::steady_clock;

double micros(clock_type::time_point t0, clock_type::time_point t1) {
  return std::chrono::duration<double, std::micro>(t1 - t0).count();
}

/// The fields of a sketch in the unpacked form.
struct plain_form {
  double accuracy;
  uint32_t max_buckets;
  int32_t offset;
  std::vector<uint64_t> buckets;
  uint64_t zero_count;
  uint64_t count;
};

struct timing {
  double save_us = 1e300;
  double load_us = 1e300;
  size_t bytes = 0;
};

/// One round of one wire form: `save` writes every sketch to a serializer,
/// `load` reads them back from a deserializer (each false on an error);
/// keeps the best times in `t`.
template <class Save, class Load>
bool measure(timing& t, Save save, Load load) {
  std::vector<char> buf;
  auto t0 = clock_type::now();
  {
    caf::binary_serializer sink{nullptr, buf};
    if (!save(sink))
      return false;
  }
  auto t1 = clock_type::now();
  {
    caf::binary_deserializer source{nullptr, buf};
    if (!load(source))
      return false;
  }
  auto t2 = clock_type::now();
  t.save_us = std::min(t.save_us, micros(t0, t1));
  t.load_us = std::min(t.load_us, micros(t1, t2));
  t.bytes = buf.size();
  return true;
}

} // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000;
  int per = argc > 2 ? std::atoi(argv[2]) : 150;
  int rounds = argc > 3 ? std::atoi(argv[3]) : 20;
  // Latencies as the generator makes them: lognormal around 30 ms.
  std::mt19937_64 rng{7};
  std::lognormal_distribution<double> latency{3.4, 0.7};
  std::vector<ddsketch> sketches(n);
  size_t buckets = 0;
  for (auto& s : sketches) {
    for (int i = 0; i < per; ++i)
      s.add(latency(rng));
    buckets += s.buckets().size();
  }
  std::vector<plain_form> plain;
  for (auto& s : sketches)
    plain.push_back({s.relative_accuracy(), ddsketch::default_max_buckets,
                     s.offset(), s.buckets(), s.zero_count(), s.count()});
  timing packed;
  timing unpacked;
  uint64_t check = 0;
  // Alternating rounds, best of each: the machine is shared and noisy.
  for (int r = 0; r < rounds; ++r) {
    auto save_packed = [&](caf::binary_serializer& sink) {
      for (auto& sketch : sketches)
        if (sink(sketch))
          return false;
      return true;
    };
    auto load_packed = [&](caf::binary_deserializer& source) {
      for (size_t i = 0; i < n; ++i) {
        ddsketch x;
        if (source(x))
          return false;
        check += x.count();
      }
      return true;
    };
    auto save_plain = [&](caf::binary_serializer& sink) {
      for (auto& p : plain)
        if (sink(p.accuracy, p.max_buckets, p.offset, p.buckets, p.zero_count,
                 p.count))
          return false;
      return true;
    };
    auto load_plain = [&](caf::binary_deserializer& source) {
      for (size_t i = 0; i < n; ++i) {
        plain_form p;
        if (source(p.accuracy, p.max_buckets, p.offset, p.buckets, p.zero_count,
                   p.count))
          return false;
        ddsketch x;
        if (!x.restore(p.accuracy, p.offset, std::move(p.buckets),
                       p.zero_count))
          return false;
        check += x.count();
      }
      return true;
    };
    if (!measure(packed, save_packed, load_packed)
        || !measure(unpacked, save_plain, load_plain))
      return 1;
  }
  auto each = static_cast<double>(n);
  std::printf("sketches=%zu values_per_sketch=%d buckets_per_sketch=%.0f "
              "rounds=%d (check %llu)\n",
              n, per, static_cast<double>(buckets) / each, rounds,
              static_cast<unsigned long long>(check));
  std::printf("packed (vigil's wire form): %6.0f bytes  save %5.2f us  load "
              "%5.2f us per sketch\n",
              static_cast<double>(packed.bytes) / each, packed.save_us / each,
              packed.load_us / each);
  std::printf("vector of counts:           %6.0f bytes  save %5.2f us  load "
              "%5.2f us per sketch\n",
              static_cast<double>(unpacked.bytes) / each,
              unpacked.save_us / each, unpacked.load_us / each);
  std::printf(
      "ratios vector/packed: bytes %.1f  save %.1f  load %.1f\n",
      static_cast<double>(unpacked.bytes) / static_cast<double>(packed.bytes),
      unpacked.save_us / packed.save_us, unpacked.load_us / packed.load_us);
  return 0;
}
