// Benchmark: a cluster (one store, 1 or 2 ingest nodes, separate processes on
// loopback) drains the same topic as a single node, in the same invocation.
// Reports wall time, events/s and CPU seconds per million events of every
// process, and the store's CPU as a fraction of the ingest nodes' (the
// per-event work stays on ingest nodes; only per-window partials reach the
// store). Ratios only: the machine is shared and noisy.
//
//   cluster_bench [events] [partitions]      (defaults: 1000000 32)

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "actors/generator/generator.hpp"
#include "runtime/embedded_broker.hpp"
#include "support/process.hpp"

using namespace vigil;

namespace {

/// A command run under bash, which prints the child's user and system CPU
/// seconds (`times`) as the last line of stderr.
std::vector<std::string> timed(const std::vector<std::string>& args) {
  std::string cmd;
  for (const auto& a : args)
    cmd += "'" + a + "' ";
  return {"/bin/bash", "-c", cmd + "; rc=$?; times >&2; exit $rc"};
}

/// The children's CPU seconds from bash's `times` output ("0m1.5s 0m0.2s"
/// on its second line).
double cpu_seconds(const std::string& err) {
  auto end = err.rfind('\n', err.size() - 2);
  auto line = err.substr(end == std::string::npos ? 0 : end + 1);
  double total = 0;
  std::istringstream in{line};
  std::string word;
  while (in >> word) {
    auto m = word.find('m');
    if (m == std::string::npos)
      continue;
    total += std::atof(word.substr(0, m).c_str()) * 60
             + std::atof(word.substr(m + 1).c_str());
  }
  return total;
}

struct measured {
  double wall = 0;
  double store_cpu = 0;
  std::vector<double> ingest_cpu;
  bool ok = false;
};

measured run_cluster(const std::string& brokers, int ingest_nodes,
                     const std::string& group) {
  test::temp_dir dir;
  auto port = std::to_string(test::free_loopback_port());
  std::vector<std::string> common{
      "--drain", "--http-port", "0",     "--console-port", "0",  "--brokers",
      brokers,   "--topic",     "bench", "--group",        group};
  auto store_args = std::vector<std::string>{
      test::vigil_binary(), "run", "--role", "store",
      "--cluster-port",     port,  "--db",   dir.file("bench.db")};
  store_args.insert(store_args.end(), common.begin(), common.end());
  auto t0 = std::chrono::steady_clock::now();
  test::background_process store{timed(store_args), dir.file("store.out"),
                                 dir.file("store.err")};
  std::vector<std::unique_ptr<test::background_process>> ingest;
  for (int i = 0; i < ingest_nodes; ++i) {
    auto args = std::vector<std::string>{test::vigil_binary(),
                                         "run",
                                         "--role",
                                         "ingest",
                                         "--store",
                                         "127.0.0.1:" + port,
                                         "--node-name",
                                         "ingest-" + std::to_string(i)};
    args.insert(args.end(), common.begin(), common.end());
    auto n = std::to_string(i);
    ingest.push_back(std::make_unique<test::background_process>(
        timed(args), dir.file("ingest" + n + ".out"),
        dir.file("ingest" + n + ".err")));
  }
  measured m;
  auto rc = store.wait(std::chrono::minutes(10));
  m.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
               .count();
  m.ok = rc == 0;
  m.store_cpu = cpu_seconds(test::read_file(dir.file("store.err")));
  for (int i = 0; i < ingest_nodes; ++i) {
    ingest[static_cast<size_t>(i)]->wait(std::chrono::seconds(60));
    m.ingest_cpu.push_back(cpu_seconds(
        test::read_file(dir.file("ingest" + std::to_string(i) + ".err"))));
  }
  if (!m.ok)
    std::fprintf(stderr, "store failed:\n%s\n%s\n",
                 test::read_file(dir.file("store.out")).c_str(),
                 test::read_file(dir.file("store.err")).c_str());
  return m;
}

/// CPU seconds of a store that runs `wall` seconds without any ingest node
/// (its fixed cost: scheduler, timers, checkpoints of nothing, HTTP), ended
/// with SIGTERM like an operator would.
double idle_store_cpu(const std::string& brokers, double wall) {
  test::temp_dir dir;
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.2f", wall);
  auto r = test::run_process(timed({"/usr/bin/timeout",
                                    "-s",
                                    "TERM",
                                    secs,
                                    test::vigil_binary(),
                                    "run",
                                    "--role",
                                    "store",
                                    "--cluster-port",
                                    std::to_string(test::free_loopback_port()),
                                    "--db",
                                    dir.file("idle.db"),
                                    "--http-port",
                                    "0",
                                    "--console-port",
                                    "0",
                                    "--brokers",
                                    brokers,
                                    "--topic",
                                    "bench",
                                    "--group",
                                    "bench-idle"}),
                             std::chrono::minutes(2));
  return cpu_seconds(r.err);
}

} // namespace

