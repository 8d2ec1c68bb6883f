#define BOOST_TEST_MODULE event_kind
#include <boost/test/unit_test.hpp>

// Event-kind declarations (runtime/event_kind.hpp, schemas/kinds/*.json):
// the built-in kinds, validation errors that name the file and the field or
// line, value ranges, joined keys, the kind table's DDL and upsert run
// against a real SQLite file, and the value columns of a window.

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/event_kind.hpp"
#include "runtime/sqlite.hpp"
#include "runtime/window.hpp"
#include "support/process.hpp"

using namespace vigil;
using json = nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

kind_schema load(const std::string& name) {
  auto k = load_kind_schema(name);
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  return *k;
}

/// A valid declaration (a trade-like kind) to break field by field.
json base_declaration() {
  return json::parse(R"({
    "kind": "quote",
    "keys": ["symbol", "venue"],
    "time": "ts",
    "measures": [
      {"name": "price", "type": "number", "valid": {"gt": 0},
       "aggregations": ["ohlc", "vwap"], "weight": "size"},
      {"name": "size", "type": "integer", "valid": {"gt": 0},
       "aggregations": ["sum"]}
    ],
    "jump": {"measure": "price"}
  })");
}

/// The error of parsing `doc` as "custom.json" (fails the test if it parses).
std::string error_of(const json& doc) {
  auto k = parse_kind_schema(doc.dump(2), "custom.json");
  BOOST_REQUIRE_MESSAGE(!k, "accepted: " << doc.dump());
  BOOST_TEST_MESSAGE(k.error());
  return k.error();
}

/// Checks that `message` starts with "custom.json: " then `field`, and
/// contains each of `parts`.
void check_error(const std::string& message, const std::string& field,
                 const std::vector<std::string>& parts = {}) {
  BOOST_TEST_INFO("message: " << message);
  BOOST_TEST(message.rfind("custom.json: " + field + ": ", 0) == 0u);
  for (const auto& p : parts) {
    BOOST_TEST_INFO("part: " << p);
    BOOST_TEST(contains(message, p));
  }
}

sqlite_db open_db(const std::string& path) {
  auto db = sqlite_db::open(path, open_mode::read_write_create, 1000);
  BOOST_REQUIRE_MESSAGE(db, (db ? "" : db.error().message));
  return std::move(*db);
}

/// Every row of `sql`, columns as text joined by '|'.
std::vector<std::string> query(sqlite_db& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  BOOST_REQUIRE_MESSAGE(stmt, (stmt ? "" : stmt.error().message));
  std::vector<std::string> rows;
  while (stmt->step() == step_result::row) {
    std::string line;
    for (int i = 0; i < stmt->column_count(); ++i) {
      if (i > 0)
        line += '|';
      line += stmt->column_is_null(i) ? "NULL" : stmt->column_text(i);
    }
    rows.push_back(std::move(line));
  }
  return rows;
}

/// The exact nearest-rank quantile of `xs` (sorted).
double exact_quantile(const std::vector<double>& xs, double q) {
  return xs[ddsketch::rank_of(q, xs.size())];
}

} // namespace

// -- built-in kinds -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_three_builtin_kinds_are_listed_and_load) {
  auto names = builtin_kind_names();
  BOOST_TEST(names == (std::vector<std::string>{"request", "sensor", "trade"}),
             boost::test_tools::per_element());
  for (const auto& name : names) {
    BOOST_TEST_INFO("kind " << name);
    BOOST_TEST(!builtin_kind_text(name).empty());
    auto k = load_kind_schema(name);
    BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
    BOOST_TEST(k->name == name);
    // The name and the embedded text give the same declaration.
    auto again = parse_kind_schema(builtin_kind_text(name), "x.json");
    BOOST_REQUIRE(again);
    BOOST_TEST(again->value_columns() == k->value_columns(),
               boost::test_tools::per_element());
  }
  BOOST_TEST(builtin_kind_text("nope").empty());
}

