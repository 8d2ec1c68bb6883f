#define BOOST_TEST_MODULE api_shapes
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "actors/ingest/kafka_source.hpp"
#include "actors/node/metrics.hpp"
#include "actors/node/node_http.hpp"
#include "actors/sink/store.hpp"
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

  /// GETs `target` and checks the answer against the shape of `route`.
  void check(const std::string& route, const std::string& target) {
    httplib::Client client{"127.0.0.1", server->port()};
    auto res = client.Get(target.c_str());
    BOOST_REQUIRE_MESSAGE(res, target);
    BOOST_REQUIRE_EQUAL(res->status, 200);
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    auto errors = test::shape_errors(schema, schema["routes"][route], body);
    BOOST_TEST(errors.empty(), target << ": " << res->body);
    for (const auto& e : errors)
      BOOST_TEST_MESSAGE(e);
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
}

BOOST_AUTO_TEST_CASE(the_schema_tells_a_wrong_shape_apart) {
  auto errors = test::shape_errors(
      schema, schema["routes"]["/api/services"],
      nlohmann::json::parse(R"({"services": [{"service": 7}]})"));
  BOOST_TEST(errors.size() > 1u);
}

BOOST_AUTO_TEST_SUITE_END()
