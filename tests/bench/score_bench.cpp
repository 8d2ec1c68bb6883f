// Throughput of `vigil score` (score_csv_file: read, parse, score, write
// through a temporary file) against a plain read of the same file in the same
// run.
//
// Usage: score_bench [rows=1000000] [repetitions=3] [seed=1]
//
// Generates a seeded CSV series (5-minute samples, daily cycle, noise, a
// spike every 50,000 rows) in a temporary directory, then prints the best
// time of each and their ratio. The goal is 1M rows in under 2 s. Build with
// optimizations for meaningful figures.

#include "actors/detect/score_csv.hpp"
#include "support/process.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

int main(int argc, char** argv) {
  size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  vigil::test::temp_dir dir;
  auto in = dir.file("series.csv");
  {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0, 3);
    auto* f = std::fopen(in.c_str(), "w");
    std::fputs("timestamp,value\n", f);
    const int64_t start = 1'396'310'400; // 2014-04-01 00:00:00 UTC
    for (size_t i = 0; i < rows; ++i) {
      time_t t = static_cast<time_t>(start + static_cast<int64_t>(i) * 300);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char ts[32];
      std::strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
      double v = 100 + 30 * std::sin(2 * M_PI * double(i % 288) / 288.0)
                 + noise(rng) + (i % 50'000 == 49'999 ? 60 : 0);
      std::fprintf(f, "%s,%.3f\n", ts, v);
    }
    std::fclose(f);
  }
  using clock = std::chrono::steady_clock;
  double best_read = 1e9;
  double best_score = 1e9;
  size_t lines = 0;
  for (int r = 0; r < reps; ++r) {
    auto t0 = clock::now();
    auto text = vigil::test::read_file(in);
    lines = 0;
    for (char c : text)
      lines += c == '\n' ? 1 : 0;
    auto t1 = clock::now();
    auto result = vigil::score_csv_file(in, dir.file("scored.csv"), {});
    auto t2 = clock::now();
    if (result.exit_code != 0) {
      std::fprintf(stderr, "score failed: %s\n", result.error.c_str());
      return 1;
    }
    best_read
        = std::min(best_read, std::chrono::duration<double>(t1 - t0).count());
    best_score
        = std::min(best_score, std::chrono::duration<double>(t2 - t1).count());
  }
  std::printf("rows %zu (lines %zu)\nplain read + line count  %.3f s\n"
              "vigil score (in process) %.3f s  (%.0f rows/s)\n"
              "ratio score / read       %.1f\n"
              "goal: 1M rows under 2 s: %s\n",
              rows, lines, best_read, best_score, double(rows) / best_score,
              best_score / best_read,
              best_score * 1e6 / double(rows) < 2.0 ? "met" : "MISSED");
  return 0;
}