BOOST_AUTO_TEST_CASE(the_sensor_kind_is_as_declared) {
  auto k = load("sensor");
  BOOST_TEST(k.name == "sensor");
  BOOST_TEST(!k.is_request());
  BOOST_TEST(k.table == "sensor_metrics");
  BOOST_TEST(k.keys == (std::vector<std::string>{"sensor_id", "site"}),
             boost::test_tools::per_element());
  BOOST_TEST(k.time_field == "timestamp");
  BOOST_TEST(k.window_ms == 60'000);
  BOOST_TEST(!k.jump.has_value());
  BOOST_TEST(k.has_bands());
  BOOST_REQUIRE_EQUAL(k.measures.size(), 4u);
  const std::vector<std::string> names{"ph", "temperature_c", "humidity_pct",
                                       "ec_ms_cm"};
  std::vector<std::string> expected_columns;
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& m = k.measures[i];
    BOOST_TEST_INFO("measure " << names[i]);
    BOOST_TEST(m.name == names[i]);
    BOOST_TEST(!m.integer);
    BOOST_TEST(!m.needs_sketch());
    BOOST_TEST(m.weight == measure_spec::npos);
    BOOST_REQUIRE_EQUAL(m.aggregations.size(), 4u);
    BOOST_TEST((m.aggregations[0].kind == aggregation::mean));
    BOOST_TEST((m.aggregations[1].kind == aggregation::min));
    BOOST_TEST((m.aggregations[2].kind == aggregation::max));
    BOOST_TEST((m.aggregations[3].kind == aggregation::last));
    for (auto suffix : {"_mean", "_min", "_max", "_last"})
      expected_columns.push_back(names[i] + suffix);
  }
  BOOST_TEST(k.value_columns() == expected_columns,
             boost::test_tools::per_element());
  const auto& ph = k.measures[0];
  BOOST_TEST(ph.valid.ge.value_or(-1) == 0.0);
  BOOST_TEST(ph.valid.le.value_or(-1) == 14.0);
  BOOST_TEST(!ph.valid.gt.has_value());
  BOOST_TEST(!ph.valid.lt.has_value());
  BOOST_TEST(ph.healthy.ge.value_or(-1) == 5.5);
  BOOST_TEST(ph.healthy.le.value_or(-1) == 7.5);
  BOOST_TEST(k.measures[1].valid.ge.value_or(0) == -50.0);
  BOOST_TEST(k.measures[1].healthy.le.value_or(0) == 30.0);
  BOOST_TEST(k.measures[3].healthy.ge.value_or(0) == 0.8);
  BOOST_TEST(k.measures[3].valid.le.value_or(0) == 20.0);
}

