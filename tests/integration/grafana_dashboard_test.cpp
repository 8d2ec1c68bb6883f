#define BOOST_TEST_MODULE grafana_dashboard
#include <boost/test/unit_test.hpp>

// The monitoring files of deploy/ against the real thing: Debian's Prometheus
// runs deploy/prometheus/prometheus.yml (scrape target and rules path pointed
// at this test's node) while it scrapes a live node that consumes a topic.
// Every PromQL expression of the Grafana dashboard
// (deploy/grafana/dashboards/vigil.json), its Grafana variables replaced by
// concrete values, must return data; every alerting rule must load, evaluate
// without error and parse as a query.

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "actors/node/metrics.hpp"
#include "integration/node_fixture.hpp"

using namespace vigil;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

constexpr const char* prometheus_binary = "/usr/bin/prometheus";

std::string source_dir() {
  if (auto dir = std::getenv("VIGIL_SOURCE_DIR"))
    return dir;
  std::string file = __FILE__; // <root>/tests/integration/<this file>
  return file.substr(0, file.rfind("/tests/integration/"));
}

/// Replaces every `from` in `text`; returns how many.
size_t replace_all(std::string& text, const std::string& from,
                   const std::string& to) {
  size_t n = 0;
  for (auto at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
    ++n;
  }
  return n;
}

/// One PromQL expression of the dashboard and where it is.
struct dashboard_query {
  std::string where;
  std::string expr;
};

/// Collects the `expr` of every target of every panel (rows included; SQL
/// panels apart) and
/// the query of every `label_values(QUERY, label)` variable.
void collect(const json& panels, std::vector<dashboard_query>& out) {
  for (const auto& p : panels) {
    if (p.contains("panels"))
      collect(p["panels"], out);
    if (!p.contains("targets"))
      continue;
    // SQL panels on the PostgreSQL datasource run in postgres_test.
    if (p.contains("datasource")
        && p["datasource"].value("uid", std::string{}) == "vigil-postgres")
      continue;
    for (const auto& t : p["targets"]) {
      BOOST_REQUIRE_MESSAGE(t.contains("expr"),
                            "panel '" << p.value("title", "?")
                                      << "' has a target without a PromQL "
                                         "expr");
      out.push_back({"panel '" + p.value("title", std::string{"?"}) + "' "
                         + t.value("refId", std::string{"?"}),
                     t["expr"].get<std::string>()});
    }
  }
}

/// Grafana's variables replaced by values a plain Prometheus query accepts.
std::string concrete(std::string expr) {
  replace_all(expr, "$__rate_interval", "1m");
  replace_all(expr, "$__interval", "15s");
  replace_all(expr, "$__range", "5m");
  replace_all(expr, "$instance", ".+");
  replace_all(expr, "$service", ".+");
  return expr;
}

/// vigil_* metric names an expression reads (histogram series suffixes
/// removed), e.g. {"vigil_db_write_seconds"}.
std::set<std::string> vigil_metrics_of(const std::string& expr) {
  std::set<std::string> result;
  std::regex name{"vigil_[a-z0-9_]+"};
  for (std::sregex_iterator i{expr.begin(), expr.end(), name}, end; i != end;
       ++i) {
    auto n = i->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s{suffix};
      if (n.size() > s.size()
          && n.compare(n.size() - s.size(), s.size(), s) == 0
          && n.find("_seconds") != std::string::npos) {
        n.resize(n.size() - s.size());
        break;
      }
    }
    result.insert(n);
  }
  return result;
}

/// POSTs an instant query; returns the parsed answer (null on failure).
json query(int port, const std::string& promql) {
  httplib::Client client{"127.0.0.1", port};
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(10));
  httplib::Params params{{"query", promql}};
  auto res = client.Post("/api/v1/query", params);
  if (!res)
    return nullptr;
  auto doc = json::parse(res->body, nullptr, false);
  return doc.is_discarded() ? json(nullptr) : doc;
}

bool success(const json& answer) {
  return answer.is_object() && answer.value("status", "") == "success";
}

bool has_data(const json& answer) {
  if (!success(answer))
    return false;
  const auto& result = answer["data"]["result"];
  return result.is_array() && !result.empty();
}

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(grafana_dashboard, test::node_fixture)

