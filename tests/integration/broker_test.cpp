#define BOOST_TEST_MODULE broker
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "actors/generator/generator.hpp"
#include "runtime/embedded_broker.hpp"
#include "runtime/kafka.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// Quiet, quickly reconnecting clients for tests.
const kafka::config_map test_config{{"log_level", "2"},
                                    {"reconnect.backoff.ms", "50"},
                                    {"reconnect.backoff.max.ms", "200"}};

embedded_broker start_broker(std::vector<topic_spec> topics) {
  broker_options options;
  options.topics = std::move(topics);
  auto broker = embedded_broker::start(options);
  BOOST_REQUIRE_MESSAGE(broker.has_value(), (broker ? "" : broker.error()));
  return std::move(broker).value();
}

kafka::producer make_producer(const std::string& bootstrap,
                              kafka::config_map extra = {}) {
  extra.insert(extra.begin(), test_config.begin(), test_config.end());
  auto prod = kafka::producer::make(bootstrap, extra);
  BOOST_REQUIRE_MESSAGE(prod.has_value(), (prod ? "" : prod.error()));
  return std::move(prod).value();
}

/// A consumed message.
struct record {
  int32_t partition = 0;
  std::string payload;
  std::map<std::string, std::string> headers;
};

/// Reads `expected` messages from every partition of `topic` from the start,
/// with a plain assigned consumer; gives up after 30 s.
std::vector<record> consume_all(const std::string& bootstrap,
                                const std::string& topic, int32_t partitions,
                                size_t expected) {
  kafka::config_map config = test_config;
  config.emplace_back("group.id", "broker_test");
  config.emplace_back("enable.auto.commit", "false");
  auto rk = kafka::make_client(RD_KAFKA_CONSUMER, bootstrap, config);
  BOOST_REQUIRE_MESSAGE(rk.has_value(), (rk ? "" : rk.error()));
  rd_kafka_poll_set_consumer(rk->get());
  kafka::partition_list_ptr list{rd_kafka_topic_partition_list_new(partitions)};
  for (int32_t p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset
        = RD_KAFKA_OFFSET_BEGINNING;
  BOOST_REQUIRE(rd_kafka_assign(rk->get(), list.get())
                == RD_KAFKA_RESP_ERR_NO_ERROR);
  std::vector<record> result;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (result.size() < expected
         && std::chrono::steady_clock::now() < deadline) {
    kafka::message_ptr msg{rd_kafka_consumer_poll(rk->get(), 100)};
    if (!msg || msg->err != RD_KAFKA_RESP_ERR_NO_ERROR)
      continue;
    record rec;
    rec.partition = msg->partition;
    rec.payload.assign(static_cast<const char*>(msg->payload), msg->len);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(msg.get(), &hdrs)
        == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size)
                         == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i)
        rec.headers[name].assign(static_cast<const char*>(value), size);
    }
    result.push_back(std::move(rec));
  }
  rd_kafka_consumer_close(rk->get());
  return result;
}

/// True if /proc/net/tcp shows a listening socket on `port` bound to
/// 127.0.0.1 and none on another address.
bool listens_on_loopback_only(uint16_t port) {
  std::ifstream in{"/proc/net/tcp"};
  std::string line;
  std::getline(in, line); // header
  bool loopback = false;
  bool other = false;
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (state != "0A") // LISTEN
      continue;
    auto colon = local.find(':');
    auto local_port = std::stoul(local.substr(colon + 1), nullptr, 16);
    if (local_port != port)
      continue;
    (local.substr(0, colon) == "0100007F" ? loopback : other) = true;
  }
  return loopback && !other;
}

uint16_t port_of(const std::string& bootstrap) {
  return static_cast<uint16_t>(
      std::stoul(bootstrap.substr(bootstrap.rfind(':') + 1)));
}

} // namespace

