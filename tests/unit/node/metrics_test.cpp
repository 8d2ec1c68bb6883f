#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actors/detect/baseline.hpp"
#include "actors/node/metrics.hpp"

using vigil::metric_catalog;
using vigil::metric_factory;
using vigil::metric_kind;
using vigil::metric_label_sets;
using vigil::severity;

namespace {

metric_label_sets vigil_labels() {
  metric_label_sets result;
  result.invalid_reasons = {"not_json", "missing_field", "bad_timestamp"};
  result.actors = {"db_writer", "merger", "kafka_source"};
  result.max_partitions = 8;
  return result;
}

/// Maps each sample line "name{labels} value" of `text` to its value text.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> result;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto space = line.rfind(' ');
    result[line.substr(0, space)] = line.substr(space + 1);
  }
  return result;
}

/// Maps each family of `text` to the type in its "# TYPE" line.
std::map<std::string, std::string> types(const std::string& text) {
  std::map<std::string, std::string> result;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string hash, keyword, name, type;
    fields >> hash >> keyword >> name >> type;
    if (hash == "#" && keyword == "TYPE")
      result[name] = type;
  }
  return result;
}

/// Number of series of `family` (sample lines "family{...} value").
size_t series_count(const std::string& text, const std::string& family) {
  size_t result = 0;
  for (auto& [key, value] : samples(text))
    if (key.rfind(family + "{", 0) == 0)
      ++result;
  return result;
}

std::string source_dir() {
  if (auto dir = std::getenv("VIGIL_SOURCE_DIR"))
    return dir;
  std::string file = __FILE__; // <root>/tests/unit/metrics_test.cpp
  return file.substr(0, file.rfind("/tests/unit/"));
}

} // namespace

