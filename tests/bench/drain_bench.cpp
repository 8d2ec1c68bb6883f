// Benchmark: vigil's drain throughput against a raw librdkafka consumer of the
// same topic, in the same invocation, reported as a ratio (the machine is
// shared and noisy; only the ratio is comparable between runs).
//
//   drain_bench [events] [partitions]      (defaults: 1000000 128)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "actors/generator/generator.hpp"
#include "runtime/embedded_broker.hpp"
#include "runtime/kafka.hpp"
#include "support/process.hpp"
#include "support/raw_consume.hpp"

using namespace vigil;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

} // namespace

int main(int argc, char** argv) {
  uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  int32_t partitions = argc > 2 ? std::atoi(argv[2]) : 128;
  broker_options bo;
  bo.topics.push_back({"bench", partitions});
  bo.topics.push_back({"bench.dlq", 1});
  auto broker = embedded_broker::start(bo);
  if (!broker) {
    std::fprintf(stderr, "broker: %s\n", broker.error().c_str());
    return 1;
  }
  auto brokers = broker.value().bootstrap();
  std::fprintf(stderr, "producing %llu events over %d partitions...\n",
               static_cast<unsigned long long>(events), partitions);
  generate_options gen;
  gen.brokers = brokers;
  gen.topic = "bench";
  gen.rate = 0;
  gen.nominal_rate = 5000;
  gen.count = events;
  gen.start_ms = 1'790'000'000'000;
  gen.verbose = false;
  gen.producer_config = {{"linger.ms", "100"}, {"batch.num.messages", "10000"}};
  std::atomic<bool> stop{false};
  generate_report report;
  if (run_generator(gen, stop, &report) != 0) {
    std::fprintf(stderr, "generator: %s\n", report.error.c_str());
    return 1;
  }

  auto t0 = std::chrono::steady_clock::now();
  auto raw = test::raw_consume(brokers, "bench", partitions);
  auto raw_s = seconds_since(t0);

  test::temp_dir dir;
  t0 = std::chrono::steady_clock::now();
  auto run = test::run_process({test::vigil_binary(), "run", "--drain",
                                "--http-port", "0", "--brokers", brokers,
                                "--topic", "bench", "--group", "vigil-bench",
                                "--db", dir.file("bench.db")},
                               std::chrono::minutes(20));
  auto vigil_s = seconds_since(t0);
  if (run.status != 0) {
    std::fprintf(stderr, "vigil run --drain failed (%d): %s\n", run.status,
                 run.err.c_str());
    return 1;
  }
  auto raw_rate = static_cast<double>(raw) / raw_s;
  auto vigil_rate = static_cast<double>(events) / vigil_s;
  std::printf("events=%llu partitions=%d\n",
              static_cast<unsigned long long>(events), partitions);
  std::printf("raw librdkafka consume: %.2f s, %.0f events/s\n", raw_s,
              raw_rate);
  std::printf("vigil run --drain:      %.2f s, %.0f events/s (process start "
              "to exit: parse, window, detect, SQLite commit)\n",
              vigil_s, vigil_rate);
  std::printf("vigil %s", run.out.c_str());
  std::printf("ratio vigil/raw: %.2f (target >= 0.8)\n", vigil_rate / raw_rate);
  return 0;
}
