#define BOOST_TEST_MODULE schemas
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/aggregate/window_merger.hpp"
#include "actors/detect/detector.hpp"
#include "actors/detect/live_detector.hpp"
#include "actors/detect/narrator.hpp"
#include "actors/ingest/dlq_producer.hpp"
#include "actors/ingest/request_event.hpp"
#include "support/json_shape.hpp"

// The code agrees with the contracts in schemas/: the event schema, the
// dead-letter headers and reasons, and the checkpoint snapshots. (The SQL
// migrations are checked by store_test, the API shapes by api_shapes_test.)

using namespace vigil;
using nlohmann::json;

namespace {

std::set<std::string> strings(const json& xs) {
  std::set<std::string> out;
  for (const auto& x : xs)
    out.insert(x.get<std::string>());
  return out;
}

json valid_event() {
  return json{{"timestamp", "2026-01-11T23:09:52.214Z"},
              {"service", "checkout"},
              {"status_code", 200},
              {"latency_ms", 12.5},
              {"endpoint", "/pay"}};
}

parse_outcome parse(const json& event) {
  request_event out;
  return parse_request_event(event.dump(), out);
}

} // namespace

BOOST_AUTO_TEST_CASE(every_schema_is_valid_json) {
  for (auto name : {"event.schema.json", "dead_letter.schema.json",
                    "checkpoint_snapshots.schema.json", "api.schema.json"})
    BOOST_TEST(test::read_schema(name).is_object(), name);
}

BOOST_AUTO_TEST_CASE(the_dead_letter_reasons_are_the_invalid_reasons) {
  auto schema = test::read_schema("dead_letter.schema.json");
  const auto& headers = schema["properties"]["headers"];
  std::set<std::string> reasons;
  for (size_t i = 1; i < invalid_reason_count; ++i)
    reasons.insert(to_string(static_cast<invalid_reason>(i)));
  BOOST_TEST(strings(headers["properties"]["vigil.reason"]["enum"]) == reasons,
             boost::test_tools::per_element());
  BOOST_TEST(strings(headers["required"])
                 == (std::set<std::string>{dead_letter_reason_header,
                                           dead_letter_partition_header,
                                           dead_letter_offset_header}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_event_of_the_schema_is_accepted_and_its_fields_needed) {
  auto schema = test::read_schema("event.schema.json");
  auto event = valid_event();
  BOOST_TEST(test::shape_errors(schema, schema, event).empty());
  BOOST_TEST(parse(event).ok);
  auto epoch_ms = event;
  epoch_ms["timestamp"] = 1768172992214;
  BOOST_TEST(test::shape_errors(schema, schema, epoch_ms).empty());
  BOOST_TEST(parse(epoch_ms).ok);
  for (const auto& field : schema["required"]) {
    auto without = event;
    without.erase(field.get<std::string>());
    BOOST_TEST(!test::shape_errors(schema, schema, without).empty());
    auto outcome = parse(without);
    BOOST_TEST(!outcome.ok, field);
    BOOST_TEST((outcome.reason == invalid_reason::missing_field), field);
  }
}

BOOST_AUTO_TEST_CASE(events_outside_the_schema_ranges_are_rejected) {
  auto schema = test::read_schema("event.schema.json");
  auto check = [&](const char* field, json value, invalid_reason reason) {
    auto event = valid_event();
    event[field] = std::move(value);
    BOOST_TEST(!test::shape_errors(schema, schema, event).empty(), field);
    auto outcome = parse(event);
    BOOST_TEST(!outcome.ok, field);
    BOOST_TEST((outcome.reason == reason), field);
  };
  check("status_code", 99, invalid_reason::bad_status);
  check("status_code", 600, invalid_reason::bad_status);
  check("status_code", "200", invalid_reason::wrong_type);
  check("latency_ms", -1, invalid_reason::bad_latency);
  check("service", "", invalid_reason::bad_service);
  check("service", std::string(129, 's'), invalid_reason::bad_service);
}

BOOST_AUTO_TEST_CASE(checkpoint_snapshots_have_the_shape_of_the_schema) {
  auto schema = test::read_schema("checkpoint_snapshots.schema.json");
  const auto& shapes = schema["snapshots"];
  auto check = [&](const char* column, const std::string& snapshot) {
    auto doc = json::parse(snapshot, nullptr, false);
    auto errors = test::shape_errors(schema, shapes[column], doc);
    BOOST_TEST(errors.empty(), column << ": " << snapshot);
  };
  window_merger_config windows;
  windows.window_ms = 10'000;
  window_merger merger{windows};
  check("merger_state", merger.snapshot());
  window_row row;
  row.service = "api";
  row.window_end = 10'000;
  service_detector detector;
  detector.observe(row, 0);
  check("detector_state", detector.snapshot());
  combined_detector combined;
  combined.observe(row, 0);
  check("detector_state", combined.snapshot());
  incident_narrator narrator;
  check("narrator_state", narrator.snapshot());
}
