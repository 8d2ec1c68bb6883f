#pragma once

// A running `vigil run` node with its HTTP server on a free port, consuming
// events produced to an in-process embedded broker (header-only helper of the
// HTTP integration tests).

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <httplib.h>
#include <librdkafka/rdkafka.h>

#include "runtime/embedded_broker.hpp"
#include "runtime/kafka.hpp"
#include "support/pipeline.hpp"
#include "support/process.hpp"

namespace vigil::test {

/// Status and body of one HTTP GET (status 0 if the request failed).
struct http_answer {
  int status = 0;
  std::string body;
};

/// GETs `path` from `host:port` with short timeouts.
inline http_answer http_get(const std::string& host, int port,
                            const std::string& path) {
  httplib::Client client{host, port};
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(5));
  auto res = client.Get(path.c_str());
  if (!res)
    return {};
  return {res->status, res->body};
}

/// The value of an unlabelled series `name` in Prometheus text, or nullopt.
inline std::optional<double> metric_value(const std::string& text,
                                          const std::string& name) {
  std::regex line{"(^|\n)" + name + " ([^\n]+)"};
  std::smatch m;
  if (!std::regex_search(text, m, line))
    return std::nullopt;
  return std::strtod(m[2].str().c_str(), nullptr);
}

/// A real Prometheus server on a free loopback port.
struct prometheus_server {
  int port = 0;
  std::unique_ptr<background_process> process;
};

/// Starts `binary` (Debian's prometheus) with the configuration file
/// `config`, its database and logs in `dir`, on a free loopback port; fails
/// the current test unless it is ready within 60 s.
inline prometheus_server start_prometheus(const std::string& binary,
                                          const std::string& config,
                                          const temp_dir& dir) {
  prometheus_server server;
  server.port = free_loopback_port();
  server.process = std::make_unique<background_process>(
      std::vector<std::string>{binary, "--config.file=" + config,
                               "--storage.tsdb.path=" + dir.file("tsdb"),
                               "--web.listen-address=127.0.0.1:"
                                   + std::to_string(server.port)},
      dir.file("prometheus.out"), dir.file("prometheus.err"));
  BOOST_REQUIRE_MESSAGE(
      wait_until(std::chrono::seconds(60),
                 [&] {
                   return http_get("127.0.0.1", server.port, "/-/ready").status
                          == 200;
                 }),
      "Prometheus did not become ready: "
          << read_file(dir.file("prometheus.err")));
  return server;
}

/// Broker, produced events and a node serving HTTP and its console on free
/// ports.
struct node_fixture : produced_topic {
  temp_dir dir;
  std::unique_ptr<background_process> node;
  int port = 0;
  int console_port = 0;

  /// Produces `count` events over `partitions` partitions (every 997th
  /// malformed) and starts `vigil run --http-port 0 --console-port 0` on
  /// them, with `extra` flags.
  void start(int32_t partitions, uint64_t count,
             const std::vector<std::string>& extra = {}) {
    produce_topic(*this, partitions, count, 7, 997);
    std::vector<std::string> args{
        vigil_binary(), "run",    "--brokers",      spec.brokers,
        "--topic",      "events", "--db",           dir.file("vigil.db"),
        "--http-port",  "0",      "--console-port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    node = std::make_unique<background_process>(args, dir.file("node.out"),
                                                dir.file("node.err"));
    std::regex http_line{"vigil: http on http://127\\.0\\.0\\.1:([0-9]+)\n"};
    std::regex console_line{"vigil: console on 127\\.0\\.0\\.1:([0-9]+)"};
    wait_until(std::chrono::seconds(30), [&] {
      std::smatch m;
      std::smatch c;
      auto err = read_file(dir.file("node.err"));
      if (!std::regex_search(err, m, http_line)
          || !std::regex_search(err, c, console_line))
        return false;
      port = std::stoi(m[1].str());
      console_port = std::stoi(c[1].str());
      return true;
    });
    BOOST_REQUIRE_MESSAGE(port > 0 && console_port > 0,
                          "no 'vigil: http on' or 'vigil: console on' line; "
                          "stderr: "
                              << read_file(dir.file("node.err")));
  }

  /// GETs `path` from the node.
  http_answer get(const std::string& path) const {
    return http_get("127.0.0.1", port, path);
  }

  /// Waits until /metrics shows `name` equal to `value`; returns the last
  /// value seen (nullopt if never).
  std::optional<double> wait_for_metric(const std::string& name, double value,
                                        std::chrono::milliseconds timeout) {
    std::optional<double> last;
    wait_until(timeout, [&] {
      last = metric_value(get("/metrics").body, name);
      return last && *last == value;
    });
    return last;
  }

  ~node_fixture() {
    if (node && node->running()) {
      node->signal(SIGTERM);
      if (node->wait(std::chrono::seconds(30)) == -1000)
        node->signal(SIGKILL);
    }
  }
};

/// Joins the node's consumer group with a subscription to another topic:
/// the group rebalances (every member's partitions are revoked and assigned
/// again) when it joins and again when it leaves, and the node gets all of
/// its partitions back each time. Returns false if the other member never
/// got its partition (the group did not finish rebalancing within 60 s).
[[nodiscard]] inline bool
join_and_leave_group(const std::string& brokers, const std::string& other_topic,
                     const std::function<void()>& while_member = {}) {
  auto client = kafka::make_client(RD_KAFKA_CONSUMER, brokers,
                                   {{"group.id", "vigil"},
                                    // The node's default: the embedded
                                    // broker applies the session timeout
                                    // of the member that joined last to
                                    // the whole group (docs/broker.md).
                                    {"session.timeout.ms", "10000"},
                                    {"auto.offset.reset", "latest"}});
  if (!client)
    BOOST_FAIL("consumer: " << client.error());
  auto* rk = client.value().get();
  rd_kafka_poll_set_consumer(rk);
  auto* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, other_topic.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  BOOST_REQUIRE(rd_kafka_subscribe(rk, topics) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
  // Joined once the group assigned the other topic's partition to it.
  bool joined = wait_until(std::chrono::seconds(60), [&] {
    if (auto* msg = rd_kafka_consumer_poll(rk, 100))
      rd_kafka_message_destroy(msg);
    rd_kafka_topic_partition_list_t* assigned = nullptr;
    if (rd_kafka_assignment(rk, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return false;
    auto n = assigned->cnt;
    rd_kafka_topic_partition_list_destroy(assigned);
    return n > 0;
  });
  if (joined && while_member)
    while_member();
  BOOST_REQUIRE(rd_kafka_consumer_close(rk) == RD_KAFKA_RESP_ERR_NO_ERROR);
  return joined;
}

} // namespace vigil::test
