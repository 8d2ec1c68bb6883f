#define BOOST_TEST_MODULE drain_exact
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

#include "actors/generator.hpp"
#include "actors/request_event.hpp"
#include "runtime/embedded_broker.hpp"
#include "runtime/kafka.hpp"
#include "support/process.hpp"

using namespace vigil;

namespace {

constexpr int32_t partitions = 16;
constexpr uint64_t event_count = 200'000;
constexpr uint64_t malformed_every = 997;
constexpr int64_t window_ms = 10'000;

struct window_truth {
  int64_t count = 0;
  int64_t errors = 0;
  std::vector<double> latencies;
};

using window_id = std::pair<std::string, int64_t>;

struct window_stored {
  int64_t count = 0;
  int64_t errors = 0;
  double p95 = 0;
};

int64_t floor_window(int64_t t) {
  auto s = t / window_ms * window_ms;
  return t % window_ms < 0 ? s - window_ms : s;
}

const char* expected_reason(malformed_kind kind) {
  switch (kind) {
  case malformed_kind::bad_timestamp:
    return "bad_timestamp";
  case malformed_kind::missing_field:
    return "missing_field";
  case malformed_kind::not_json:
    return "not_json";
  case malformed_kind::negative_latency:
    return "bad_latency";
  case malformed_kind::bad_status:
    return "bad_status";
  default:
    return "";
  }
}

std::map<window_id, window_stored> read_windows(const std::string& db) {
  std::map<window_id, window_stored> out;
  sqlite3* h = nullptr;
  BOOST_REQUIRE_EQUAL(
      sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  BOOST_REQUIRE_EQUAL(
      sqlite3_prepare_v2(h,
                         "SELECT service, window_start, request_count, "
                         "error_count, p95_latency_ms, window_end "
                         "FROM service_metrics",
                         -1, &st, nullptr),
      SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    window_id id{reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                 sqlite3_column_int64(st, 1)};
    BOOST_CHECK_EQUAL(sqlite3_column_int64(st, 5), id.second + window_ms);
    out[id] = {sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
               sqlite3_column_double(st, 4)};
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

/// Reads every message of `topic` partition 0.. and returns (reason, payload).
std::multiset<std::pair<std::string, std::string>>
read_dead_letters(const std::string& brokers, const std::string& topic,
                  size_t expected) {
  std::multiset<std::pair<std::string, std::string>> out;
  char err[512];
  auto* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err,
                    sizeof(err));
  rd_kafka_conf_set(conf, "group.id", "dlq-reader", err, sizeof(err));
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err));
  auto* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  BOOST_REQUIRE(rk != nullptr);
  rd_kafka_poll_set_consumer(rk);
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (out.size() < expected && std::chrono::steady_clock::now() < deadline) {
    auto* msg = rd_kafka_consumer_poll(rk, 200);
    if (msg == nullptr)
      continue;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string reason;
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const void* val = nullptr;
        size_t len = 0;
        if (rd_kafka_header_get_last(hdrs, "vigil.reason", &val, &len)
            == RD_KAFKA_RESP_ERR_NO_ERROR)
          reason.assign(static_cast<const char*>(val), len);
      }
      out.emplace(reason, std::string(static_cast<const char*>(msg->payload),
                                      msg->len));
    }
    rd_kafka_message_destroy(msg);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(drain_of_200k_events_over_16_partitions_is_exact) {
  test::temp_dir dir;
  broker_options bo;
  bo.topics.push_back({"events", partitions});
  bo.topics.push_back({"events.dlq", 1});
  auto broker = embedded_broker::start(bo);
  if (!broker)
    BOOST_FAIL("broker: " << broker.error());
  const auto brokers = broker.value().bootstrap();

  // Produce seeded events, some malformed, and compute the ground truth.
  generator_settings gs;
  gs.services = 8;
  gs.seed = 20261124;
  gs.rate = 2000;
  gs.start_ms = 1'790'000'000'000;
  gs.incidents.push_back({"payments", incident_kind::errors, 30, 20});
  event_generator gen{gs};
  auto prod = kafka::producer::make(
      brokers, {{"linger.ms", "50"}, {"batch.num.messages", "5000"}});
  if (!prod)
    BOOST_FAIL("producer: " << prod.error());
  std::map<window_id, window_truth> truth;
  std::multiset<std::pair<std::string, std::string>> expected_dlq;
  uint64_t valid = 0;
  generated_event ev;
  for (uint64_t i = 0; i < event_count; ++i) {
    std::string payload;
    gen.next(ev);
    request_event core = ev.core;
    bool is_valid = true;
    if (i % malformed_every == malformed_every - 1) {
      auto bad = malformed_json(i / malformed_every, ev.core.time_ms);
      payload = bad.json;
      if (bad.valid) {
        // Repairable: the truth is what the contract says it means.
        auto outcome = parse_request_event(payload, core);
        BOOST_REQUIRE(outcome.ok && outcome.repaired);
      } else {
        is_valid = false;
        expected_dlq.emplace(expected_reason(bad.kind), payload);
      }
    } else {
      payload = to_json(ev);
    }
    auto status = prod.value().produce(
        "events", static_cast<int32_t>(i % partitions), {}, payload);
    if (!status)
      BOOST_FAIL("produce: " << status.error());
    if (!is_valid)
      continue;
    ++valid;
    auto& w = truth[{core.service, floor_window(core.time_ms)}];
    ++w.count;
    if (core.status_code >= 500)
      ++w.errors;
    w.latencies.push_back(core.latency_ms);
  }
  BOOST_REQUIRE(prod.value().flush(std::chrono::seconds(60)));
  BOOST_REQUIRE_EQUAL(prod.value().failed(), 0u);

  // Drain it with the real binary.
  auto db = dir.file("vigil.db");
  auto result = test::run_process({test::vigil_binary(), "run", "--drain",
                                   "--brokers", brokers, "--topic", "events",
                                   "--group", "drain-test", "--db", db},
                                  std::chrono::minutes(5));
  BOOST_TEST_MESSAGE("vigil run --drain: " << result.out << result.err);
  BOOST_REQUIRE_EQUAL(result.status, 0);
  BOOST_CHECK(result.out.find("drained: events=" + std::to_string(valid) + " ")
              != std::string::npos);
  BOOST_CHECK(
      result.out.find("invalid=" + std::to_string(expected_dlq.size()) + " ")
      != std::string::npos);

  // Every window, exactly.
  auto stored = read_windows(db);
  BOOST_CHECK_EQUAL(stored.size(), truth.size());
  size_t mismatches = 0;
  for (auto& [id, t] : truth) {
    auto i = stored.find(id);
    if (i == stored.end()) {
      if (++mismatches < 10)
        BOOST_ERROR("missing window " << id.first << "@" << id.second);
      continue;
    }
    if (i->second.count != t.count || i->second.errors != t.errors) {
      if (++mismatches < 10)
        BOOST_ERROR("window " << id.first << "@" << id.second << ": count "
                              << i->second.count << " vs " << t.count
                              << ", errors " << i->second.errors << " vs "
                              << t.errors);
      continue;
    }
    std::sort(t.latencies.begin(), t.latencies.end());
    auto rank = static_cast<size_t>(
        std::floor(0.95 * static_cast<double>(t.latencies.size() - 1)));
    auto exact = t.latencies[rank];
    if (std::abs(i->second.p95 - exact) > 0.01 * exact && ++mismatches < 10)
      BOOST_ERROR("window " << id.first << "@" << id.second << ": p95 "
                            << i->second.p95 << " vs exact " << exact);
  }
  BOOST_CHECK_EQUAL(mismatches, 0u);

  // Every rejected event is on the dead-letter topic with its reason.
  auto dlq = read_dead_letters(brokers, "events.dlq", expected_dlq.size());
  BOOST_CHECK_EQUAL(dlq.size(), expected_dlq.size());
  BOOST_CHECK(dlq == expected_dlq);
}
