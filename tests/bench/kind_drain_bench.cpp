// Benchmark: a drain of 1M trades over 1,000 symbols (one-minute candles),
// checked exact against the truth computed from the produced text, timed
// against a raw librdkafka consumer of the same topic in the same
// invocation (the machine is shared and noisy; the ratio is what compares
// between runs).
//
//   kind_drain_bench [trades] [symbols] [partitions]
//   (defaults: 1000000 1000 64; the embedded broker keeps about 5 MiB per
//   partition, so keep trades / partitions under about 40,000)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "actors/generator/trade_generator.hpp"
#include "support/kind_stream.hpp"
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
  uint64_t trades = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  size_t symbols = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000;
  int32_t partitions = argc > 3 ? std::atoi(argv[3]) : 64;
  trade_config tc;
  tc.symbols = symbols;
  tc.rate = 2000;
  tc.start_ms = 1'790'000'000'000;
  tc.malformed_every = 10'007;
  tc.seed = 20261206;
  trade_generator gen{tc};
  std::fprintf(stderr,
               "producing %llu trades of %zu symbols over %d "
               "partitions...\n",
               static_cast<unsigned long long>(trades), symbols, partitions);
  test::produced p;
  try {
    p = test::produce(gen, trades, partitions, "trades", {"symbol", "exchange"},
                      {"price", "size"}, "price", "size");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }

  auto t0 = std::chrono::steady_clock::now();
  auto raw = test::raw_consume(p.brokers, "trades", partitions);
  auto raw_s = seconds_since(t0);

  test::temp_dir dir;
  auto db = dir.file("trades.db");
  t0 = std::chrono::steady_clock::now();
  auto run = test::run_process(
      {test::vigil_binary(), "run", "--drain", "--kind", "trade", "--window",
       "1m", "--http-port", "0", "--brokers", p.brokers, "--topic", "trades",
       "--group", "vigil-bench", "--db", db},
      std::chrono::minutes(20));
  auto vigil_s = seconds_since(t0);
  if (run.status != 0) {
    std::fprintf(stderr, "vigil run --drain failed (%d): %s\n", run.status,
                 run.err.c_str());
    return 1;
  }
  std::string first;
  auto mismatches = test::compare_trade_candles(db, p.windows, first);
  auto raw_rate = static_cast<double>(raw) / raw_s;
  auto vigil_rate = static_cast<double>(trades) / vigil_s;
  std::printf("trades=%llu symbols=%zu partitions=%d candles=%zu "
              "rejected=%zu\n",
              static_cast<unsigned long long>(trades), symbols, partitions,
              p.windows.size(), p.dead.size());
  std::printf("raw librdkafka consume: %.2f s, %.0f events/s\n", raw_s,
              raw_rate);
  std::printf("vigil run --drain --kind trade: %.2f s, %.0f trades/s "
              "(process start to exit)\n",
              vigil_s, vigil_rate);
  std::printf("vigil %s", run.out.c_str());
  std::printf("ratio vigil/raw: %.2f\n", vigil_rate / raw_rate);
  std::printf("exact: %s (%zu candles differ%s%s)\n",
              mismatches == 0 ? "yes" : "NO", mismatches,
              first.empty() ? "" : "; first: ", first.c_str());
  return mismatches == 0 ? 0 : 1;
}
