#define BOOST_TEST_MODULE api_shapes
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "actors/ingest/kafka_source.hpp"
#include "actors/node/metrics.hpp"
#include "actors/node/node_http.hpp"
#include "actors/sink/store.hpp"
#include "runtime/event_kind.hpp"
#include "runtime/http_server.hpp"
#include "support/json_shape.hpp"

// The answers of /api/* conform to schemas/api.schema.json.

using namespace vigil;
namespace fs = std::filesystem;

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

struct fixture {
  fs::path dir = fs::temp_directory_path()
                 / ("vigil-api-shapes-" + std::to_string(::getpid()) + "-"
                    + std::to_string(std::random_device{}()));
  std::string db = (dir / "vigil.db").string();
  nlohmann::json schema = test::read_schema("api.schema.json");
  std::unique_ptr<http_server> server;

  fixture() {
    BOOST_REQUIRE_MESSAGE(schema.is_object(), "schemas/api.schema.json");
    fs::create_directories(dir);
    auto store = metrics_store::open(db);
    BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
    auto t = now_ms() - 60'000;
    result_batch batch;
    window_row row;
    row.service = "checkout";
    row.window_start = t;
    row.window_end = t + 10'000;
    row.request_count = 10;
    row.error_count = 2;
    row.error_rate = 0.2;
    row.avg_latency_ms = 12;
    row.p50_latency_ms = 10;
    row.p95_latency_ms = 30;
    row.p99_latency_ms = 40;
    row.max_latency_ms = 50;
    row.updated_at = t + 11'000;
    row.final = true;
    batch.rows.push_back(row);
    batch.anomalies.push_back({"checkout", t, "error_rate", 0.2, 0.01, 9,
                               "high", "ewma", t + 11'000});
    batch.incidents.push_back(
        {1, "checkout", t, 0, "high", 1, "checkout fails 20% of requests"});
    batch.incidents.push_back(
        {2, "search", t - 60'000, t, "low", 2, "search was slow"});
    auto committed = store->commit(batch, "events", t + 12'000, "events.dlq");
    BOOST_REQUIRE_MESSAGE(committed,
                          (committed ? "" : committed.error().message));
    auto ctx = std::make_shared<node_http_context>();
    ctx->brokers = "127.0.0.1:1";
    ctx->db = db;
    ctx->metrics = std::make_shared<metric_factory>(node_label_sets());
    ctx->source = std::make_shared<source_status>();
    ctx->source->assigned = 1;
    ctx->source->lag[0] = 3;
    auto started = http_server::start("127.0.0.1", 0);
    BOOST_REQUIRE_MESSAGE(started, (started ? "" : started.error()));
    server = std::move(*started);
    install_node_routes(*server, ctx);
  }

  ~fixture() {
    server.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  /// GETs `target` and checks the answer against the shape of `route`;
  /// returns the answer.
  nlohmann::json check(const std::string& route, const std::string& target) {
    return check_shape(schema, *server, route, target);
  }

  static nlohmann::json check_shape(const nlohmann::json& schema,
                                    const http_server& server,
                                    const std::string& route,
                                    const std::string& target) {
    httplib::Client client{"127.0.0.1", server.port()};
    auto res = client.Get(target.c_str());
    BOOST_REQUIRE_MESSAGE(res, target);
    BOOST_REQUIRE_EQUAL(res->status, 200);
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    auto errors = test::shape_errors(schema, schema["routes"][route], body);
    BOOST_TEST(errors.empty(), target << ": " << res->body);
    for (const auto& e : errors)
      BOOST_TEST_MESSAGE(e);
    return body;
  }
};

/// What the subset checker of json_shape.hpp leaves out: the
/// additionalProperties of a kind window, i.e. every value column of
/// /api/kind is there, a number or null, and nothing else; every key column
/// has a string value.
void check_kind_window(const nlohmann::json& kind, const nlohmann::json& w) {
  BOOST_TEST_REQUIRE(w["values"].is_object());
  BOOST_TEST(w["values"].size() == kind["columns"].size(), w.dump());
  for (const auto& c : kind["columns"]) {
    auto name = c.get<std::string>();
    BOOST_TEST_REQUIRE(w["values"].contains(name), name << " in " << w.dump());
    const auto& v = w["values"][name];
    BOOST_TEST((v.is_number() || v.is_null()), name << " in " << w.dump());
  }
  BOOST_TEST(w["key_values"].size() == kind["keys"].size(), w.dump());
  std::string joined;
  for (const auto& k : kind["keys"]) {
    const auto& v = w["key_values"][k.get<std::string>()];
    BOOST_TEST_REQUIRE(v.is_string(), k << " in " << w.dump());
    joined += (joined.empty() ? "" : "|") + v.get<std::string>();
  }
  BOOST_TEST(w["key"].get<std::string>() == joined);
}

/// A trade node's database (trade_candles) and its API: two candles of
/// SYM0002 on XNAS, one of SYM0001 on XNYS, one anomaly.
struct trade_fixture {
  fs::path dir = fs::temp_directory_path()
                 / ("vigil-api-kind-" + std::to_string(::getpid()) + "-"
                    + std::to_string(std::random_device{}()));
  std::string db = (dir / "vigil.db").string();
  nlohmann::json schema = test::read_schema("api.schema.json");
  std::unique_ptr<http_server> server;
  /// The older candle starts 150 s ago, the newer 90 s ago.
  int64_t t = now_ms() - 150'000;

  static window_row candle(const std::string& key, int64_t start, int64_t n,
                           std::vector<double> values) {
    window_row row;
    row.service = key;
    row.window_start = start;
    row.window_end = start + 60'000;
    row.request_count = n;
    row.values = std::move(values);
    row.updated_at = start + 61'000;
    row.final = true;
    return row;
  }

  trade_fixture() {
    fs::create_directories(dir);
    auto kind = load_kind_schema("trade");
    BOOST_REQUIRE_MESSAGE(kind, (kind ? "" : kind.error()));
    auto store = metrics_store::open(db);
    BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
    BOOST_REQUIRE(store->use_kind(*kind));
    result_batch batch;
    // open, high, low, close, vwap, size
    batch.rows.push_back(
        candle("SYM0002|XNAS", t, 12, {100, 104, 99, 103, 101.5, 1200}));
    batch.rows.push_back(candle("SYM0002|XNAS", t + 60'000, 9,
                                {103, 112, 102.5, 111, 108.25, 900}));
    batch.rows.push_back(
        candle("SYM0001|XNYS", t + 60'000, 3, {50, 50.5, 49.5, 50, 50, 30}));
    batch.anomalies.push_back({"SYM0002|XNAS", t + 60'000, "price", 111, 103,
                               0.9, "high", "jump", t + 61'000});
    auto committed = store->commit(batch, "events", t + 62'000, "events.dlq");
    BOOST_REQUIRE_MESSAGE(committed,
                          (committed ? "" : committed.error().message));
    auto ctx = std::make_shared<node_http_context>();
    ctx->brokers = "127.0.0.1:1";
    ctx->db = db;
    ctx->metrics = std::make_shared<metric_factory>(node_label_sets());
    ctx->source = std::make_shared<source_status>();
    ctx->schema = std::make_shared<const kind_schema>(std::move(*kind));
    auto started = http_server::start("127.0.0.1", 0);
    BOOST_REQUIRE_MESSAGE(started, (started ? "" : started.error()));
    server = std::move(*started);
    install_node_routes(*server, ctx);
  }

  ~trade_fixture() {
    server.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  nlohmann::json check(const std::string& route, const std::string& target) {
    return fixture::check_shape(schema, *server, route, target);
  }

  /// GETs `target`; the status and the parsed body.
  std::pair<int, nlohmann::json> get(const std::string& target) {
    httplib::Client client{"127.0.0.1", server->port()};
    auto res = client.Get(target.c_str());
    BOOST_REQUIRE_MESSAGE(res, target);
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(api_shapes, fixture)

BOOST_AUTO_TEST_CASE(every_api_route_answers_in_the_shape_of_the_schema) {
  check("/api/services", "/api/services");
  check("/api/windows", "/api/windows?service=checkout&minutes=60");
  check("/api/anomalies", "/api/anomalies?minutes=60");
  check("/api/incidents", "/api/incidents?minutes=60");
  check("/api/status", "/api/status");
  check("/api/kind/keys", "/api/kind/keys");
  check("/api/kind/windows", "/api/kind/windows?key=checkout&minutes=60");
}

BOOST_AUTO_TEST_CASE(a_request_node_describes_its_kind_as_service_metrics) {
  auto kind = check("/api/kind", "/api/kind");
  BOOST_TEST(kind["kind"] == "request");
  BOOST_TEST(kind["table"] == "service_metrics");
  BOOST_TEST(kind["keys"] == nlohmann::json::array({"service"}));
  BOOST_TEST(kind["count_column"] == "request_count");
  auto columns = kind["columns"];
  BOOST_TEST(std::count(columns.begin(), columns.end(), "error_rate") == 1);
  BOOST_TEST(std::count(columns.begin(), columns.end(), "p95_latency_ms") == 1);
  BOOST_TEST(!kind["description"].get<std::string>().empty());
  // The service_metrics rows through the kind routes.
  auto keys = check("/api/kind/keys", "/api/kind/keys")["keys"];
  BOOST_TEST_REQUIRE(keys.size() == 1u);
  check_kind_window(kind, keys[0]);
  BOOST_TEST(keys[0]["key"] == "checkout");
  BOOST_TEST(keys[0]["event_count"] == 10);
  BOOST_TEST(keys[0]["values"]["error_rate"].get<double>() == 0.2);
  BOOST_TEST(keys[0]["values"]["p95_latency_ms"].get<double>() == 30);
  auto windows
      = check("/api/kind/windows", "/api/kind/windows?key=checkout")["windows"];
  BOOST_TEST_REQUIRE(windows.size() == 1u);
  BOOST_TEST(windows[0] == keys[0]);
  // The request routes are as they were.
  auto services = check("/api/services", "/api/services")["services"];
  BOOST_TEST_REQUIRE(services.size() == 1u);
  BOOST_TEST(services[0]["request_count"] == 10);
  BOOST_TEST(!services[0].contains("values"));
}

BOOST_AUTO_TEST_CASE(the_schema_tells_a_wrong_shape_apart) {
  auto errors = test::shape_errors(
      schema, schema["routes"]["/api/services"],
      nlohmann::json::parse(R"({"services": [{"service": 7}]})"));
  BOOST_TEST(errors.size() > 1u);
}

BOOST_AUTO_TEST_CASE(the_schema_tells_a_wrong_kind_window_apart) {
  auto errors = test::shape_errors(
      schema, schema["routes"]["/api/kind/keys"],
      nlohmann::json::parse(
          R"({"kind": "trade", "keys": [{"key": 1, "window_start": 0}]})"));
  BOOST_TEST(errors.size() > 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(kind_api, trade_fixture)

BOOST_AUTO_TEST_CASE(a_trade_node_describes_its_kind) {
  auto kind = check("/api/kind", "/api/kind");
  BOOST_TEST(kind["kind"] == "trade");
  BOOST_TEST(kind["table"] == "trade_candles");
  BOOST_TEST(kind["keys"] == nlohmann::json::array({"symbol", "exchange"}));
  BOOST_TEST(kind["count_column"] == "event_count");
  BOOST_TEST(
      kind["columns"]
      == nlohmann::json::array({"price_open", "price_high", "price_low",
                                "price_close", "price_vwap", "size_sum"}));
  BOOST_TEST_REQUIRE(kind["measures"].size() == 2u);
  BOOST_TEST(kind["measures"][0]["name"] == "price");
  BOOST_TEST(kind["measures"][0]["columns"].size() == 5u);
  BOOST_TEST(kind["measures"][1]["columns"]
             == nlohmann::json::array({"size_sum"}));
  BOOST_TEST(kind["measures"][0]["healthy"].is_null());
  // The request routes read the (empty) service_metrics.
  BOOST_TEST(check("/api/services", "/api/services")["services"].empty());
}

BOOST_AUTO_TEST_CASE(a_sensor_node_names_its_healthy_bands) {
  auto kind = load_kind_schema("sensor");
  BOOST_REQUIRE(kind);
  auto ctx = std::make_shared<node_http_context>();
  ctx->db = db;
  ctx->metrics = std::make_shared<metric_factory>(node_label_sets());
  ctx->schema = std::make_shared<const kind_schema>(std::move(*kind));
  auto started = http_server::start("127.0.0.1", 0);
  BOOST_REQUIRE(started);
  install_node_routes(**started, ctx);
  auto body = fixture::check_shape(schema, **started, "/api/kind", "/api/kind");
  BOOST_TEST(body["kind"] == "sensor");
  BOOST_TEST(body["columns"].size() == 16u);
  BOOST_TEST_REQUIRE(body["measures"].size() == 4u);
  BOOST_TEST(body["measures"][0]["name"] == "ph");
  BOOST_TEST(
      body["measures"][0]["columns"]
      == nlohmann::json::array({"ph_mean", "ph_min", "ph_max", "ph_last"}));
  BOOST_TEST(body["measures"][0]["healthy"]["low"].get<double>() == 5.5);
  BOOST_TEST(body["measures"][0]["healthy"]["high"].get<double>() == 7.5);
  // No sensor_metrics in this database: the kind routes say so.
  httplib::Client client{"127.0.0.1", (*started)->port()};
  auto res = client.Get("/api/kind/keys");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 503);
}

BOOST_AUTO_TEST_CASE(keys_answer_the_latest_candle_of_every_key) {
  auto kind = get("/api/kind").second;
  auto body = check("/api/kind/keys", "/api/kind/keys");
  BOOST_TEST(body["kind"] == "trade");
  auto keys = body["keys"];
  BOOST_TEST_REQUIRE(keys.size() == 2u);
  for (const auto& k : keys)
    check_kind_window(kind, k);
  // Ordered by key; each its latest window.
  BOOST_TEST(keys[0]["key"] == "SYM0001|XNYS");
  BOOST_TEST(keys[1]["key"] == "SYM0002|XNAS");
  BOOST_TEST(keys[1]["key_values"]["symbol"] == "SYM0002");
  BOOST_TEST(keys[1]["key_values"]["exchange"] == "XNAS");
  BOOST_TEST(keys[1]["window_start"] == t + 60'000);
  BOOST_TEST(keys[1]["window_end"] == t + 120'000);
  BOOST_TEST(keys[1]["event_count"] == 9);
  BOOST_TEST(keys[1]["updated_at"] == t + 121'000);
  BOOST_TEST(keys[1]["values"]["price_open"].get<double>() == 103);
  BOOST_TEST(keys[1]["values"]["price_high"].get<double>() == 112);
  BOOST_TEST(keys[1]["values"]["price_low"].get<double>() == 102.5);
  BOOST_TEST(keys[1]["values"]["price_close"].get<double>() == 111);
  BOOST_TEST(keys[1]["values"]["price_vwap"].get<double>() == 108.25);
  BOOST_TEST(keys[1]["values"]["size_sum"].get<double>() == 900);
}

BOOST_AUTO_TEST_CASE(windows_answer_the_candles_of_one_key_oldest_first) {
  auto kind = get("/api/kind").second;
  auto body = check("/api/kind/windows",
                    "/api/kind/windows?key=SYM0002%7CXNAS&minutes=60");
  BOOST_TEST(body["key"] == "SYM0002|XNAS");
  auto windows = body["windows"];
  BOOST_TEST_REQUIRE(windows.size() == 2u);
  for (const auto& w : windows)
    check_kind_window(kind, w);
  BOOST_TEST(windows[0]["window_start"] == t);
  BOOST_TEST(windows[0]["values"]["price_open"].get<double>() == 100);
  BOOST_TEST(windows[0]["values"]["price_close"].get<double>() == 103);
  BOOST_TEST(windows[1]["window_start"] == t + 60'000);
  // `minutes` looks back from now: only the newer candle is within 2.
  auto recent = get("/api/kind/windows?key=SYM0002%7CXNAS&minutes=2");
  BOOST_TEST(recent.first == 200);
  BOOST_TEST(recent.second["windows"].size() == 1u);
  // Another key, an unknown key.
  BOOST_TEST(
      get("/api/kind/windows?key=SYM0001%7CXNYS").second["windows"].size()
      == 1u);
  BOOST_TEST(
      get("/api/kind/windows?key=SYM9999%7CXNAS").second["windows"].empty());
  // The anomaly is under the joined key.
  auto anomalies = check("/api/anomalies", "/api/anomalies?minutes=60");
  BOOST_TEST_REQUIRE(anomalies["anomalies"].size() == 1u);
  BOOST_TEST(anomalies["anomalies"][0]["service"] == "SYM0002|XNAS");
}

BOOST_AUTO_TEST_CASE(a_key_of_the_wrong_arity_or_none_is_a_bad_request) {
  for (const char* target :
       {"/api/kind/windows", "/api/kind/windows?key=",
        "/api/kind/windows?key=SYM0002", "/api/kind/windows?key=A%7CB%7CC",
        "/api/kind/windows?key=SYM0002%7CXNAS&minutes=0"}) {
    auto [status, body] = get(target);
    BOOST_TEST(status == 400, target);
    BOOST_TEST(body["error"].is_string(), target);
  }
  auto [status, body] = get("/api/kind/windows?key=SYM0002");
  BOOST_TEST(body["error"].get<std::string>().find("symbol|exchange")
                 != std::string::npos,
             body.dump());
}

BOOST_AUTO_TEST_SUITE_END()
