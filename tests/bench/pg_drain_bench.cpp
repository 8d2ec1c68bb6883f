// Benchmark: vigil's drain into PostgreSQL against the same drain into
// SQLite, same topic, same invocation, reported as a ratio (goal: PostgreSQL
// at least 0.8 of SQLite's throughput). Then the two ways pg_store can write
// window rows, against each other: COPY into a staging table + INSERT ..
// ON CONFLICT, and multi-row INSERT .. VALUES .. ON CONFLICT.
//
// A drain's wall time is mostly the broker and the machine: on a shared
// 2-core machine the same drain into the same store varies 2-3x between
// rounds. So the drains alternate, and three figures are reported: the
// ratio of the best drain of each store, the median of the rounds' ratios,
// and the ratio of the time the two stores spent committing (the node's
// `store_seconds`: the store's own cost, independent of the read side).
//
//   pg_drain_bench [events] [partitions] [rounds]   (1000000 64 5)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "actors/generator/generator.hpp"
#include "actors/messages.hpp"
#include "actors/sink/pg_store.hpp"
#include "runtime/embedded_broker.hpp"
#include "support/pg_server.hpp"
#include "support/process.hpp"

using namespace vigil;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

/// One drain: its wall time and its store's commit time, seconds.
struct drain_time {
  double wall = -1;
  double store = -1;
};