BOOST_AUTO_TEST_CASE(every_dashboard_query_returns_data_and_every_rule_loads) {
  BOOST_REQUIRE_MESSAGE(::access(prometheus_binary, X_OK) == 0,
                        prometheus_binary
                            << " is missing: this test needs a real "
                               "Prometheus; run deploy/install-deps.sh "
                               "(Debian package 'prometheus')");
  auto root = source_dir();
  auto dashboard_text
      = read_text(root + "/deploy/grafana/dashboards/vigil.json");
  auto dashboard = json::parse(dashboard_text, nullptr, false);
  BOOST_REQUIRE_MESSAGE(dashboard.is_object(),
                        "deploy/grafana/dashboards/vigil.json is not JSON");
  std::vector<dashboard_query> queries;
  collect(dashboard["panels"], queries);
  std::regex label_values{R"(^label_values\((.+),\s*[a-z_]+\)$)"};
  for (const auto& v : dashboard["templating"]["list"]) {
    if (v.value("type", "") != "query")
      continue;
    auto q = v["query"].is_object() ? v["query"]["query"].get<std::string>()
                                    : v["query"].get<std::string>();
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_match(q, m, label_values),
                          "variable " << v["name"]
                                      << ": not label_values(): " << q);
    queries.push_back({"variable $" + v["name"].get<std::string>(), m[1]});
  }
  BOOST_REQUIRE_GE(queries.size(), 20u);

  // The families this build exports; a query on a family it does not export
  // yet can only be checked to parse.
  std::set<std::string> exported;
  for (const auto& info : metric_catalog())
    exported.emplace(info.name);

  // A node that consumed a topic of several services, its results stored.
  start(2, 20000);
  BOOST_REQUIRE(wait_for_metric("vigil_events_consumed_total",
                                static_cast<double>(truth.valid), 90s));

  // deploy/prometheus/prometheus.yml, pointed at this node and at the rules
  // of this source tree, scraping and evaluating every second.
  auto config = read_text(root + "/deploy/prometheus/prometheus.yml");
  BOOST_REQUIRE_EQUAL(replace_all(config, "\"vigil:8080\"",
                                  "\"127.0.0.1:" + std::to_string(port) + "\""),
                      1u);
  BOOST_REQUIRE_EQUAL(
      replace_all(config, "- vigil-rules.yml",
                  "- " + root + "/deploy/prometheus/vigil-rules.yml"),
      1u);
  BOOST_REQUIRE_EQUAL(replace_all(config, "_interval: 15s", "_interval: 1s"),
                      2u);
  std::ofstream{dir.file("prometheus.yml")} << config;
  auto prom = test::start_prometheus(prometheus_binary,
                                     dir.file("prometheus.yml"), dir);
  auto prom_port = prom.port;

  // Per-service series exist once the node's results are scraped (and rate()
  // needs two scrapes).
  BOOST_REQUIRE_MESSAGE(
      test::wait_until(60s,
                       [&] {
                         return has_data(query(prom_port,
                                               "count_over_time(vigil_service_"
                                               "requests_per_second[1m]) > 2"));
                       }),
      "no vigil_service_requests_per_second scraped; "
      "prometheus log: "
          << test::read_file(dir.file("prometheus.err")));

  for (const auto& q : queries) {
    auto promql = concrete(q.expr);
    BOOST_TEST_CONTEXT(q.where << ": " << promql) {
      BOOST_CHECK_MESSAGE(promql.find('$') == std::string::npos,
                          "a Grafana variable is left");
      std::vector<std::string> missing;
      for (const auto& name : vigil_metrics_of(promql))
        if (exported.count(name) == 0)
          missing.push_back(name);
      json answer;
      if (!missing.empty()) {
        answer = query(prom_port, promql);
        BOOST_CHECK_MESSAGE(success(answer), "query failed: " << answer);
        BOOST_TEST_MESSAGE(q.where << " reads " << missing.front()
                                   << ", not exported by this build: "
                                      "checked to parse only");
        continue;
      }
      bool ok = test::wait_until(30s, [&] {
        answer = query(prom_port, promql);
        return has_data(answer);
      });
      BOOST_CHECK_MESSAGE(ok, "no data: " << answer);
    }
  }

  // Every rule of vigil-rules.yml loaded, evaluated without error, and its
  // expression parses as a query.
  auto rules_text = read_text(root + "/deploy/prometheus/vigil-rules.yml");
  std::regex alert_line{R"((^|\n)\s*- alert: )"};
  long alerts_in_file = std::distance(
      std::sregex_iterator{rules_text.begin(), rules_text.end(), alert_line},
      std::sregex_iterator{});
  BOOST_REQUIRE_GE(alerts_in_file, 8);
  json rules;
  bool evaluated = test::wait_until(60s, [&] {
    auto answer = test::http_get("127.0.0.1", prom_port, "/api/v1/rules");
    rules = json::parse(answer.body, nullptr, false);
    if (!success(rules))
      return false;
    long n = 0;
    for (const auto& g : rules["data"]["groups"])
      for (const auto& r : g["rules"]) {
        if (r.value("health", "") != "ok")
          return false;
        ++n;
      }
    return n == alerts_in_file;
  });
  BOOST_REQUIRE_MESSAGE(evaluated,
                        "rules not all loaded and healthy: "
                            << rules << "\nprometheus log: "
                            << test::read_file(dir.file("prometheus.err")));
  for (const auto& g : rules["data"]["groups"])
    for (const auto& r : g["rules"]) {
      auto name = r.value("name", std::string{"?"});
      auto promql = r.value("query", std::string{});
      BOOST_TEST_CONTEXT("rule " << name << ": " << promql) {
        BOOST_CHECK_EQUAL(r.value("type", ""), "alerting");
        BOOST_CHECK(!promql.empty());
        auto answer = query(prom_port, promql);
        BOOST_CHECK_MESSAGE(success(answer), "query failed: " << answer);
      }
    }

  prom.process->signal(SIGTERM);
  if (prom.process->wait(30s) == -1000)
    prom.process->signal(SIGKILL);
}

BOOST_AUTO_TEST_SUITE_END()
