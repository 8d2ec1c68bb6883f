#define BOOST_TEST_MODULE cluster
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "support/pipeline.hpp"
#include "support/process.hpp"

using namespace vigil;

namespace {

/// A cluster of separate processes on loopback: one store, ingest nodes.
struct cluster {
  test::temp_dir dir;
  std::string brokers;
  std::string db = dir.file("vigil.db");
  int port = test::free_loopback_port();
  std::string group = "cluster-test";
  std::vector<std::string> common;

  // The node's default session timeout (10 s): the embedded broker waits
  // one second less than it for every member to rejoin a rebalance, and a
  // member of a loaded machine that misses that window can be left with
  // a stale assignment it is never told about.
  explicit cluster(const std::string& brokers) : brokers(brokers) {
    common = {"--drain", "--http-port",
              "0",       "--brokers",
              brokers,   "--topic",
              "events",  "--group",
              group,     "--checkpoint-interval",
              "300ms",   "--session-timeout",
              "10s"};
  }

  std::unique_ptr<test::background_process> store(const std::string& tag) {
    std::vector<std::string> args{
        test::vigil_binary(), "run",  "--role", "store", "--cluster-port",
        std::to_string(port), "--db", db};
    args.insert(args.end(), common.begin(), common.end());
    return std::make_unique<test::background_process>(
        args, dir.file(tag + ".out"), dir.file(tag + ".err"));
  }

  std::unique_ptr<test::background_process> ingest(const std::string& name) {
    std::vector<std::string> args{test::vigil_binary(),
                                  "run",
                                  "--role",
                                  "ingest",
                                  "--store",
                                  "127.0.0.1:" + std::to_string(port),
                                  "--node-name",
                                  name};
    args.insert(args.end(), common.begin(), common.end());
    return std::make_unique<test::background_process>(
        args, dir.file(name + ".out"), dir.file(name + ".err"));
  }

  std::string out(const std::string& tag) {
    return test::read_file(dir.file(tag + ".out"));
  }

  std::string err(const std::string& tag) {
    return test::read_file(dir.file(tag + ".err"));
  }

  void dump(const std::vector<std::string>& tags) {
    for (const auto& t : tags)
      BOOST_TEST_MESSAGE(t << " stdout:\n"
                           << out(t) << "\n"
                           << t << " stderr:\n"
                           << err(t));
  }

  /// Slows every partition task (`delay_ms` per batch of `batch` records),
  /// so that a drain runs long enough to act on the cluster in it.
  void slow_tasks(const char* delay_ms, const char* batch) {
    common.insert(common.end(),
                  {"--fault-task-delay-ms", delay_ms, "--batch-size", batch});
  }

  /// Waits (90 s) until the store `tag` says that ingest-a and ingest-b own
  /// all `partitions` partitions and the cluster runs.
  bool runs(const std::string& tag, int partitions) {
    auto line
        = "own all " + std::to_string(partitions) + " partitions; running";
    return wait_until(std::chrono::seconds(90),
                      [&] { return err(tag).find(line) != std::string::npos; },
                      {tag, "ingest-a", "ingest-b"});
  }

