#include "support/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <utility>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

#include "actors/generator/generator.hpp"
#include "actors/ingest/line_reader.hpp"
#include "actors/ingest/request_event.hpp"
#include "runtime/kafka.hpp"

namespace vigil::test {

namespace {

int64_t floor_window(int64_t t, int64_t size) {
  auto s = t / size * size;
  return t % size < 0 ? s - size : s;
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

} // namespace

namespace {

generator_config stream_config(uint64_t seed) {
  generator_config gs;
  gs.services = 8;
  gs.seed = seed;
  gs.rate = 2000;
  gs.start_ms = 1'790'000'000'000;
  // After the detector's warm-up (120 s of event time): runs of 500k events
  // or more (250 s at 2000 events/s) contain anomalies and an incident.
  gs.incidents.push_back({"payments", incident_kind::errors, 200, 40});
  return gs;
}

} // namespace

struct event_stream::impl {
  produce_spec spec;
  event_generator gen;
  std::optional<kafka::producer> prod;
  ground_truth truth;
  uint64_t next = 0;

  explicit impl(produce_spec s)
      : spec(std::move(s)), gen(stream_config(spec.seed)) {
    auto made = kafka::producer::make(
        spec.brokers, {{"linger.ms", "50"}, {"batch.num.messages", "5000"}});
    if (!made)
      BOOST_FAIL("producer: " << made.error());
    prod.emplace(std::move(made.value()));
  }
};

event_stream::event_stream(produce_spec spec)
    : impl_(std::make_unique<impl>(std::move(spec))) {
  // nop
}

event_stream::~event_stream() = default;

uint64_t event_stream::produced() const noexcept {
  return impl_->next;
}

ground_truth event_stream::truth() const {
  auto out = impl_->truth;
  for (auto& [id, w] : out.windows)
    std::sort(w.latencies.begin(), w.latencies.end());
  return out;
}

ground_truth produce_events(const produce_spec& spec) {
  event_stream stream{spec};
  stream.produce(spec.count);
  return stream.truth();
}

namespace {

/// Event `i` of `spec` as sent, added to `truth`.
std::string make_event(const produce_spec& spec, event_generator& gen,
                       uint64_t i, ground_truth& truth) {
  generated_event ev;
  std::string payload;
  gen.next(ev);
  request_event core = ev.core;
  if (spec.malformed_every > 0
      && i % spec.malformed_every == spec.malformed_every - 1) {
    auto bad = malformed_json(i / spec.malformed_every, ev.core.time_ms);
    payload = bad.json;
    if (!bad.valid) {
      truth.dead_letters.emplace(expected_reason(bad.kind), payload);
      return payload;
    }
    // Repairable: the truth is what the contract says it means.
    auto outcome = parse_request_event(payload, core);
    BOOST_REQUIRE(outcome.ok && outcome.repaired);
  } else {
    payload = to_json(ev);
  }
  ++truth.valid;
  auto& w = truth.windows[{core.service,
                           floor_window(core.time_ms, spec.window_ms)}];
  ++w.count;
  if (core.status_code >= 500)
    ++w.errors;
  w.latencies.push_back(core.latency_ms);
  return payload;
}

} // namespace

void event_stream::produce(uint64_t n) {
  const auto& spec = impl_->spec;
  auto& prod = *impl_->prod;
  for (uint64_t i = impl_->next; i < impl_->next + n; ++i) {
    auto payload = make_event(spec, impl_->gen, i, impl_->truth);
    auto status = prod.produce(
        spec.topic, static_cast<int32_t>(i % spec.partitions), {}, payload);
    if (!status)
      BOOST_FAIL("produce: " << status.error());
  }
  impl_->next += n;
  BOOST_REQUIRE(prod.flush(std::chrono::seconds(60)));
  BOOST_REQUIRE_EQUAL(prod.failed(), 0u);
}

ground_truth
write_events_file(const produce_spec& spec, const std::string& path,
                  const std::function<void(line_writer&, uint64_t)>& between) {
  auto out = line_writer::create(path);
  if (!out)
    BOOST_FAIL("events file: " << out.error());
  event_generator gen{stream_config(spec.seed)};
  ground_truth truth;
  for (uint64_t i = 0; i < spec.count; ++i) {
    if (between)
      between(*out, i);
    auto status = out->write(make_event(spec, gen, i, truth));
    if (!status)
      BOOST_FAIL("events file: " << status.error());
  }
  if (auto status = out->close(); !status)
    BOOST_FAIL("events file: " << status.error());
  for (auto& [id, w] : truth.windows)
    std::sort(w.latencies.begin(), w.latencies.end());
  return truth;
}

void produce_topic(produced_topic& out, int32_t partitions, uint64_t count,
                   uint64_t seed, uint64_t malformed_every) {
  broker_options bo;
  bo.topics.push_back({"events", partitions});
  bo.topics.push_back({"events.dlq", 1});
  auto started = embedded_broker::start(bo);
  if (!started)
    BOOST_FAIL("broker: " << started.error());
  out.broker.emplace(std::move(started.value()));
  out.spec.brokers = out.broker->bootstrap();
  out.spec.topic = "events";
  out.spec.partitions = partitions;
  out.spec.count = count;
  out.spec.seed = seed;
  out.spec.malformed_every = malformed_every;
  out.truth = produce_events(out.spec);
}

namespace {

/// Reads `service_metrics` of a PostgreSQL database with libpq itself (not
/// vigil's reader), times converted back to epoch milliseconds.
std::map<window_id, window_stored> read_pg_windows(const std::string& url) {
  std::map<window_id, window_stored> out;
  PGconn* conn = PQconnectdb(url.c_str());
  BOOST_REQUIRE_MESSAGE(PQstatus(conn) == CONNECTION_OK,
                        "cannot connect: " << PQerrorMessage(conn));
  PGresult* res = PQexec(conn, "SELECT service, (extract(epoch FROM "
                               "window_start) * 1000)::bigint, "
                               "request_count, error_count, p95_latency_ms "
                               "FROM service_metrics");
  BOOST_REQUIRE_MESSAGE(PQresultStatus(res) == PGRES_TUPLES_OK,
                        "query failed: " << PQerrorMessage(conn));
  for (int r = 0; r < PQntuples(res); ++r) {
    window_id id{PQgetvalue(res, r, 0),
                 std::strtoll(PQgetvalue(res, r, 1), nullptr, 10)};
    out[id] = {std::strtoll(PQgetvalue(res, r, 2), nullptr, 10),
               std::strtoll(PQgetvalue(res, r, 3), nullptr, 10),
               std::strtod(PQgetvalue(res, r, 4), nullptr)};
  }
  PQclear(res);
  PQfinish(conn);
  return out;
}

} // namespace

std::map<window_id, window_stored> read_windows(const std::string& db) {
  if (db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0)
    return read_pg_windows(db);
  std::map<window_id, window_stored> out;
  sqlite3* h = nullptr;
  BOOST_REQUIRE_EQUAL(
      sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  BOOST_REQUIRE_EQUAL(sqlite3_prepare_v2(h,
                                         "SELECT service, window_start, "
                                         "request_count, error_count, "
                                         "p95_latency_ms FROM service_metrics",
                                         -1, &st, nullptr),
                      SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    window_id id{reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                 sqlite3_column_int64(st, 1)};
    out[id] = {sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
               sqlite3_column_double(st, 4)};
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

size_t compare_windows(const ground_truth& truth, const std::string& db) {
  auto stored = read_windows(db);
  size_t mismatches = 0;
  auto report = [&](const auto& what) {
    if (++mismatches <= 10)
      BOOST_ERROR(what);
  };
  for (const auto& [id, t] : truth.windows) {
    auto i = stored.find(id);
    auto name = id.first + "@" + std::to_string(id.second);
    if (i == stored.end()) {
      report("missing window " + name);
      continue;
    }
    if (i->second.count != t.count || i->second.errors != t.errors) {
      report("window " + name + ": count " + std::to_string(i->second.count)
             + " vs " + std::to_string(t.count) + ", errors "
             + std::to_string(i->second.errors) + " vs "
             + std::to_string(t.errors));
      continue;
    }
    // Nearest rank: the first latency with at least 95 % at or below it.
    auto need = 0.95 * static_cast<double>(t.latencies.size());
    auto rank
        = static_cast<size_t>(std::max(1.0, std::ceil(need - 1e-9 * need))) - 1;
    auto exact = t.latencies[std::min(rank, t.latencies.size() - 1)];
    if (std::abs(i->second.p95 - exact) > 0.01 * exact)
      report("window " + name + ": p95 " + std::to_string(i->second.p95)
             + " vs exact " + std::to_string(exact));
  }
  for (const auto& [id, w] : stored)
    if (truth.windows.count(id) == 0)
      report("extra window " + id.first + "@" + std::to_string(id.second));
  return mismatches;
}

std::multiset<std::pair<std::string, std::string>>
read_dead_letters(const std::string& brokers, const std::string& topic,
                  size_t expected) {
  std::multiset<std::pair<std::string, std::string>> out;
  auto consumer = kafka::make_client(
      RD_KAFKA_CONSUMER, brokers,
      {{"group.id", "dlq-reader"}, {"auto.offset.reset", "earliest"}});
  if (!consumer)
    BOOST_FAIL("consumer: " << consumer.error());
  auto* rk = consumer.value().get();
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
  return out;
}

} // namespace vigil::test