BOOST_AUTO_TEST_CASE(the_trade_kind_is_as_declared) {
  auto k = load("trade");
  BOOST_TEST(k.table == "trade_candles");
  BOOST_TEST(k.keys == (std::vector<std::string>{"symbol", "exchange"}),
             boost::test_tools::per_element());
  BOOST_TEST(k.time_field == "timestamp");
  BOOST_TEST(k.window_ms == 60'000);
  BOOST_TEST(!k.has_bands());
  BOOST_TEST(k.value_columns()
                 == (std::vector<std::string>{"price_open", "price_high",
                                              "price_low", "price_close",
                                              "price_vwap", "size_sum"}),
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(k.measures.size(), 2u);
  const auto& price = k.measures[0];
  const auto& size = k.measures[1];
  BOOST_TEST(price.name == "price");
  BOOST_TEST(!price.integer);
  BOOST_TEST(price.weight == 1u);
  BOOST_TEST(price.valid.gt.value_or(-1) == 0.0);
  BOOST_TEST(!price.valid.contains(0.0));
  BOOST_REQUIRE_EQUAL(price.aggregations.size(), 5u);
  BOOST_TEST((price.aggregations[0].kind == aggregation::first));
  BOOST_TEST((price.aggregations[1].kind == aggregation::max));
  BOOST_TEST((price.aggregations[2].kind == aggregation::min));
  BOOST_TEST((price.aggregations[3].kind == aggregation::last));
  BOOST_TEST((price.aggregations[4].kind == aggregation::vwap));
  BOOST_TEST(size.name == "size");
  BOOST_TEST(size.integer);
  BOOST_TEST(size.weight == measure_spec::npos);
  BOOST_REQUIRE(k.jump.has_value());
  BOOST_TEST(k.jump->measure == 0u);
  BOOST_TEST(k.jump->sigma == 6.0);
  BOOST_TEST(k.jump->history == 30u);
  BOOST_TEST(k.jump->min_history == 10u);
}

BOOST_AUTO_TEST_CASE(the_request_kind_is_as_declared) {
  auto k = load("request");
  BOOST_TEST(k.is_request());
  BOOST_TEST(k.table == "service_metrics");
  BOOST_TEST(k.keys == std::vector<std::string>{"service"},
             boost::test_tools::per_element());
  BOOST_TEST(k.window_ms == 0);
  BOOST_TEST(k.value_columns()
                 == (std::vector<std::string>{
                     "status_code_count", "latency_ms_mean", "latency_ms_p50",
                     "latency_ms_p95", "latency_ms_p99", "latency_ms_max"}),
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(k.measures.size(), 2u);
  BOOST_TEST(k.measures[0].integer);
  BOOST_TEST(!k.measures[0].needs_sketch());
  BOOST_TEST(k.measures[1].needs_sketch());
  const auto& aggs = k.measures[1].aggregations;
  BOOST_TEST(aggs[1].q == 0.5);
  BOOST_TEST(aggs[2].q == 0.95);
  BOOST_TEST(aggs[3].q == 0.99);
}

BOOST_AUTO_TEST_CASE(a_minimal_declaration_gets_the_defaults) {
  auto k = parse_kind_schema(
      R"({"kind":"meter","keys":["id"],"time":"t",
          "measures":[{"name":"kwh","aggregations":["p99.9","sum","first"]}]})",
      "meter.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  BOOST_TEST(k->table == "meter_metrics");
  BOOST_TEST(k->window_ms == 0);
  BOOST_TEST(!k->has_bands());
  BOOST_TEST(k->measures[0].valid.empty());
  BOOST_TEST(!k->measures[0].integer);
  BOOST_TEST(
      k->value_columns()
          == (std::vector<std::string>{"kwh_p99_9", "kwh_sum", "kwh_first"}),
      boost::test_tools::per_element());
  BOOST_TEST(k->measures[0].aggregations[0].q == 0.999,
             boost::test_tools::tolerance(1e-12));
}

// -- refused declarations -----------------------------------------------------

BOOST_AUTO_TEST_CASE(the_base_declaration_of_these_tests_is_valid) {
  auto k = parse_kind_schema(base_declaration().dump(), "custom.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  BOOST_TEST(k->table == "quote_metrics");
  BOOST_TEST(k->jump.has_value());
}

BOOST_AUTO_TEST_CASE(unknown_aggregations_are_refused_naming_the_field) {
  for (std::string name : {"p101", "median", "p100", "p0", "p", "p9.", "p.5",
                           "p9..5", "P95", ""}) {
    BOOST_TEST_CONTEXT("aggregation \"" << name << "\"") {
      auto doc = base_declaration();
      doc["measures"][1]["aggregations"] = {"sum", name};
      check_error(error_of(doc), "measures[1] (size).aggregations[1]",
                  {"unknown aggregation \"" + name + "\"", "p95"});
    }
  }
  auto doc = base_declaration();
  doc["measures"][1]["aggregations"] = {"sum", 95};
  check_error(error_of(doc), "measures[1] (size).aggregations[1]",
              {"must be a string"});
  doc["measures"][1]["aggregations"] = json::array();
  check_error(error_of(doc), "measures[1] (size).aggregations", {"non-empty"});
  doc["measures"][1].erase("aggregations");
  check_error(error_of(doc), "measures[1] (size).aggregations", {"non-empty"});
}

BOOST_AUTO_TEST_CASE(a_missing_time_field_is_refused) {
  auto doc = base_declaration();
  doc.erase("time");
  check_error(error_of(doc), "time", {"missing"});
  doc["time"] = 3;
  check_error(error_of(doc), "time", {"must be a string"});
  doc["time"] = "symbol";
  check_error(error_of(doc), "time", {"also a key"});
  doc["time"] = "Ts";
  check_error(error_of(doc), "time", {"field name"});
}

BOOST_AUTO_TEST_CASE(a_measure_declared_twice_names_both_places) {
  auto doc = base_declaration();
  doc["measures"].push_back(
      {{"name", "price"}, {"aggregations", json::array({"mean"})}});
  check_error(error_of(doc), "measures[2] (price).name",
              {"declared twice", "measures[0]"});
}

BOOST_AUTO_TEST_CASE(a_syntax_error_names_line_and_column) {
  std::string text = "{\n"
                     "  \"kind\": \"quote\",\n"
                     "  \"keys\": [\"symbol\",],\n"
                     "  \"time\": \"ts\"\n"
                     "}\n";
  auto k = parse_kind_schema(text, "broken.json");
  BOOST_REQUIRE(!k);
  BOOST_TEST_MESSAGE(k.error());
  // The offending ']' is on line 3, column 21.
  BOOST_TEST(
      k.error().rfind("broken.json: line 3, column 21: not valid JSON", 0)
      == 0u);
  // An error on the first line, and an unterminated document.
  auto first = parse_kind_schema("{\"kind\" \"x\"}", "a.json");
  BOOST_REQUIRE(!first);
  BOOST_TEST_INFO(first.error());
  // The column of the last character of the unexpected token "x" (9-11).
  BOOST_TEST(first.error().rfind("a.json: line 1, column 11:", 0) == 0u);
  auto truncated = parse_kind_schema("{\n  \"kind\": \"x\",\n", "b.json");
  BOOST_REQUIRE(!truncated);
  BOOST_TEST_INFO(truncated.error());
  BOOST_TEST(truncated.error().rfind("b.json: line 3,", 0) == 0u);
  auto empty = parse_kind_schema("", "c.json");
  BOOST_REQUIRE(!empty);
  BOOST_TEST_INFO(empty.error());
  BOOST_TEST(empty.error().rfind("c.json: line 1, column 1:", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_refused_as_typos) {
  auto doc = base_declaration();
  doc["mesures"] = doc["measures"];
  check_error(error_of(doc), "mesures", {"unknown field", "measures"});
  doc = base_declaration();
  doc["measures"][0]["agregations"] = {"sum"};
  check_error(error_of(doc), "measures[0].agregations",
              {"unknown field", "aggregations"});
  doc = base_declaration();
  doc["measures"][0]["valid"]["gte"] = 1;
  check_error(error_of(doc), "measures[0] (price).valid.gte",
              {"unknown field"});
  doc = base_declaration();
  doc["jump"]["sigmas"] = 3;
  check_error(error_of(doc), "jump.sigmas", {"unknown field"});
  // Not an object at all.
  check_error(error_of(json::array({1})), "(top level)", {"JSON object"});
}

BOOST_AUTO_TEST_CASE(vwap_needs_a_weight_that_is_a_declared_measure) {
  auto doc = base_declaration();
  doc["measures"][0].erase("weight");
  check_error(error_of(doc), "measures[0] (price).weight", {"missing", "vwap"});
  doc = base_declaration();
  doc["measures"][0]["weight"] = "volume";
  check_error(error_of(doc), "measures[0] (price).weight",
              {"\"volume\" is not a declared measure"});
  doc = base_declaration();
  doc["measures"][0]["weight"] = "price";
  check_error(error_of(doc), "measures[0] (price).weight", {"itself"});
  doc = base_declaration();
  doc["measures"][1]["weight"] = "price";
  check_error(error_of(doc), "measures[1] (size).weight", {"only", "vwap"});
}

BOOST_AUTO_TEST_CASE(empty_ranges_are_refused) {
  for (auto range : {json{{"gt", 5}, {"lt", 5}}, json{{"ge", 5}, {"lt", 5}},
                     json{{"gt", 5}, {"le", 5}}, json{{"ge", 6}, {"le", 5}}}) {
    BOOST_TEST_CONTEXT("range " << range.dump()) {
      auto doc = base_declaration();
      doc["measures"][0]["valid"] = range;
      check_error(error_of(doc), "measures[0] (price).valid", {"is empty"});
      doc = base_declaration();
      doc["measures"][1]["healthy"] = range;
      check_error(error_of(doc), "measures[1] (size).healthy", {"is empty"});
    }
  }
  // A single value is a valid range.
  auto doc = base_declaration();
  doc["measures"][0]["valid"] = {{"ge", 5}, {"le", 5}};
  BOOST_TEST(parse_kind_schema(doc.dump(), "custom.json").has_value());
  doc["measures"][0]["valid"] = {{"gt", 1}, {"ge", 2}};
  check_error(error_of(doc), "measures[0] (price).valid", {"both gt and ge"});
  doc["measures"][0]["valid"] = {{"lt", 1}, {"le", 2}};
  check_error(error_of(doc), "measures[0] (price).valid", {"both lt and le"});
  doc["measures"][0]["valid"] = {{"gt", "0"}};
  check_error(error_of(doc), "measures[0] (price).valid.gt",
              {"must be a number"});
  doc["measures"][0]["valid"] = json::array({0, 1});
  check_error(error_of(doc), "measures[0] (price).valid", {"object"});
}

BOOST_AUTO_TEST_CASE(a_jump_rule_needs_a_measure_reporting_last) {
  auto doc = base_declaration();
  doc["jump"]["measure"] = "size";
  check_error(error_of(doc), "jump.measure", {"\"size\"", "last"});
  doc["jump"]["measure"] = "volume";
  check_error(error_of(doc), "jump.measure", {"not a declared measure"});
  doc = base_declaration();
  doc["jump"]["sigma"] = 0.5;
  check_error(error_of(doc), "jump.sigma", {">= 1"});
  doc = base_declaration();
  doc["jump"]["history"] = 5;
  doc["jump"]["min_history"] = 6;
  check_error(error_of(doc), "jump.min_history", {"jump.history"});
  doc = base_declaration();
  doc["jump"]["history"] = "30";
  check_error(error_of(doc), "jump.history", {"number"});
  doc = base_declaration();
  doc["jump"] = {
      {"measure", "price"}, {"sigma", 4}, {"history", 12}, {"min_history", 3}};
  auto k = parse_kind_schema(doc.dump(), "custom.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  BOOST_TEST(k->jump->sigma == 4.0);
  BOOST_TEST(k->jump->history == 12u);
  BOOST_TEST(k->jump->min_history == 3u);
}

BOOST_AUTO_TEST_CASE(vigils_own_tables_cannot_hold_a_kind) {
  for (auto table : {"anomalies", "incidents", "checkpoints",
                     "checkpoint_offsets", "schema_version", "dead_letters"}) {
    BOOST_TEST_CONTEXT("table " << table) {
      auto doc = base_declaration();
      doc["table"] = table;
      check_error(error_of(doc), "table", {"vigil's own tables"});
    }
  }
  auto doc = base_declaration();
  doc["table"] = "Quotes; DROP TABLE x";
  check_error(error_of(doc), "table", {"not a valid table name"});
  doc = base_declaration();
  doc["kind"] = "9lives";
  check_error(error_of(doc), "kind", {"not a valid name"});
  doc = base_declaration();
  doc["kind"] = std::string(49, 'a');
  check_error(error_of(doc), "kind", {"not a valid name"});
}

BOOST_AUTO_TEST_CASE(a_key_cannot_also_be_a_measure) {
  auto doc = base_declaration();
  doc["measures"][1]["name"] = "venue";
  doc["measures"][0]["weight"] = "venue";
  check_error(error_of(doc), "measures[1] (venue).name",
              {"\"venue\"", "already the time field or a key"});
  doc = base_declaration();
  doc["measures"][1]["name"] = "ts";
  doc["measures"][0]["weight"] = "ts";
  check_error(error_of(doc), "measures[1] (ts).name", {"time field"});
  doc = base_declaration();
  doc["keys"] = {"symbol", "symbol"};
  check_error(error_of(doc), "keys[1]", {"declared twice"});
  doc["keys"] = json::array();
  check_error(error_of(doc), "keys", {"non-empty"});
  doc["keys"] = {"symbol", 7};
  check_error(error_of(doc), "keys[1]", {"field name"});
}

BOOST_AUTO_TEST_CASE(other_field_errors_name_their_field) {
  auto doc = base_declaration();
  doc["measures"][1]["type"] = "float";
  check_error(error_of(doc), "measures[1] (size).type",
              {"unknown type \"float\""});
  doc = base_declaration();
  doc["measures"][1]["aggregations"] = {"sum", "min", "sum"};
  check_error(error_of(doc), "measures[1] (size).aggregations",
              {"size_sum", "twice"});
  doc = base_declaration();
  doc["measures"][0]["aggregations"] = {"ohlc", "first", "vwap"};
  // ohlc's open is price_open, not price_first: no clash.
  BOOST_TEST(parse_kind_schema(doc.dump(), "custom.json").has_value());
  doc["measures"][0]["aggregations"] = {"ohlc", "max", "vwap"};
  // ohlc's high is price_high, not price_max: no clash either.
  BOOST_TEST(parse_kind_schema(doc.dump(), "custom.json").has_value());
  doc = base_declaration();
  doc["window"] = "0s";
  check_error(error_of(doc), "window", {"positive duration"});
  doc["window"] = "soon";
  check_error(error_of(doc), "window", {"positive duration"});
  doc["window"] = "15s";
  auto k = parse_kind_schema(doc.dump(), "custom.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  BOOST_TEST(k->window_ms == 15'000);
  doc = base_declaration();
  doc.erase("measures");
  check_error(error_of(doc), "measures", {"missing"});
  doc["measures"] = json::array();
  check_error(error_of(doc), "measures", {"non-empty"});
  doc = base_declaration();
  doc.erase("keys");
  check_error(error_of(doc), "keys", {"missing"});
  doc = base_declaration();
  doc.erase("kind");
  check_error(error_of(doc), "kind", {"missing"});
  doc = base_declaration();
  doc["measures"][0]["name"] = 5;
  check_error(error_of(doc), "measures[0].name", {"must be a string"});
}

BOOST_AUTO_TEST_CASE(a_declaration_file_with_an_error_names_its_path) {
  test::temp_dir dir;
  auto path = dir.file("my_kind.json");
  auto doc = base_declaration();
  doc["measures"][1]["aggregations"] = {"median"};
  {
    std::ofstream out{path};
    out << doc.dump(2);
  }
  auto k = load_kind_schema(path);
  BOOST_REQUIRE(!k);
  BOOST_TEST_MESSAGE(k.error());
  BOOST_TEST(k.error().rfind(path + ": measures[1] (size).aggregations[0]: ", 0)
             == 0u);
  // The same file, fixed, loads.
  doc["measures"][1]["aggregations"] = {"sum"};
  {
    std::ofstream out{path};
    out << doc.dump(2);
  }
  auto fixed = load_kind_schema(path);
  BOOST_REQUIRE_MESSAGE(fixed, (fixed ? "" : fixed.error()));
  BOOST_TEST(fixed->name == "quote");
  // A relative name ending in .json is a path too.
  auto relative = load_kind_schema("no-such-kind.json");
  BOOST_REQUIRE(!relative);
  BOOST_TEST(contains(relative.error(), "no-such-kind.json: cannot read"));
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_a_clear_error) {
  test::temp_dir dir;
  auto path = dir.file("absent/kind.json");
  auto k = load_kind_schema(path);
  BOOST_REQUIRE(!k);
  BOOST_TEST_MESSAGE(k.error());
  BOOST_TEST(k.error().rfind(path + ": cannot read", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(an_unknown_kind_name_lists_the_builtins) {
  auto k = load_kind_schema("sensors");
  BOOST_REQUIRE(!k);
  BOOST_TEST_MESSAGE(k.error());
  BOOST_TEST(contains(k.error(), "\"sensors\""));
  BOOST_TEST(contains(k.error(), "request, sensor, trade"));
}

// -- ranges and keys ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(value_ranges_contain_and_describe) {
  value_range closed;
  closed.ge = 0;
  closed.le = 14;
  BOOST_TEST(closed.contains(0));
  BOOST_TEST(closed.contains(14));
  BOOST_TEST(closed.contains(7.25));
  BOOST_TEST(!closed.contains(-1e-9));
  BOOST_TEST(!closed.contains(14.000001));
  BOOST_TEST(!closed.contains(NAN));
  BOOST_TEST(!closed.contains(INFINITY));
  BOOST_TEST(closed.describe() == ">= 0 and <= 14");
  BOOST_TEST(!closed.empty());

  value_range open;
  open.gt = 0;
  BOOST_TEST(!open.contains(0));
  BOOST_TEST(!open.contains(-0.0));
  BOOST_TEST(open.contains(1e-300));
  BOOST_TEST(open.contains(1e300));
  BOOST_TEST(open.describe() == "> 0");

  value_range both;
  both.gt = 0.5;
  both.lt = 2;
  BOOST_TEST(!both.contains(0.5));
  BOOST_TEST(both.contains(1.999));
  BOOST_TEST(!both.contains(2));
  BOOST_TEST(both.describe() == "> 0.5 and < 2");

  value_range any;
  BOOST_TEST(any.empty());
  BOOST_TEST(any.contains(-1e308));
  BOOST_TEST(any.contains(0));
  BOOST_TEST(!any.contains(NAN));
  BOOST_TEST(any.describe() == "any value");

  value_range upper;
  upper.le = -50;
  BOOST_TEST(upper.describe() == "<= -50");
  BOOST_TEST(upper.contains(-50));
  BOOST_TEST(!upper.contains(-49.5));
}

BOOST_AUTO_TEST_CASE(an_empty_range_error_describes_the_range) {
  auto doc = base_declaration();
  doc["measures"][0]["valid"] = {{"gt", 5}, {"lt", 5}};
  check_error(error_of(doc), "measures[0] (price).valid",
              {"no value satisfies > 5 and < 5"});
}

BOOST_AUTO_TEST_CASE(split_key_gives_n_values) {
  using v = std::vector<std::string>;
  BOOST_TEST(split_key("s-1|north", 2) == (v{"s-1", "north"}),
             boost::test_tools::per_element());
  BOOST_TEST(split_key("ACME|XNYS", 2) == (v{"ACME", "XNYS"}),
             boost::test_tools::per_element());
  // Missing values are empty.
  BOOST_TEST(split_key("only", 2) == (v{"only", ""}),
             boost::test_tools::per_element());
  BOOST_TEST(split_key("", 3) == (v{"", "", ""}),
             boost::test_tools::per_element());
  BOOST_TEST(split_key("a|", 2) == (v{"a", ""}),
             boost::test_tools::per_element());
  BOOST_TEST(split_key("|b", 2) == (v{"", "b"}),
             boost::test_tools::per_element());
  BOOST_TEST(split_key("a||c", 3) == (v{"a", "", "c"}),
             boost::test_tools::per_element());
  // The last value takes the rest.
  BOOST_TEST(split_key("a|b|c", 2) == (v{"a", "b|c"}),
             boost::test_tools::per_element());
  BOOST_TEST(split_key("a|b", 1) == (v{"a|b"}),
             boost::test_tools::per_element());
  BOOST_TEST(split_key("a|b", 0).empty());
  // Round trip with the separator.
  std::string joined
      = std::string{"x"} + key_separator + "y" + key_separator + "z";
  BOOST_TEST(split_key(joined, 3) == (v{"x", "y", "z"}),
             boost::test_tools::per_element());
}

// -- the kind's table ---------------------------------------------------------

namespace {

/// Runs the DDL of `kind` (twice: IF NOT EXISTS) in a new database and checks
/// the columns and the primary key; then upserts the same window twice.
void check_table(const kind_schema& kind) {
  test::temp_dir dir;
  auto db = open_db(dir.file("kind.db"));
  auto ddl = kind_table_ddl(kind, sql_dialect::sqlite);
  BOOST_REQUIRE_EQUAL(ddl.size(), 2u);
  for (int round = 0; round < 2; ++round)
    for (const auto& sql : ddl) {
      auto st = db.exec(sql);
      BOOST_REQUIRE_MESSAGE(st, (st ? "" : st.error().message) << "\n" << sql);
    }
  // Columns in order, with their primary-key position.
  std::vector<std::string> expected;
  size_t pk = 0;
  for (const auto& key : kind.keys)
    expected.push_back(key + "|TEXT|1|" + std::to_string(++pk));
  expected.push_back("window_start|INTEGER|1|" + std::to_string(++pk));
  expected.push_back("window_end|INTEGER|1|0");
  expected.push_back("event_count|INTEGER|1|0");
  expected.push_back("late_count|INTEGER|1|0");
  for (const auto& c : kind.value_columns())
    expected.push_back(c + "|REAL|0|0");
  expected.push_back("updated_at|INTEGER|1|0");
  BOOST_TEST(query(db, "SELECT name, type, \"notnull\", pk FROM "
                       "pragma_table_info('"
                           + kind.table + "') ORDER BY cid")
                 == expected,
             boost::test_tools::per_element());
  BOOST_TEST(query(db, "SELECT name FROM sqlite_master WHERE type = 'index' "
                       "AND sql IS NOT NULL AND tbl_name = '"
                           + kind.table + "'")
                 == std::vector<std::string>{kind.table + "_window_start"},
             boost::test_tools::per_element());

  auto upsert = db.prepare(kind_upsert_sql(kind, sql_dialect::sqlite));
  BOOST_REQUIRE_MESSAGE(upsert, (upsert ? "" : upsert.error().message));
  const auto columns = kind.value_columns();
  auto write = [&](double base, int64_t events, int64_t updated,
                   const std::string& first_key) {
    int idx = 1;
    for (size_t k = 0; k < kind.keys.size(); ++k)
      upsert->bind(idx++, k == 0 ? std::string_view{first_key}
                                 : std::string_view{"north"});
    upsert->bind(idx++, int64_t{60'000});
    upsert->bind(idx++, int64_t{120'000});
    upsert->bind(idx++, events);
    upsert->bind(idx++, int64_t{2});
    for (size_t i = 0; i < columns.size(); ++i)
      upsert->bind(idx++, base + static_cast<double>(i));
    upsert->bind(idx, updated);
    auto st = upsert->run();
    BOOST_REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  };
  write(1.5, 10, 1000, "s-1");
  write(100.25, 20, 2000, "s-1");
  // Another key: a second row.
  write(7, 3, 3000, "s-2");
  // Names quoted: keys may be SQL keywords.
  auto q = [](const std::string& name) { return '"' + name + '"'; };
  BOOST_TEST(query(db, "SELECT count(*) FROM " + q(kind.table))
             == std::vector<std::string>{"2"});
  std::string select = "SELECT ";
  for (const auto& key : kind.keys)
    select += q(key) + ", ";
  select += "window_start, window_end, event_count, late_count";
  for (const auto& c : columns)
    select += ", " + q(c);
  select
      += ", updated_at FROM " + q(kind.table) + " ORDER BY " + q(kind.keys[0]);
  std::string row = "s-1|";
  for (size_t k = 1; k < kind.keys.size(); ++k)
    row += "north|";
  row += "60000|120000|20|2";
  for (size_t i = 0; i < columns.size(); ++i) {
    auto rows
        = query(db, "SELECT CAST(" + std::to_string(100.25 + i) + " AS REAL)");
    row += "|" + rows.at(0);
  }
  row += "|2000";
  auto rows = query(db, select);
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(rows[0] == row);
}

} // namespace

BOOST_AUTO_TEST_CASE(the_sensor_table_is_created_and_upserted_in_sqlite) {
  check_table(load("sensor"));
}

BOOST_AUTO_TEST_CASE(the_trade_table_is_created_and_upserted_in_sqlite) {
  check_table(load("trade"));
}

BOOST_AUTO_TEST_CASE(a_one_key_kind_table_is_created_and_upserted_in_sqlite) {
  auto k = parse_kind_schema(
      R"({"kind":"meter","keys":["id"],"time":"t",
          "measures":[{"name":"kwh","aggregations":["p50","sum","count"]}]})",
      "meter.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  check_table(*k);
}

BOOST_AUTO_TEST_CASE(the_postgres_statements_cast_their_parameters) {
  auto k = load("trade");
  auto ddl = kind_table_ddl(k, sql_dialect::postgres);
  BOOST_REQUIRE_EQUAL(ddl.size(), 2u);
  BOOST_TEST_MESSAGE(ddl[0]);
  BOOST_TEST(contains(ddl[0], "CREATE TABLE IF NOT EXISTS \"trade_candles\""));
  BOOST_TEST(contains(ddl[0], "window_start timestamptz NOT NULL"));
  BOOST_TEST(contains(ddl[0], "\"price_vwap\" double precision"));
  BOOST_TEST(
      contains(ddl[0], "PRIMARY KEY (\"symbol\", \"exchange\", window_start)"));
  auto sql = kind_upsert_sql(k, sql_dialect::postgres);
  BOOST_TEST_MESSAGE(sql);
  BOOST_TEST(contains(sql, "$1::text, $2::text, to_timestamp($3::bigint / "
                           "1000.0), to_timestamp($4::bigint / 1000.0), "
                           "$5::bigint, $6::bigint, $7::double precision"));
  BOOST_TEST(contains(sql, "$12::double precision, to_timestamp($13::bigint"));
  BOOST_TEST(
      contains(sql, "ON CONFLICT (\"symbol\", \"exchange\", window_start)"));
  // Keys and the window start identify the row: never updated.
  BOOST_TEST(!contains(sql, "\"symbol\" = excluded"));
  BOOST_TEST(!contains(sql, "\"window_start\" = excluded"));
  BOOST_TEST(contains(sql, "\"updated_at\" = excluded.\"updated_at\""));
}

// -- window values ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(trade_window_values_are_ohlc_vwap_and_volume) {
  auto k = load("trade");
  struct trade {
    int64_t t;
    double price;
    double size;
  };
  // Out of time order; two trades at the earliest and two at the latest
  // time (ties: open is the smaller, close the larger price).
  std::vector<trade> trades{{5'000, 101.0, 100}, {1'000, 100.5, 10},
                            {9'000, 99.0, 5},    {1'000, 100.0, 20},
                            {4'000, 103.5, 50},  {9'000, 99.75, 15},
                            {2'000, 98.25, 300}};
  auto agg = window_aggregate::with_measures(2);
  double pv = 0;
  double v = 0;
  for (const auto& tr : trades) {
    ++agg.count;
    agg.measures[0].add_at(tr.price, tr.t, tr.size, false);
    agg.measures[1].add_at(tr.size, tr.t, 0, false);
    pv += tr.price * tr.size;
    v += tr.size;
  }
  auto values = window_values(k, agg);
  BOOST_REQUIRE_EQUAL(values.size(), 6u);
  BOOST_TEST(values[0] == 100.0); // open
  BOOST_TEST(values[1] == 103.5); // high
  BOOST_TEST(values[2] == 98.25); // low
  BOOST_TEST(values[3] == 99.75); // close
  BOOST_TEST(values[4] == pv / v, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(values[5] == 500.0); // size_sum
  BOOST_TEST(agg.measures[0].count == trades.size());
  BOOST_TEST(agg.measures[1].count == trades.size());

  // An empty window reports zeros, not infinities.
  auto none = window_values(k, window_aggregate::with_measures(2));
  BOOST_TEST(none == std::vector<double>(6, 0.0),
             boost::test_tools::per_element());
  // An aggregate with fewer measures than the kind (e.g. from another kind)
  // gives zeros for the missing ones.
  auto short_agg = window_aggregate::with_measures(1);
  short_agg.measures[0].add_at(10, 1, 1, false);
  auto partial = window_values(k, short_agg);
  BOOST_REQUIRE_EQUAL(partial.size(), 6u);
  BOOST_TEST(partial[0] == 10.0);
  BOOST_TEST(partial[4] == 0.0);
  BOOST_TEST(partial[5] == 0.0);
}

BOOST_AUTO_TEST_CASE(count_sum_mean_first_columns_follow_the_declaration) {
  auto k = parse_kind_schema(
      R"({"kind":"meter","keys":["id"],"time":"t","measures":[
          {"name":"a","aggregations":["count","sum","mean","first","last"]},
          {"name":"b","aggregations":["min","max"]}]})",
      "meter.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  auto agg = window_aggregate::with_measures(2);
  const double as[] = {4, -2, 10, 0.5};
  const int64_t ts[] = {30, 10, 40, 20};
  for (int i = 0; i < 4; ++i) {
    agg.measures[0].add_at(as[i], ts[i], 0, false);
    agg.measures[1].add_at(as[i] * 3, ts[i], 0, false);
  }
  auto values = window_values(*k, agg);
  BOOST_TEST(values == (std::vector<double>{4, 12.5, 12.5 / 4, -2, 10, -6, 30}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(quantile_columns_are_within_the_sketch_accuracy) {
  auto k = parse_kind_schema(
      R"({"kind":"probe","keys":["host"],"time":"t","measures":[
          {"name":"rtt_ms","valid":{"ge":0},
           "aggregations":["p50","p95","max","count"]}]})",
      "probe.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  BOOST_TEST(k->measures[0].needs_sketch());
  std::mt19937_64 rng{2026};
  std::lognormal_distribution<double> dist{3.0, 0.8};
  auto agg = window_aggregate::with_measures(1);
  std::vector<double> xs;
  for (int i = 0; i < 5000; ++i) {
    double x = dist(rng);
    xs.push_back(x);
    ++agg.count;
    agg.measures[0].add_at(x, i, 0, true);
  }
  std::sort(xs.begin(), xs.end());
  auto values = window_values(*k, agg);
  BOOST_REQUIRE_EQUAL(values.size(), 4u);
  const double a = agg.measures[0].sketch.relative_accuracy();
  for (auto [i, q] : {std::pair{0, 0.5}, std::pair{1, 0.95}}) {
    double exact = exact_quantile(xs, q);
    BOOST_TEST_INFO("q = " << q << " exact " << exact << " got " << values[i]);
    BOOST_TEST(std::abs(values[i] - exact) / exact <= a * (1 + 1e-9));
  }
  BOOST_TEST(values[2] == xs.back());
  BOOST_TEST(values[3] == 5000.0);
  // Without the sketch (sketched = false) the quantiles have nothing to say.
  auto unsketched = window_aggregate::with_measures(1);
  unsketched.measures[0].add_at(5, 1, 0, false);
  BOOST_TEST(window_values(*k, unsketched)[0] == 0.0);
}

// Names that are valid identifiers can still clash with the table's own
// columns (window_start, window_end, event_count, late_count, updated_at) or
// be SQL keywords: a declaration is either refused naming the field, or its
// table can be created and written.
BOOST_AUTO_TEST_CASE(accepted_declarations_always_give_a_working_table) {
  struct tricky {
    const char* what;
    const char* text;
    const char* field; // the field an error must name
  };
  const tricky cases[] = {
      {"a measure whose column is event_count",
       R"({"kind":"k","keys":["id"],"time":"t","measures":[
           {"name":"event","aggregations":["count"]}]})",
       "measures[0] (event).aggregations"},
      {"a measure whose column is late_count",
       R"({"kind":"k","keys":["id"],"time":"t","measures":[
           {"name":"late","aggregations":["sum","count"]}]})",
       "measures[0] (late).aggregations"},
      {"a key named window_end",
       R"({"kind":"k","keys":["id","window_end"],"time":"t","measures":[
           {"name":"v","aggregations":["mean"]}]})",
       "keys[1]"},
      {"a key named updated_at",
       R"({"kind":"k","keys":["updated_at"],"time":"t","measures":[
           {"name":"v","aggregations":["mean"]}]})",
       "keys[0]"},
      {"keys that are SQL keywords",
       R"({"kind":"k","keys":["group","order","user"],
           "time":"t","measures":[{"name":"v","aggregations":["mean"]}]})",
       nullptr},
      {"a table that is an SQL keyword",
       R"({"kind":"k","table":"order","keys":["id"],"time":"t","measures":[
           {"name":"v","aggregations":["max"]}]})",
       nullptr},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      auto k = parse_kind_schema(c.text, "custom.json");
      if (!k) {
        BOOST_TEST_MESSAGE(k.error());
        BOOST_TEST(c.field != nullptr);
        if (c.field != nullptr)
          check_error(k.error(), c.field);
        continue;
      }
      check_table(*k);
    }
  }
}
