#define BOOST_TEST_MODULE generator
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/generator/generator.hpp"

using namespace vigil;

namespace {

// 2026-01-11T23:09:52.214Z
constexpr int64_t t0_ms = 1768172992214;

generator_config make_settings(uint64_t seed) {
  generator_config settings;
  settings.seed = seed;
  settings.start_ms = t0_ms;
  settings.rate = 100;
  return settings;
}

std::vector<std::string> take(event_generator& gen, size_t n) {
  std::vector<std::string> result;
  for (size_t i = 0; i < n; ++i)
    result.push_back(gen.next_json());
  return result;
}

/// Counts of one service's events inside and outside [from_s, to_s).
struct split_stats {
  size_t inside = 0;
  size_t inside_errors = 0;
  std::vector<double> inside_latency;
  size_t outside = 0;
  size_t outside_errors = 0;
  std::vector<double> outside_latency;
};

split_stats collect(event_generator& gen, const std::string& service,
                    double from_s, double to_s, size_t n = 20000) {
  split_stats stats;
  generated_event ev;
  for (size_t i = 0; i < n; ++i) {
    auto base = gen.nominal_time_ms(gen.index());
    gen.next(ev);
    if (ev.core.service != service)
      continue;
    double rel_s = static_cast<double>(base - t0_ms) / 1000.0;
    bool inside = rel_s >= from_s && rel_s < to_s;
    (inside ? stats.inside : stats.outside) += 1;
    if (ev.core.is_error())
      (inside ? stats.inside_errors : stats.outside_errors) += 1;
    (inside ? stats.inside_latency : stats.outside_latency)
        .push_back(ev.core.latency_ms);
  }
  return stats;
}

double median(std::vector<double> xs) {
  BOOST_REQUIRE(!xs.empty());
  std::nth_element(xs.begin(), xs.begin() + xs.size() / 2, xs.end());
  return xs[xs.size() / 2];
}

} // namespace

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_sequence) {
  event_generator a{make_settings(42)};
  event_generator b{make_settings(42)};
  BOOST_TEST(take(a, 500) == take(b, 500), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(different_seeds_give_different_sequences) {
  event_generator a{make_settings(1)};
  event_generator b{make_settings(2)};
  auto xs = take(a, 100);
  auto ys = take(b, 100);
  size_t same = 0;
  for (size_t i = 0; i < xs.size(); ++i)
    same += xs[i] == ys[i] ? 1 : 0;
  BOOST_TEST(same == 0u);
}

BOOST_AUTO_TEST_CASE(every_generated_event_is_a_valid_contract_event) {
  auto settings = make_settings(7);
  settings.services = 10;
  event_generator gen{settings};
  std::set<std::string> names;
  for (size_t i = 0; i < settings.services; ++i)
    names.insert(event_generator::service_name(i));
  std::regex rfc3339{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"};
  std::set<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    auto text = gen.next_json();
    auto doc = nlohmann::json::parse(text, nullptr, false);
    BOOST_REQUIRE_MESSAGE(!doc.is_discarded(), text);
    BOOST_REQUIRE(doc.is_object());
    BOOST_REQUIRE(doc["timestamp"].is_string());
    BOOST_TEST(std::regex_match(doc["timestamp"].get<std::string>(), rfc3339));
    BOOST_REQUIRE(doc["service"].is_string());
    BOOST_TEST(names.count(doc["service"].get<std::string>()) == 1u);
    BOOST_REQUIRE(doc["status_code"].is_number_integer());
    auto status = doc["status_code"].get<int>();
    BOOST_TEST((status >= 100 && status <= 599));
    BOOST_REQUIRE(doc["latency_ms"].is_number());
    BOOST_TEST(doc["latency_ms"].get<double>() >= 0.0);
    for (const char* field :
         {"endpoint", "event_id", "trace_id", "region", "host"}) {
      BOOST_REQUIRE(doc[field].is_string());
      BOOST_TEST(!doc[field].get<std::string>().empty());
    }
    BOOST_TEST(doc["trace_id"].get<std::string>().size() == 32u);
    ids.insert(doc["event_id"].get<std::string>());
  }
  BOOST_TEST(ids.size() == 2000u);
}

BOOST_AUTO_TEST_CASE(the_timestamp_text_is_the_event_time_in_utc) {
  auto settings = make_settings(1);
  settings.max_jitter_ms = 0;
  event_generator gen{settings};
  auto doc = nlohmann::json::parse(gen.next_json());
  BOOST_TEST(doc["timestamp"].get<std::string>() == "2026-01-11T23:09:52.214Z");
  generated_event ev;
  ev.core.time_ms = 951782400000; // 2000-02-29T00:00:00.000Z
  ev.core.service = "a\"b";
  BOOST_TEST(to_json(ev).find("\"timestamp\":\"2000-02-29T00:00:00.000Z\"")
             != std::string::npos);
  BOOST_TEST(to_json(ev).find(R"("service":"a\"b")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(event_times_follow_the_rate_at_most_jitter_out_of_order) {
  auto settings = make_settings(3);
  settings.rate = 50;
  settings.max_jitter_ms = 200;
  event_generator gen{settings};
  generated_event ev;
  int64_t max_seen = 0;
  int64_t worst_disorder = 0;
  for (uint64_t i = 0; i < 5000; ++i) {
    gen.next(ev);
    auto nominal = t0_ms + static_cast<int64_t>(i) * 20;
    BOOST_TEST(ev.core.time_ms <= nominal);
    BOOST_TEST(ev.core.time_ms >= nominal - 200);
    worst_disorder = std::max(worst_disorder, max_seen - ev.core.time_ms);
    max_seen = std::max(max_seen, ev.core.time_ms);
  }
  BOOST_TEST(worst_disorder > 0);
  BOOST_TEST(worst_disorder <= 200);
}

BOOST_AUTO_TEST_CASE(service_names_are_the_known_eight_then_numbered) {
  BOOST_TEST(event_generator::service_name(0) == "checkout");
  BOOST_TEST(event_generator::service_name(7) == "recommendations");
  BOOST_TEST(event_generator::service_name(8) == "service-9");
  BOOST_TEST(event_generator::service_name(11) == "service-12");
  event_generator gen{make_settings(1)};
  BOOST_TEST(gen.services().size() == 8u);
  for (const auto& p : gen.services()) {
    BOOST_TEST(p.error_rate >= 0.001);
    BOOST_TEST(p.error_rate <= 0.02);
  }
}

BOOST_AUTO_TEST_CASE(errors_are_5xx_and_client_errors_occur_without_counting) {
  event_generator gen{make_settings(11)};
  generated_event ev;
  size_t client = 0;
  size_t server = 0;
  std::set<int> codes;
  for (int i = 0; i < 20000; ++i) {
    gen.next(ev);
    codes.insert(ev.core.status_code);
    if (ev.core.status_code >= 400 && ev.core.status_code < 500)
      ++client;
    if (ev.core.is_error()) {
      ++server;
      auto s = ev.core.status_code;
      BOOST_TEST((s == 500 || s == 502 || s == 503 || s == 504));
    }
  }
  BOOST_TEST(codes.count(200) == 1u);
  BOOST_TEST(codes.count(201) == 1u);
  BOOST_TEST(codes.count(204) == 1u);
  BOOST_TEST(client > 20000u * 4 / 100);
  BOOST_TEST(server > 0u);
  BOOST_TEST(server < 20000u * 3 / 100);
}

BOOST_AUTO_TEST_CASE(an_errors_incident_raises_the_error_rate_only_inside) {
  auto settings = make_settings(5);
  settings.incidents.push_back({"payments", incident_kind::errors, 60, 60});
  event_generator gen{settings};
  auto stats = collect(gen, "payments", 60, 120);
  BOOST_REQUIRE(stats.inside > 200u);
  BOOST_REQUIRE(stats.outside > 1000u);
  double inside = double(stats.inside_errors) / double(stats.inside);
  double outside = double(stats.outside_errors) / double(stats.outside);
  BOOST_TEST(inside > 0.3);
  BOOST_TEST(inside < 0.5);
  BOOST_TEST(outside < 0.03);
  // Other services are unaffected during the incident.
  event_generator again{settings};
  auto other = collect(again, "search", 60, 120);
  BOOST_TEST(double(other.inside_errors) / double(other.inside) < 0.05);
}

BOOST_AUTO_TEST_CASE(a_latency_incident_multiplies_latency_only_inside) {
  auto settings = make_settings(6);
  settings.incidents.push_back({"search", incident_kind::latency, 100, 50});
  event_generator gen{settings};
  auto stats = collect(gen, "search", 100, 150);
  double ratio = median(stats.inside_latency) / median(stats.outside_latency);
  BOOST_TEST(ratio > 6.0);
  BOOST_TEST(ratio < 10.0);
  BOOST_TEST(double(stats.inside_errors) / double(stats.inside) < 0.05);
}

BOOST_AUTO_TEST_CASE(a_drop_incident_silences_its_service_only_inside) {
  auto settings = make_settings(8);
  settings.incidents.push_back({"auth", incident_kind::drop, 30, 40});
  event_generator gen{settings};
  auto stats = collect(gen, "auth", 30, 70);
  BOOST_TEST(stats.inside == 0u);
  BOOST_TEST(stats.outside > 2000u);
}

BOOST_AUTO_TEST_CASE(incident_specs_parse_into_service_kind_and_times) {
  auto inc = parse_incident("payments:errors:60:120");
  BOOST_REQUIRE(inc.has_value());
  BOOST_TEST(inc->service == "payments");
  BOOST_TEST((inc->kind == incident_kind::errors));
  BOOST_TEST(inc->start_s == 60.0);
  BOOST_TEST(inc->duration_s == 120.0);
  auto lat = parse_incident("search:latency:0.5:2.5");
  BOOST_REQUIRE(lat.has_value());
  BOOST_TEST((lat->kind == incident_kind::latency));
  BOOST_TEST(lat->start_s == 0.5);
  BOOST_TEST((parse_incident("auth:drop:1:1")->kind == incident_kind::drop));
}

BOOST_AUTO_TEST_CASE(bad_incident_specs_are_rejected_with_the_expected_form) {
  for (const char* bad :
       {"payments:errors:60", "payments:errors:60:120:1", ":errors:60:120",
        "payments:crash:60:120", "payments:errors:-1:120",
        "payments:errors:60:0", "payments:errors:abc:120",
        "payments:errors:60:", ""}) {
    auto inc = parse_incident(bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_REQUIRE(!inc.has_value());
      BOOST_TEST(inc.error().find("SERVICE:KIND:START_S:DURATION_S")
                 != std::string::npos);
    }
  }
  BOOST_TEST(parse_incident("payments:crash:1:1").error().find("crash")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_events_cover_each_kind_and_only_repairs_pass) {
  std::set<malformed_kind> kinds;
  for (uint64_t i = 0; i < malformed_kind_count; ++i) {
    auto ev = malformed_json(i, t0_ms);
    kinds.insert(ev.kind);
    auto doc = nlohmann::json::parse(ev.json, nullptr, false);
    switch (ev.kind) {
    case malformed_kind::bad_timestamp:
      BOOST_TEST(doc["timestamp"].get<std::string>().substr(5, 2) == "13");
      BOOST_TEST(!ev.valid);
      break;
    case malformed_kind::double_zone:
      BOOST_TEST(doc["timestamp"].get<std::string>()
                 == "2026-01-11T23:09:52.214+00:00Z");
      BOOST_TEST(ev.valid);
      break;
    case malformed_kind::missing_field:
      BOOST_TEST(!doc.contains("service"));
      BOOST_TEST(!ev.valid);
      break;
    case malformed_kind::not_json:
      BOOST_TEST(doc.is_discarded());
      BOOST_TEST(!ev.valid);
      break;
    case malformed_kind::negative_latency:
      BOOST_TEST(doc["latency_ms"].get<double>() < 0);
      BOOST_TEST(!ev.valid);
      break;
    case malformed_kind::bad_status:
      BOOST_TEST(doc["status_code"].get<int>() == 700);
      BOOST_TEST(!ev.valid);
      break;
    }
  }
  BOOST_TEST(kinds.size() == malformed_kind_count);
  BOOST_TEST(malformed_json(3, t0_ms).json == malformed_json(3, t0_ms).json);
}