BOOST_AUTO_TEST_CASE(every_family_name_is_vigil_name_unit_with_a_listed_unit) {
  std::string units;
  for (auto suffix : vigil::metric_unit_suffixes())
    units += (units.empty() ? "" : "|") + std::string{suffix};
  std::regex pattern{"^vigil_[a-z][a-z0-9_]*(" + units + ")$"};
  BOOST_TEST(metric_catalog().size() == vigil::metric_count);
  std::set<std::string> names;
  for (auto& info : metric_catalog()) {
    std::string name{info.name};
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(std::regex_match(name, pattern));
      BOOST_TEST(names.insert(name).second);
      bool total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
      BOOST_TEST(total == (info.kind == metric_kind::counter));
      if (info.kind == metric_kind::histogram) {
        BOOST_TEST(name.substr(name.size() - 8) == "_seconds");
        BOOST_TEST(!info.buckets.empty());
      }
      BOOST_TEST(!info.help.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(serialize_declares_every_catalog_family_with_its_type) {
  metric_factory metrics{vigil_labels()};
  metrics.consumer_lag(0).Set(1);
  metrics.set_services({{"checkout", 100, 5, 10.0, 0.25, 0}});
  auto declared = types(metrics.serialize());
  BOOST_TEST(declared.size() == metric_catalog().size());
  for (auto& info : metric_catalog()) {
    std::string name{info.name};
    BOOST_TEST_CONTEXT(name) {
      BOOST_REQUIRE(declared.count(name) == 1u);
      BOOST_TEST(declared[name] == vigil::to_string(info.kind));
    }
  }
}

BOOST_AUTO_TEST_CASE(counters_and_gauges_appear_with_their_values_and_labels) {
  metric_factory metrics{vigil_labels()};
  metrics.events_consumed().Increment(42);
  metrics.events_invalid("bad_timestamp").Increment(3);
  metrics.anomalies(severity::high).Increment(2);
  metrics.actor_restarts("merger").Increment();
  metrics.consumer_lag(3).Set(17);
  metrics.watermark_delay().Set(1.5);
  metrics.db_rows_written().Increment(1000);
  auto text = metrics.serialize();
  auto xs = samples(text);
  BOOST_TEST(xs["vigil_events_consumed_total"] == "42");
  BOOST_TEST(xs["vigil_events_invalid_total{reason=\"bad_timestamp\"}"] == "3");
  BOOST_TEST(xs["vigil_events_invalid_total{reason=\"not_json\"}"] == "0");
  BOOST_TEST(xs["vigil_anomalies_total{severity=\"high\"}"] == "2");
  BOOST_TEST(xs["vigil_anomalies_total{severity=\"low\"}"] == "0");
  BOOST_TEST(xs["vigil_actor_restarts_total{actor=\"merger\"}"] == "1");
  BOOST_TEST(xs["vigil_consumer_lag_messages{partition=\"3\"}"] == "17");
  BOOST_TEST(xs["vigil_watermark_delay_seconds"] == "1.5");
  BOOST_TEST(xs["vigil_db_rows_written_total"] == "1000");
  BOOST_TEST(xs["vigil_events_too_late_total"] == "0");
}

BOOST_AUTO_TEST_CASE(
    unknown_label_values_are_counted_as_other_and_add_no_series) {
  metric_factory metrics{vigil_labels()};
  auto before = metrics.serialize();
  std::mt19937 rng{20240611};
  std::uniform_int_distribution<int> letter{'a', 'z'};
  for (int i = 0; i < 200; ++i) {
    std::string raw = "raw error text ";
    for (int j = 0; j < 8; ++j)
      raw += static_cast<char>(letter(rng));
    metrics.events_invalid(raw).Increment();
    metrics.actor_restarts(raw).Increment();
  }
  auto after = metrics.serialize();
  auto xs = samples(after);
  BOOST_TEST(xs["vigil_events_invalid_total{reason=\"other\"}"] == "200");
  BOOST_TEST(xs["vigil_actor_restarts_total{actor=\"other\"}"] == "200");
  BOOST_TEST(series_count(after, "vigil_events_invalid_total") == 4u);
  BOOST_TEST(series_count(after, "vigil_actor_restarts_total") == 4u);
  BOOST_TEST(series_count(after, "vigil_anomalies_total") == 5u);
  BOOST_TEST(after.find("raw error text") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(dead_letters_are_counted_by_reason_from_the_closed_set) {
  metric_factory metrics{vigil_labels()};
  metrics.dead_letters("not_json").Increment(3);
  metrics.dead_letters("bad_timestamp").Increment();
  metrics.dead_letters("header text from a stranger").Increment(2);
  auto text = metrics.serialize();
  auto xs = samples(text);
  BOOST_TEST(xs["vigil_dead_letters_total{reason=\"not_json\"}"] == "3");
  BOOST_TEST(xs["vigil_dead_letters_total{reason=\"bad_timestamp\"}"] == "1");
  BOOST_TEST(xs["vigil_dead_letters_total{reason=\"missing_field\"}"] == "0");
  BOOST_TEST(xs["vigil_dead_letters_total{reason=\"other\"}"] == "2");
  // Same closed set as vigil_events_invalid_total, counted separately.
  BOOST_TEST(series_count(text, "vigil_dead_letters_total") == 4u);
  BOOST_TEST(xs["vigil_events_invalid_total{reason=\"not_json\"}"] == "0");
  BOOST_TEST(&metrics.dead_letters("not_json")
             != &metrics.events_invalid("not_json"));
  BOOST_TEST(text.find("stranger") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(tracked_services_and_generator_counts_are_exported) {
  metric_factory metrics;
  metrics.tracked_services().Set(8);
  metrics.generator_messages_sent().Increment(1000);
  metrics.generator_delivery_failures().Increment(4);
  auto xs = samples(metrics.serialize());
  BOOST_TEST(xs["vigil_tracked_services"] == "8");
  BOOST_TEST(xs["vigil_generator_messages_sent_total"] == "1000");
  BOOST_TEST(xs["vigil_generator_delivery_failures_total"] == "4");
}

BOOST_AUTO_TEST_CASE(a_factory_without_label_sets_counts_every_value_as_other) {
  metric_factory metrics;
  metrics.events_invalid("bad_timestamp").Increment();
  auto xs = samples(metrics.serialize());
  BOOST_TEST(xs["vigil_events_invalid_total{reason=\"other\"}"] == "1");
  BOOST_TEST(xs.count("vigil_events_invalid_total{reason=\"bad_timestamp\"}")
             == 0u);
}

BOOST_AUTO_TEST_CASE(label_sets_drop_duplicates_and_the_other_value) {
  metric_label_sets labels;
  labels.invalid_reasons = {"not_json", "other", "not_json", "too_deep"};
  metric_factory metrics{labels};
  std::vector<std::string> expected{"not_json", "too_deep"};
  BOOST_TEST(metrics.label_sets().invalid_reasons == expected,
             boost::test_tools::per_element());
  BOOST_TEST(series_count(metrics.serialize(), "vigil_events_invalid_total")
             == 3u);
}

BOOST_AUTO_TEST_CASE(partitions_outside_the_limit_share_the_other_series) {
  metric_factory metrics{vigil_labels()}; // max_partitions = 8
  metrics.consumer_lag(7).Set(70);
  metrics.consumer_lag(8).Set(80);
  metrics.consumer_lag(-1).Set(-10);
  metrics.consumer_lag(1000).Set(5);
  auto text = metrics.serialize();
  auto xs = samples(text);
  BOOST_TEST(xs["vigil_consumer_lag_messages{partition=\"7\"}"] == "70");
  BOOST_TEST(xs["vigil_consumer_lag_messages{partition=\"other\"}"] == "5");
  BOOST_TEST(series_count(text, "vigil_consumer_lag_messages") == 2u);
}

BOOST_AUTO_TEST_CASE(the_same_metric_object_is_returned_for_the_same_labels) {
  metric_factory metrics{vigil_labels()};
  BOOST_TEST(&metrics.events_consumed() == &metrics.events_consumed());
  BOOST_TEST(&metrics.consumer_lag(2) == &metrics.consumer_lag(2));
  BOOST_TEST(&metrics.events_invalid("x") == &metrics.events_invalid("y"));
  BOOST_TEST(&metrics.events_invalid("not_json")
             != &metrics.events_invalid("other"));
  BOOST_TEST(&metrics.anomalies(severity::low)
             != &metrics.anomalies(severity::critical));
}

BOOST_AUTO_TEST_CASE(releasing_a_partition_removes_its_lag_series) {
  metric_factory metrics{vigil_labels()};
  metrics.consumer_lag(1).Set(10);
  metrics.consumer_lag(2).Set(20);
  metrics.release_partition(1);
  metrics.release_partition(5); // never created: no effect
  auto xs = samples(metrics.serialize());
  BOOST_TEST(xs.count("vigil_consumer_lag_messages{partition=\"1\"}") == 0u);
  BOOST_TEST(xs["vigil_consumer_lag_messages{partition=\"2\"}"] == "20");
  BOOST_TEST(metrics.consumer_lag(1).Value() == 0.0);
}

BOOST_AUTO_TEST_CASE(histograms_export_their_buckets_count_and_sum) {
  metric_factory metrics;
  metrics.db_write_duration().Observe(0.003);
  metrics.db_write_duration().Observe(0.2);
  metrics.checkpoint_duration().Observe(90);
  auto xs = samples(metrics.serialize());
  BOOST_TEST(xs["vigil_db_write_seconds_bucket{le=\"0.0025\"}"] == "0");
  BOOST_TEST(xs["vigil_db_write_seconds_bucket{le=\"0.005\"}"] == "1");
  BOOST_TEST(xs["vigil_db_write_seconds_bucket{le=\"0.25\"}"] == "2");
  BOOST_TEST(xs["vigil_db_write_seconds_bucket{le=\"+Inf\"}"] == "2");
  BOOST_TEST(xs["vigil_db_write_seconds_count"] == "2");
  BOOST_TEST(std::stod(xs["vigil_db_write_seconds_sum"]) == 0.203,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(xs["vigil_checkpoint_duration_seconds_bucket{le=\"60\"}"] == "0");
  BOOST_TEST(xs["vigil_checkpoint_duration_seconds_bucket{le=\"120\"}"] == "1");
  for (auto& info : metric_catalog()) {
    if (info.kind != metric_kind::histogram)
      continue;
    size_t buckets = 0;
    for (auto& [key, value] : xs)
      if (key.rfind(std::string{info.name} + "_bucket{", 0) == 0)
        ++buckets;
    BOOST_TEST(buckets == info.buckets.size() + 1); // + "+Inf"
  }
}

BOOST_AUTO_TEST_CASE(concurrent_increments_from_several_threads_sum_exactly) {
  metric_factory metrics{vigil_labels()};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&metrics, t] {
      auto& consumed = metrics.events_consumed();
      for (int i = 0; i < 5000; ++i) {
        consumed.Increment();
        metrics.consumer_lag(t % 2).Increment();
      }
    });
  for (auto& t : threads)
    t.join();
  auto xs = samples(metrics.serialize());
  BOOST_TEST(xs["vigil_events_consumed_total"] == "20000");
  BOOST_TEST(xs["vigil_consumer_lag_messages{partition=\"0\"}"] == "10000");
}

BOOST_AUTO_TEST_CASE(every_family_is_documented_in_docs_metrics_md) {
  std::ifstream in{source_dir() + "/docs/metrics.md"};
  BOOST_REQUIRE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  for (auto& info : metric_catalog())
    BOOST_TEST_CONTEXT(info.name) {
      BOOST_TEST(doc.str().find("`" + std::string{info.name} + "`")
                 != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(readiness_failures_are_a_gauge) {
  metric_factory metrics;
  BOOST_TEST(samples(metrics.serialize())["vigil_failing_readiness_checks"]
             == "0");
  metrics.failing_readiness_checks().Set(2);
  BOOST_TEST(samples(metrics.serialize())["vigil_failing_readiness_checks"]
             == "2");
}

BOOST_AUTO_TEST_CASE(service_series_show_the_latest_window_of_each_service) {
  metric_factory metrics;
  // No service known yet: the families are declared without series.
  BOOST_TEST(
      series_count(metrics.serialize(), "vigil_service_requests_per_second")
      == 0u);
  metrics.set_services({{"checkout", 200, 10, 10.0, 0.25, 1},
                        {"search", 50, 0, 10.0, 0.0125, 0}});
  auto xs = samples(metrics.serialize());
  BOOST_TEST(xs["vigil_service_requests_per_second{service=\"checkout\"}"]
             == "20");
  BOOST_TEST(xs["vigil_service_error_ratio{service=\"checkout\"}"] == "0.05");
  BOOST_TEST(xs["vigil_service_p95_latency_seconds{service=\"checkout\"}"]
             == "0.25");
  BOOST_TEST(xs["vigil_service_open_incidents{service=\"checkout\"}"] == "1");
  BOOST_TEST(xs["vigil_service_requests_per_second{service=\"search\"}"]
             == "5");
  BOOST_TEST(xs["vigil_service_open_incidents{service=\"search\"}"] == "0");
  BOOST_TEST(xs.count("vigil_service_requests_per_second{service=\"other\"}")
             == 0u);
  // A service gone from the samples keeps its series, at 0.
  metrics.set_services({{"search", 60, 6, 10.0, 0.5, 0}});
  xs = samples(metrics.serialize());
  BOOST_TEST(xs["vigil_service_requests_per_second{service=\"checkout\"}"]
             == "0");
  BOOST_TEST(xs["vigil_service_open_incidents{service=\"checkout\"}"] == "0");
  BOOST_TEST(xs["vigil_service_error_ratio{service=\"search\"}"] == "0.1");
}

BOOST_AUTO_TEST_CASE(services_beyond_the_series_cap_are_aggregated_as_other) {
  metric_label_sets labels;
  labels.max_service_series = 2;
  metric_factory metrics{labels};
  std::vector<vigil::service_sample> xs;
  for (int i = 0; i < 40; ++i)
    xs.push_back(
        {"svc-" + std::to_string(i), 10, 1, 10.0, 0.01 * (i + 1), i % 2});
  // A service named like the overflow series cannot take it over.
  xs.push_back({"other", 10, 9, 10.0, 0.001, 0});
  metrics.set_services(xs);
  auto text = metrics.serialize();
  auto got = samples(text);
  for (auto family :
       {"vigil_service_requests_per_second", "vigil_service_error_ratio",
        "vigil_service_p95_latency_seconds", "vigil_service_open_incidents"})
    BOOST_TEST_CONTEXT(family) {
      BOOST_TEST(series_count(text, family) == 3u);
    }
  BOOST_TEST(got["vigil_service_requests_per_second{service=\"svc-0\"}"]
             == "1");
  BOOST_TEST(got["vigil_service_requests_per_second{service=\"svc-1\"}"]
             == "1");
  // 38 capped services plus the one named "other": 39 windows of 10 s.
  BOOST_TEST(got["vigil_service_requests_per_second{service=\"other\"}"]
             == "39");
  BOOST_TEST(std::stod(got["vigil_service_error_ratio{service=\"other\"}"])
                 == (38.0 + 9.0) / 390.0,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(
      std::stod(got["vigil_service_p95_latency_seconds{service=\"other\"}"])
          == 0.4,
      boost::test_tools::tolerance(1e-9));
  BOOST_TEST(got["vigil_service_open_incidents{service=\"other\"}"] == "19");
  // The admitted services stay the same ones, whatever comes later.
  metrics.set_services({{"svc-new", 10, 0, 10.0, 0.1, 0}});
  got = samples(metrics.serialize());
  BOOST_TEST(got.count("vigil_service_requests_per_second{service=\"svc-new\"}")
             == 0u);
  BOOST_TEST(got["vigil_service_requests_per_second{service=\"other\"}"]
             == "1");
}