BOOST_AUTO_TEST_CASE(the_embedded_broker_listens_on_loopback_only) {
  auto broker = start_broker({{"raw_events", 4}});
  BOOST_TEST(broker.bootstrap().rfind("127.0.0.1:", 0) == 0u);
  BOOST_TEST(listens_on_loopback_only(port_of(broker.bootstrap())));
}

BOOST_AUTO_TEST_CASE(a_chosen_port_is_refused_with_a_clear_error) {
  broker_options options;
  options.port = 9092;
  auto broker = embedded_broker::start(options);
  BOOST_REQUIRE(!broker.has_value());
  BOOST_TEST(broker.error().find("--port 0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(topics_are_created_with_their_partition_counts) {
  auto broker = start_broker({{"raw_events", 4}, {"raw_events.dlq", 1}});
  BOOST_REQUIRE(broker.create_topic("extra", 3).has_value());
  auto extra = kafka::fetch_metadata(broker.bootstrap(), "extra", 5s);
  BOOST_REQUIRE_MESSAGE(extra.has_value(), (extra ? "" : extra.error()));
  BOOST_TEST(*extra == 3);
  BOOST_TEST(*kafka::fetch_metadata(broker.bootstrap(), "raw_events", 5s) == 4);
  BOOST_TEST(*kafka::fetch_metadata(broker.bootstrap(), "raw_events.dlq", 5s)
             == 1);
  BOOST_TEST(!broker.create_topic("extra", 3).has_value());
}

BOOST_AUTO_TEST_CASE(produced_messages_are_consumed_back_from_all_partitions) {
  auto broker = start_broker({{"raw_events", 4}});
  auto prod = make_producer(broker.bootstrap());
  std::set<std::string> sent;
  for (int i = 0; i < 1000; ++i) {
    auto payload = "message-" + std::to_string(i);
    // Half explicit round-robin, half left to the partitioner with a key.
    auto partition = i % 2 == 0 ? i / 2 % 4 : RD_KAFKA_PARTITION_UA;
    auto key = i % 2 == 0 ? std::string{} : "key-" + std::to_string(i);
    kafka::header_list headers;
    if (i % 100 == 0)
      headers.emplace_back("reason", "test-" + std::to_string(i));
    auto st = prod.produce("raw_events", partition, key, payload, headers);
    BOOST_REQUIRE_MESSAGE(st.has_value(), (st ? "" : st.error()));
    sent.insert(payload);
  }
  BOOST_REQUIRE(prod.flush(30s).has_value());
  BOOST_TEST(prod.delivered() == 1000u);
  BOOST_TEST(prod.failed() == 0u);
  int64_t total = 0;
  for (int32_t p = 0; p < 4; ++p) {
    auto wm = kafka::query_watermarks(prod.handle(), "raw_events", p);
    BOOST_REQUIRE_MESSAGE(wm.has_value(), (wm ? "" : wm.error()));
    BOOST_TEST(wm->low == 0);
    BOOST_TEST(wm->high >= 125); // the explicit half alone puts 125 on each
    total += wm->high;
  }
  BOOST_TEST(total == 1000);
  auto records = consume_all(broker.bootstrap(), "raw_events", 4, 1000);
  std::set<std::string> received;
  size_t with_headers = 0;
  for (const auto& rec : records) {
    received.insert(rec.payload);
    if (auto i = rec.headers.find("reason"); i != rec.headers.end()) {
      ++with_headers;
      BOOST_TEST(rec.payload == "message-" + i->second.substr(5));
    }
  }
  BOOST_TEST(records.size() == 1000u);
  BOOST_TEST(received == sent);
  BOOST_TEST(with_headers == 10u);
}

BOOST_AUTO_TEST_CASE(a_down_broker_fails_the_probe_naming_it_and_up_recovers) {
  auto broker = start_broker({{"raw_events", 1}});
  auto prod = make_producer(broker.bootstrap());
  BOOST_REQUIRE(prod.wait_connected(5s).has_value());
  BOOST_REQUIRE(broker.set_down(true).has_value());
  auto down = prod.wait_connected(1s);
  BOOST_REQUIRE(!down.has_value());
  BOOST_TEST(down.error().find(broker.bootstrap()) != std::string::npos);
  BOOST_TEST(down.error().find("cannot reach") != std::string::npos);
  BOOST_REQUIRE(broker.set_down(false).has_value());
  auto up = prod.wait_connected(10s);
  BOOST_TEST(up.has_value(), (up ? "" : up.error()));
}

BOOST_AUTO_TEST_CASE(an_unreachable_address_fails_the_probe_naming_it) {
  auto prod = make_producer("127.0.0.1:1");
  auto st = prod.wait_connected(500ms);
  BOOST_REQUIRE(!st.has_value());
  BOOST_TEST(st.error().find("127.0.0.1:1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(failed_deliveries_are_counted_with_the_last_error) {
  auto broker = start_broker({{"raw_events", 1}});
  auto prod = make_producer(broker.bootstrap(), {{"retries", "0"}});
  BOOST_REQUIRE(prod.wait_connected(5s).has_value());
  // ApiKey 0 is Produce; "message too large" is not retried.
  broker.push_request_errors(0, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  BOOST_REQUIRE(prod.produce("raw_events", 0, {}, "doomed").has_value());
  BOOST_REQUIRE(prod.flush(10s).has_value());
  BOOST_TEST(prod.failed() == 1u);
  BOOST_TEST(prod.delivered() == 0u);
  BOOST_TEST(prod.last_error().find("too large") != std::string::npos);
  auto again = prod.produce("raw_events", 0, {}, "fine");
  BOOST_REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error()));
  BOOST_REQUIRE(prod.flush(10s).has_value());
  BOOST_TEST(prod.delivered() == 1u);
}

BOOST_AUTO_TEST_CASE(the_generator_spreads_count_events_round_robin) {
  auto broker = start_broker({{"raw_events", 4}});
  generate_options opts;
  opts.brokers = broker.bootstrap();
  opts.rate = 0;
  opts.count = 1000;
  opts.seed = 3;
  opts.start_ms = 1768172992214;
  opts.malformed_every = 100;
  opts.verbose = false;
  opts.producer_config = test_config;
  std::atomic<bool> stop{false};
  generate_report report;
  BOOST_TEST(run_generator(opts, stop, &report) == 0, report.error);
  BOOST_TEST(report.generated == 1000u);
  BOOST_TEST(report.delivered == 1000u);
  BOOST_TEST(report.failed == 0u);
  auto prod = make_producer(broker.bootstrap());
  for (int32_t p = 0; p < 4; ++p)
    BOOST_TEST(kafka::query_watermarks(prod.handle(), "raw_events", p)->high
               == 250);
  auto records = consume_all(broker.bootstrap(), "raw_events", 4, 1000);
  BOOST_REQUIRE(records.size() == 1000u);
  // Malformed every 100th: 10 of them, e.g. the month-13 timestamp.
  size_t month13 = 0;
  for (const auto& rec : records)
    month13 += rec.payload.find("\"2026-13-") != std::string::npos ? 1 : 0;
  BOOST_TEST(month13 == 2u); // kinds cycle: indices 0 and 6 of 10
}

BOOST_AUTO_TEST_CASE(the_generator_fails_with_exit_1_if_the_broker_is_down) {
  generate_options opts;
  opts.brokers = "127.0.0.1:1";
  opts.count = 10;
  opts.probe_timeout_ms = 500;
  opts.verbose = false;
  opts.producer_config = test_config;
  std::atomic<bool> stop{false};
  generate_report report;
  BOOST_TEST(run_generator(opts, stop, &report) == 1);
  BOOST_TEST(report.generated == 0u);
  BOOST_TEST(report.error.find("127.0.0.1:1") != std::string::npos);
}