  /// test::wait_until that shows the logs of `tags` when it times out, so
  /// that a failed wait says what the nodes were doing.
  template <class Predicate>
  bool wait_until(std::chrono::milliseconds timeout, Predicate&& predicate,
                  const std::vector<std::string>& tags) {
    if (test::wait_until(timeout, std::forward<Predicate>(predicate)))
      return true;
    dump(tags);
    return false;
  }
};

void check_exact(const test::produced_topic& topic, cluster& c,
                 const std::string& store_tag) {
  const auto& truth = topic.truth;
  auto summary = c.out(store_tag);
  BOOST_CHECK_MESSAGE(summary.find("drained: events=") != std::string::npos,
                      summary);
  BOOST_CHECK(summary.find("reorderings=0 ") != std::string::npos);
  BOOST_CHECK_EQUAL(test::compare_windows(truth, c.db), 0u);
  auto dlq = test::read_dead_letters(topic.spec.brokers, "events.dlq",
                                     truth.dead_letters.size());
  BOOST_CHECK_EQUAL(dlq.size(), truth.dead_letters.size());
  BOOST_CHECK(dlq == truth.dead_letters);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_store_and_two_ingest_nodes_drain_exactly) {
  test::produced_topic topic;
  test::produce_topic(topic, 32, 300'000, 20261204, 991);
  cluster c{topic.spec.brokers};
  auto store = c.store("store");
  auto a = c.ingest("ingest-a");
  auto b = c.ingest("ingest-b");
  auto rc = store->wait(std::chrono::minutes(4));
  auto rc_a = a->wait(std::chrono::seconds(30));
  auto rc_b = b->wait(std::chrono::seconds(30));
  c.dump({"store", "ingest-a", "ingest-b"});
  BOOST_REQUIRE_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(rc_a, 0);
  BOOST_CHECK_EQUAL(rc_b, 0);
  check_exact(topic, c, "store");
  // Both nodes read: the group spread the partitions over them.
  auto log = c.err("store");
  BOOST_CHECK(log.find("node ingest-a (ingest") != std::string::npos);
  BOOST_CHECK(log.find("node ingest-b (ingest") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_ingest_node_killed_mid_run_leaves_the_result_exact) {
  test::produced_topic topic;
  test::produce_topic(topic, 32, 300'000, 20261205, 997);
  cluster c{topic.spec.brokers};
  // Slowed tasks keep the drain running long enough to kill a node in it.
  c.slow_tasks("20", "200");
  auto store = c.store("store");
  auto a = c.ingest("ingest-a");
  auto b = c.ingest("ingest-b");
  BOOST_REQUIRE(c.runs("store", 32));
  // The store's console lists both nodes and their partitions.
  auto log = c.err("store");
  auto at = log.find("console on ");
  BOOST_REQUIRE(at != std::string::npos);
  auto address = log.substr(at + 11, log.find(' ', at + 11) - at - 11);
  std::string nodes;
  BOOST_CHECK(
      c.wait_until(std::chrono::seconds(20),
                   [&] {
                     nodes = test::run_process({test::vigil_binary(), "console",
                                                "--connect", address, "nodes"},
                                               std::chrono::seconds(20))
                                 .out;
                     return nodes.find("ingest-a") != std::string::npos
                            && nodes.find("ingest-b") != std::string::npos
                            && nodes.find("running") != std::string::npos;
                   },
                   {"store", "ingest-a", "ingest-b"}));
  BOOST_TEST_MESSAGE("console nodes:\n" << nodes);
  BOOST_CHECK(nodes.find("PARTITIONS") != std::string::npos);
  test::hold_for(std::chrono::seconds(1));
  b->signal(SIGKILL);
  BOOST_CHECK_EQUAL(b->wait(std::chrono::seconds(10)), -SIGKILL);
  auto rc = store->wait(std::chrono::minutes(5));
  auto rc_a = a->wait(std::chrono::seconds(30));
  c.dump({"store", "ingest-a"});
  BOOST_REQUIRE_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(rc_a, 0);
  check_exact(topic, c, "store");
  BOOST_CHECK(c.err("store").find("node ingest-b lost") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_stores_dashboard_shows_every_node_in_a_browser) {
  test::produced_topic topic;
  test::produce_topic(topic, 16, 100'000, 20261209, 0);
  cluster c{topic.spec.brokers};
  // Slow tasks: the cluster is still running while the browser looks.
  c.slow_tasks("200", "100");
  auto store = c.store("store");
  auto a = c.ingest("ingest-a");
  auto b = c.ingest("ingest-b");
  BOOST_REQUIRE(c.runs("store", 16));
  auto log = c.err("store");
  auto at = log.find("http on ");
  BOOST_REQUIRE(at != std::string::npos);
  auto url = log.substr(at + 8, log.find('\n', at) - at - 8) + "/";
  auto node_js = test::find_program("node");
  BOOST_REQUIRE_MESSAGE(!node_js.empty(), "node is not on PATH "
                                          "(deploy/install-deps.sh)");
  auto seen = test::run_process(
      {node_js, test::build_dir() + "/web-npm/cluster_dashboard.mjs", url,
       "ingest-a", "ingest-b"},
      std::chrono::seconds(120));
  BOOST_TEST_MESSAGE("cluster_dashboard.mjs:\n" << seen.out << seen.err);
  BOOST_CHECK_EQUAL(seen.status, 0);
  BOOST_CHECK(seen.out.find("\"partitions\": 16") != std::string::npos);
  for (auto* p : {a.get(), b.get(), store.get()})
    p->signal(SIGTERM);
  BOOST_CHECK_EQUAL(a->wait(std::chrono::seconds(60)), 0);
  BOOST_CHECK_EQUAL(b->wait(std::chrono::seconds(60)), 0);
  BOOST_CHECK_EQUAL(store->wait(std::chrono::seconds(60)), 0);
  c.dump({"store", "ingest-a", "ingest-b"});
}

BOOST_AUTO_TEST_CASE(the_store_killed_and_restarted_mid_run_leaves_it_exact) {
  test::produced_topic topic;
  test::produce_topic(topic, 32, 300'000, 20261206, 983);
  cluster c{topic.spec.brokers};
  c.slow_tasks("20", "200");
  auto store = c.store("store-1");
  auto a = c.ingest("ingest-a");
  auto b = c.ingest("ingest-b");
  BOOST_REQUIRE(c.runs("store-1", 32));
  test::hold_for(std::chrono::seconds(2));
  store->signal(SIGKILL);
  BOOST_CHECK_EQUAL(store->wait(std::chrono::seconds(10)), -SIGKILL);
  // The ingest nodes notice, hold their partitions and keep trying.
  BOOST_REQUIRE(c.wait_until(
      std::chrono::seconds(30),
      [&] {
        return c.err("ingest-a").find("lost the store") != std::string::npos
               && c.err("ingest-b").find("lost the store") != std::string::npos;
      },
      {"store-1", "ingest-a", "ingest-b"}));
  test::hold_for(std::chrono::seconds(1));
  auto again = c.store("store-2");
  auto rc = again->wait(std::chrono::minutes(5));
  auto rc_a = a->wait(std::chrono::seconds(30));
  auto rc_b = b->wait(std::chrono::seconds(30));
  c.dump({"store-1", "store-2", "ingest-a", "ingest-b"});
  BOOST_REQUIRE_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(rc_a, 0);
  BOOST_CHECK_EQUAL(rc_b, 0);
  check_exact(topic, c, "store-2");
  BOOST_CHECK(c.err("ingest-a").find("reachable again") != std::string::npos);
}

namespace {

/// Runs openssl; fails the test on an error.
void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> cmd{"/usr/bin/openssl"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  auto r = test::run_process(cmd, std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
}

/// A CA and one certificate it signed, as docs/deploy.md shows.
struct authority {
  std::string ca, cert, key;

  authority(const test::temp_dir& dir, const std::string& name)
      : ca(dir.file(name + "-ca.pem")), cert(dir.file(name + ".pem")),
        key(dir.file(name + ".key")) {
    auto ca_key = dir.file(name + "-ca.key");
    auto csr = dir.file(name + ".csr");
    openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
             "-out", ca, "-days", "30", "-subj",
             "/CN=" + name + " cluster CA"});
    openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
             csr, "-subj", "/CN=" + name + " node"});
    openssl({"x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
             "-CAcreateserial", "-out", cert, "-days", "30"});
  }

  std::vector<std::string> flags() const {
    return {"--tls-ca", ca, "--tls-cert", cert, "--tls-key", key};
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(without_tls_only_loopback_is_served) {
  test::temp_dir dir;
  for (const auto& flag : {"--cluster-host", "--console-host"}) {
    auto r = test::run_process({test::vigil_binary(), "run", "--role", "store",
                                flag, "0.0.0.0", "--brokers", "127.0.0.1:9",
                                "--db", dir.file("x.db")},
                               std::chrono::seconds(30));
    BOOST_CHECK_EQUAL(r.status, 2);
    BOOST_CHECK_MESSAGE(r.err.find("on 0.0.0.0 without mutual TLS")
                            != std::string::npos,
                        r.err);
  }
  auto r = test::run_process({test::vigil_binary(), "run", "--role", "store",
                              "--tls-ca", dir.file("ca.pem"), "--brokers",
                              "127.0.0.1:9", "--db", dir.file("x.db")},
                             std::chrono::seconds(30));
  BOOST_CHECK_EQUAL(r.status, 2);
  BOOST_CHECK(r.err.find("needs all of --tls-ca, --tls-cert and --tls-key")
              != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mutual_tls_admits_the_cluster_ca_and_refuses_another) {
  test::produced_topic topic;
  test::produce_topic(topic, 8, 50'000, 20261207, 0);
  cluster c{topic.spec.brokers};
  authority good{c.dir, "good"};
  authority rogue{c.dir, "rogue"};
  // Any address, since TLS is on.
  auto store_args = good.flags();
  store_args.insert(store_args.end(), {"--cluster-host", "0.0.0.0"});
  c.common.insert(c.common.end(), store_args.begin(), store_args.end());
  auto store = c.store("store");
  BOOST_REQUIRE(c.wait_until(std::chrono::seconds(30),
                             [&] {
                               return c.err("store").find("cluster endpoint on")
                                      != std::string::npos;
                             },
                             {"store"}));
  // A node with a certificate of another CA (own group, so that it takes no
  // partition from the cluster) is refused at the handshake.
  auto common = c.common;
  c.common.erase(c.common.end() - 8, c.common.end());
  auto rogue_flags = rogue.flags();
  c.common.insert(c.common.end(), rogue_flags.begin(), rogue_flags.end());
  std::replace(c.common.begin(), c.common.end(), c.group,
               std::string{"rogue-group"});
  auto intruder = c.ingest("rogue");
  c.common = common;
  BOOST_REQUIRE(c.wait_until(
      std::chrono::seconds(30),
      [&] { return c.err("rogue").find("handshake") != std::string::npos; },
      {"store", "rogue"}));
  // The console speaks mutual TLS too: a client with the cluster's
  // certificate gets answers, one without none.
  auto log = c.err("store");
  auto at = log.find("console on ");
  BOOST_REQUIRE(at != std::string::npos);
  auto address = log.substr(at + 11, log.find(' ', at + 11) - at - 11);
  std::vector<std::string> ask{
      // A TLS handshake on a loaded machine can take seconds.
      test::vigil_binary(), "console", "--connect", address,
      "--timeout",          "20s"};
  auto with = ask;
  auto good_flags = good.flags();
  with.insert(with.end(), good_flags.begin(), good_flags.end());
  with.push_back("nodes");
  auto answer = test::run_process(with, std::chrono::seconds(30));
  BOOST_CHECK_EQUAL(answer.status, 0);
  BOOST_CHECK_MESSAGE(answer.out.find("cluster: generation")
                          != std::string::npos,
                      answer.out << answer.err);
  ask.push_back("nodes");
  BOOST_CHECK_NE(test::run_process(ask, std::chrono::seconds(30)).status, 0);
  auto a = c.ingest("ingest-a");
  auto rc = store->wait(std::chrono::minutes(3));
  auto rc_a = a->wait(std::chrono::seconds(30));
  c.dump({"store", "ingest-a", "rogue"});
  BOOST_REQUIRE_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(rc_a, 0);
  BOOST_CHECK_EQUAL(test::compare_windows(topic.truth, c.db), 0u);
  BOOST_CHECK(c.err("store").find("node rogue") == std::string::npos);
  BOOST_CHECK(c.err("store").find("with mutual TLS") != std::string::npos);
  BOOST_CHECK(c.err("rogue").find("handshake") != std::string::npos);
  intruder->signal(SIGTERM);
  intruder->wait(std::chrono::seconds(30));
}

BOOST_AUTO_TEST_CASE(a_frozen_ingest_node_is_dropped_by_heartbeat_and_rejoins) {
  test::produced_topic topic;
  test::produce_topic(topic, 16, 200'000, 20261208, 0);
  cluster c{topic.spec.brokers};
  c.slow_tasks("20", "200");
  auto store = c.store("store");
  auto a = c.ingest("ingest-a");
  auto b = c.ingest("ingest-b");
  BOOST_REQUIRE(c.runs("store", 16));
  b->signal(SIGSTOP);
  // Dropped within the heartbeat timeout (6 s) or the connection timeout
  // (5 s without a BASP heartbeat), whichever notices first.
  BOOST_CHECK(c.wait_until(std::chrono::seconds(15),
                           [&] {
                             return c.err("store").find("node ingest-b lost")
                                    != std::string::npos;
                           },
                           {"store", "ingest-a", "ingest-b"}));
  test::hold_for(std::chrono::seconds(8));
  b->signal(SIGCONT);
  auto rc = store->wait(std::chrono::minutes(5));
  auto rc_a = a->wait(std::chrono::seconds(30));
  auto rc_b = b->wait(std::chrono::seconds(30));
  c.dump({"store", "ingest-a", "ingest-b"});
  BOOST_REQUIRE_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(rc_a, 0);
  BOOST_CHECK_EQUAL(rc_b, 0);
  BOOST_CHECK_EQUAL(test::compare_windows(topic.truth, c.db), 0u);
}