/// Drains `topic` into `db` with a fresh consumer group (wall < 0: failed).
drain_time drain(const std::string& brokers, const std::string& db,
                 const std::string& group) {
  auto t0 = std::chrono::steady_clock::now();
  auto run = test::run_process(
      {test::vigil_binary(), "run", "--drain", "--http-port", "0", "--brokers",
       brokers, "--topic", "bench", "--group", group, "--db", db},
      std::chrono::minutes(20));
  auto s = seconds_since(t0);
  // The node's own summary line, for the record (its seconds count from the
  // node's start, without the process start and teardown).
  std::fprintf(stderr, "  %s: %.2f s; %s", db.substr(0, 12).c_str(), s,
               run.out.empty() ? "\n" : run.out.c_str());
  auto key = run.out.find(" store_seconds=");
  if (run.status != 0 || key == std::string::npos) {
    std::fprintf(stderr, "vigil run --drain --db %s failed (%d): %s\n",
                 db.c_str(), run.status, run.err.c_str());
    return {};
  }
  return {s, std::strtod(run.out.c_str() + key + 15, nullptr)};
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

/// Commits `commits` checkpoints of `rows` window rows each (half of them
/// updates of the previous commit's rows) with `mode`; seconds, or -1.
double write_rows(const std::string& url, pg_write_mode mode, int commits,
                  int rows) {
  auto store = pg_store::open(url, 3, mode);
  if (!store) {
    std::fprintf(stderr, "pg_store: %s\n", store.error().message.c_str());
    return -1;
  }
  auto t0 = std::chrono::steady_clock::now();
  for (int c = 0; c < commits; ++c) {
    result_batch batch;
    batch.checkpoint = static_cast<uint64_t>(c + 1);
    for (int r = 0; r < rows; ++r) {
      window_row row;
      row.service = "service-" + std::to_string(r % 64);
      row.window_start = 1'790'000'000'000
                         + int64_t{10'000} * (c * (rows / 64) / 2 + r / 64);
      row.window_end = row.window_start + 10'000;
      row.request_count = 100 + r;
      row.error_count = r % 7;
      row.error_rate = static_cast<double>(row.error_count) / 100.0;
      row.avg_latency_ms = 12.5 + r;
      row.p50_latency_ms = 10.25;
      row.p95_latency_ms = 45.125 + c;
      row.p99_latency_ms = 80.0;
      row.max_latency_ms = 120.0;
      batch.rows.push_back(std::move(row));
    }
    for (int32_t p = 0; p < 64; ++p)
      batch.offsets.push_back({p, int64_t{c} * 1000});
    batch.merger_state = std::string(4096, 'm');
    if (auto st = store->commit(batch, "bench", 1'790'000'000'000, {}); !st) {
      std::fprintf(stderr, "commit: %s\n", st.error().message.c_str());
      return -1;
    }
  }
  return seconds_since(t0);
}

} // namespace

int main(int argc, char** argv) {
  uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  int32_t partitions = argc > 2 ? std::atoi(argv[2]) : 64;
  int rounds = std::max(1, argc > 3 ? std::atoi(argv[3]) : 5);
  test::pg_server pg;
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
  // Alternating runs, best of each: the machine is shared and noisy.
  test::temp_dir dir;
  double sqlite_s = 1e300;
  double pg_s = 1e300;
  double sqlite_store = 0;
  double pg_store = 0;
  std::vector<double> ratios;
  for (int r = 0; r < rounds; ++r) {
    auto n = std::to_string(r);
    auto s = drain(brokers, dir.file("bench" + n + ".db"), "sqlite-" + n);
    pg.create_database("bench" + n);
    auto p = drain(brokers, pg.url("bench" + n), "pg-" + n);
    if (s.wall < 0 || p.wall < 0)
      return 1;
    std::fprintf(stderr,
                 "round %d: sqlite %.2f s (store %.3f s), postgresql %.2f s "
                 "(store %.3f s)\n",
                 r, s.wall, s.store, p.wall, p.store);
    sqlite_s = std::min(sqlite_s, s.wall);
    pg_s = std::min(pg_s, p.wall);
    sqlite_store += s.store;
    pg_store += p.store;
    ratios.push_back(s.wall / p.wall);
  }
  auto sqlite_rate = static_cast<double>(events) / sqlite_s;
  auto pg_rate = static_cast<double>(events) / pg_s;
  std::printf("events=%llu partitions=%d rounds=%d\n",
              static_cast<unsigned long long>(events), partitions, rounds);
  std::printf("drain into sqlite:     %.2f s  %.0f events/s (best)\n", sqlite_s,
              sqlite_rate);
  std::printf("drain into postgresql: %.2f s  %.0f events/s (best)\n", pg_s,
              pg_rate);
  std::printf("ratio postgresql/sqlite, best drains: %.2f (goal >= 0.8)\n",
              pg_rate / sqlite_rate);
  std::printf("ratio postgresql/sqlite, median of rounds: %.2f\n",
              median(ratios));
  std::printf("store commit time per drain: sqlite %.3f s, postgresql %.3f s; "
              "ratio of store throughput postgresql/sqlite: %.2f\n",
              sqlite_store / rounds, pg_store / rounds,
              pg_store > 0 ? sqlite_store / pg_store : 0.0);

  // Write modes of pg_store: 100 checkpoints of 5000 rows each.
  constexpr int commits = 100;
  constexpr int rows = 5000;
  double copy_s = 1e300;
  double values_s = 1e300;
  for (int r = 0; r < rounds; ++r) {
    auto n = std::to_string(r);
    pg.create_database("copy" + n);
    pg.create_database("values" + n);
    auto c = write_rows(pg.url("copy" + n), pg_write_mode::copy, commits, rows);
    auto v = write_rows(pg.url("values" + n), pg_write_mode::values, commits,
                        rows);
    if (c < 0 || v < 0)
      return 1;
    copy_s = std::min(copy_s, c);
    values_s = std::min(values_s, v);
  }
  auto total = static_cast<double>(commits) * rows;
  std::printf("pg_store COPY + INSERT .. SELECT:  %.2f s  %.0f rows/s\n",
              copy_s, total / copy_s);
  std::printf("pg_store multi-row INSERT VALUES: %.2f s  %.0f rows/s\n",
              values_s, total / values_s);
  std::printf("ratio copy/values: %.2f\n", values_s / copy_s);
  return 0;
}