int main(int argc, char** argv) {
  uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  int32_t partitions = argc > 2 ? std::atoi(argv[2]) : 32;
  broker_options bo;
  bo.topics.push_back({"bench", partitions});
  bo.topics.push_back({"bench.dlq", 1});
  auto broker = embedded_broker::start(bo);
  if (!broker) {
    std::fprintf(stderr, "broker: %s\n", broker.error().c_str());
    return 1;
  }
  auto brokers = broker.value().bootstrap();
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
  auto per_m
      = [&](double cpu) { return cpu * 1e6 / static_cast<double>(events); };

  // Reference: one node with every role.
  test::temp_dir dir;
  auto t0 = std::chrono::steady_clock::now();
  auto single = test::run_process(
      timed({test::vigil_binary(), "run", "--drain", "--http-port", "0",
             "--console-port", "0", "--brokers", brokers, "--topic", "bench",
             "--group", "bench-single", "--db", dir.file("single.db")}),
      std::chrono::minutes(10));
  auto single_wall
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
  auto single_cpu = cpu_seconds(single.err);
  std::printf("events=%llu partitions=%d\n",
              static_cast<unsigned long long>(events), partitions);
  std::printf("single node (role all): %.2f s, %.0f events/s, %.2f CPU s per "
              "1M events\n",
              single_wall, static_cast<double>(events) / single_wall,
              per_m(single_cpu));
  int rc = single.status == 0 ? 0 : 1;
  double one_wall = 0;
  for (int n : {1, 2}) {
    auto m = run_cluster(brokers, n, "bench-cluster-" + std::to_string(n));
    if (!m.ok) {
      rc = 1;
      continue;
    }
    double ingest_total = 0;
    std::string each;
    for (auto c : m.ingest_cpu) {
      ingest_total += c;
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%s%.2f", each.empty() ? "" : ", ",
                    per_m(c));
      each += buf;
    }
    if (n == 1)
      one_wall = m.wall;
    std::printf("cluster, %d ingest node%s: %.2f s (incl. group joins), %.0f "
                "events/s; CPU s per 1M events: store %.2f, ingest %s; store "
                "/ ingest CPU = %.1f%%%s\n",
                n, n == 1 ? "" : "s", m.wall,
                static_cast<double>(events) / m.wall, per_m(m.store_cpu),
                each.c_str(),
                ingest_total > 0 ? 100.0 * m.store_cpu / ingest_total : 0.0,
                n == 2 && one_wall > 0 ? (" ; speedup over 1 ingest node "
                                          + std::to_string(one_wall / m.wall))
                                             .c_str()
                                       : "");
    // The store's work per event is what it spends above a store that runs
    // as long without any event.
    auto idle = idle_store_cpu(brokers, m.wall);
    auto above = std::max(0.0, m.store_cpu - idle);
    std::printf("  store idle for %.2f s: %.2f CPU s; store above idle: %.2f "
                "CPU s per 1M events = %.1f%% of the ingest CPU\n",
                m.wall, idle, per_m(above),
                ingest_total > 0 ? 100.0 * above / ingest_total : 0.0);
  }
  return rc;
}
