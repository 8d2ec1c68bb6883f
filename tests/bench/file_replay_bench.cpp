// Benchmark: `vigil run --source file:` (the whole process: read, split,
// parse, window, detect, SQLite commit) against `wc -l` of the same file, in
// the same invocation, reported as events/s and as a ratio (the machine is
// shared and noisy; the ratio is the comparable number).
//
//   file_replay_bench [events] [partitions] [gz]
//       (defaults: 10000000 4; a third argument "gz" compresses the file)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "support/process.hpp"

using namespace vigil;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

} // namespace

int main(int argc, char** argv) {
  uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  std::string partitions = argc > 2 ? argv[2] : "4";
  bool gz = argc > 3 && std::string{argv[3]} == "gz";
  test::temp_dir dir;
  auto file = dir.file(gz ? "events.jsonl.gz" : "events.jsonl");
  std::fprintf(stderr, "writing %llu events to %s...\n",
               static_cast<unsigned long long>(events), file.c_str());
  auto t0 = std::chrono::steady_clock::now();
  auto gen = test::run_process({test::vigil_binary(), "generate", "--output",
                                file, "--rate", "0", "--nominal-rate", "5000",
                                "--count", std::to_string(events),
                                "--start-time", "1790000000000"},
                               std::chrono::minutes(30));
  if (gen.status != 0) {
    std::fprintf(stderr, "vigil generate failed (%d): %s\n", gen.status,
                 gen.err.c_str());
    return 1;
  }
  auto gen_s = seconds_since(t0);

  auto wc_bin = test::find_program("wc");
  t0 = std::chrono::steady_clock::now();
  auto wc
      = gz ? test::run_process(
            {test::find_program("sh"), "-c", "gzip -dc '" + file + "' | wc -l"},
            std::chrono::minutes(10))
           : test::run_process({wc_bin, "-l", file}, std::chrono::minutes(10));
  auto wc_s = seconds_since(t0);
  if (wc.status != 0) {
    std::fprintf(stderr, "wc -l failed: %s\n", wc.err.c_str());
    return 1;
  }

  t0 = std::chrono::steady_clock::now();
  auto run = test::run_process({test::vigil_binary(), "run", "--source",
                                "file:" + file, "--partitions", partitions,
                                "--http-port", "0", "--console-port", "0",
                                "--db", dir.file("bench.db")},
                               std::chrono::minutes(30));
  auto vigil_s = seconds_since(t0);
  if (run.status != 0) {
    std::fprintf(stderr, "vigil run --source file: failed (%d): %s\n",
                 run.status, run.err.c_str());
    return 1;
  }
  auto wc_rate = static_cast<double>(events) / wc_s;
  auto vigil_rate = static_cast<double>(events) / vigil_s;
  std::printf("events=%llu partitions=%s file=%s (generated in %.1f s)\n",
              static_cast<unsigned long long>(events), partitions.c_str(),
              gz ? "gzip" : "plain", gen_s);
  std::printf("%s:%*s%.2f s, %.0f events/s (%s lines)\n",
              gz ? "gzip -dc | wc -l" : "wc -l", gz ? 10 : 21, "", wc_s,
              wc_rate, wc.out.substr(0, wc.out.find_first_of(" \n")).c_str());
  std::printf("vigil run --source file: %.2f s, %.0f events/s (process start "
              "to exit: read, parse, window, detect, SQLite commit)\n",
              vigil_s, vigil_rate);
  std::printf("vigil %s", run.out.c_str());
  std::printf("ratio vigil/wc: %.3f; goal >= 2,000,000 events/s on 2 cores: "
              "%s\n",
              vigil_rate / wc_rate, vigil_rate >= 2e6 ? "met" : "not met");
  return 0;
}
