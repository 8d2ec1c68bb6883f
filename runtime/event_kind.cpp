#include "runtime/event_kind.hpp"

#include "builtin_kinds.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/options.hpp"
#include "runtime/window.hpp"

namespace vigil {

namespace {

using json = nlohmann::json;

/// Thrown inside the validator; carries the field path and the problem.
struct schema_error {
  std::string field;
  std::string text;
};

[[noreturn]] void fail(std::string field, std::string text) {
  throw schema_error{std::move(field), std::move(text)};
}

/// Line and column (1-based) of byte `pos` of `text`.
std::pair<size_t, size_t> line_of(std::string_view text, size_t pos) {
  pos = std::min(pos, text.size());
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

/// An identifier that can name a column: [a-z_][a-z0-9_]*, at most 48.
bool valid_identifier(const std::string& s) {
  if (s.empty() || s.size() > 48)
    return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return std::islower(u) || std::isdigit(u) || c == '_';
  });
}

/// Columns every kind table has besides the keys and the value columns
/// (kind_table_ddl): a key or value column of the same name would clash.
bool fixed_column(const std::string& name) {
  static const std::set<std::string> fixed{
      "window_start", "window_end", "event_count", "late_count", "updated_at"};
  return fixed.count(name) != 0;
}

constexpr const char* fixed_columns_text
    = "window_start, window_end, event_count, late_count and updated_at";

/// `name` quoted as an SQL identifier (names are valid identifiers, so
/// nothing needs escaping): keys such as "group" or "user" are keywords.
std::string sql_name(const std::string& name) {
  return '"' + name + '"';
}

/// Rejects members of `obj` not in `allowed` (catches typos).
void only_members(const json& obj, const std::string& where,
                  std::initializer_list<const char*> allowed) {
  for (const auto& [name, value] : obj.items()) {
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char* a) { return name == a; })) {
      std::string list;
      for (const char* a : allowed)
        list += list.empty() ? a : std::string{", "} + a;
      fail(where.empty() ? name : where + "." + name,
           "unknown field; expected one of: " + list);
    }
  }
}

std::string string_member(const json& obj, const std::string& where,
                          const char* name, bool required) {
  auto i = obj.find(name);
  auto path = where.empty() ? std::string{name} : where + "." + name;
  if (i == obj.end()) {
    if (required)
      fail(path, "missing (a string is required)");
    return {};
  }
  if (!i->is_string())
    fail(path, "must be a string");
  return i->get<std::string>();
}

value_range parse_range(const json& j, const std::string& where) {
  if (!j.is_object())
    fail(where, R"(must be an object such as {"ge": 0, "le": 14})");
  only_members(j, where, {"gt", "ge", "lt", "le"});
  value_range r;
  auto bound = [&](const char* name, std::optional<double>& out) {
    if (auto i = j.find(name); i != j.end()) {
      if (!i->is_number())
        fail(where + "." + name, "must be a number");
      out = i->get<double>();
    }
  };
  bound("gt", r.gt);
  bound("ge", r.ge);
  bound("lt", r.lt);
  bound("le", r.le);
  if (r.gt && r.ge)
    fail(where, "has both gt and ge; keep one lower bound");
  if (r.lt && r.le)
    fail(where, "has both lt and le; keep one upper bound");
  auto lo = r.gt ? r.gt : r.ge;
  auto hi = r.lt ? r.lt : r.le;
  if (lo && hi && (*lo > *hi || (*lo == *hi && (r.gt || r.lt))))
    fail(where, "is empty: no value satisfies " + r.describe());
  return r;
}

/// Parses one aggregation name into specs (ohlc expands to four).
void parse_aggregation(const std::string& name, const std::string& measure,
                       const std::string& where,
                       std::vector<aggregation_spec>& out) {
  auto add = [&](aggregation kind, const std::string& suffix, double q = 0) {
    out.push_back({kind, q, measure + "_" + suffix});
  };
  static const std::map<std::string, aggregation> plain{
      {"count", aggregation::count}, {"sum", aggregation::sum},
      {"mean", aggregation::mean},   {"min", aggregation::min},
      {"max", aggregation::max},     {"first", aggregation::first},
      {"last", aggregation::last},   {"vwap", aggregation::vwap}};
  if (auto i = plain.find(name); i != plain.end()) {
    add(i->second, name);
    return;
  }
  if (name == "ohlc") {
    add(aggregation::first, "open");
    add(aggregation::max, "high");
    add(aggregation::min, "low");
    add(aggregation::last, "close");
    return;
  }
  // pNN or pNN.N: a quantile, e.g. p95 or p99.9.
  if (name.size() >= 2 && name[0] == 'p') {
    auto digits = name.substr(1);
    bool ok
        = !digits.empty() && std::isdigit(static_cast<unsigned char>(digits[0]))
          && std::all_of(digits.begin(), digits.end(),
                         [](char c) {
                           return std::isdigit(static_cast<unsigned char>(c))
                                  || c == '.';
                         })
          && std::count(digits.begin(), digits.end(), '.') <= 1
          && digits.back() != '.';
    if (ok) {
      double pct = std::stod(digits);
      if (pct > 0 && pct < 100) {
        auto suffix = "p" + digits;
        std::replace(suffix.begin(), suffix.end(), '.', '_');
        add(aggregation::quantile, suffix, pct / 100);
        return;
      }
    }
  }
  fail(where, "unknown aggregation \"" + name
                  + "\"; known: count, sum, mean, min, max, first, last, "
                    "ohlc, vwap and quantiles pNN (e.g. p95, p99.9)");
}

kind_schema validate(const json& doc) {
  if (!doc.is_object())
    fail("(top level)", "must be a JSON object");
  only_members(doc, "",
               {"kind", "description", "table", "keys", "time", "window",
                "measures", "jump"});
  kind_schema k;
  k.name = string_member(doc, "", "kind", true);
  if (!valid_identifier(k.name))
    fail("kind", "\"" + k.name
                     + "\" is not a valid name (lower case letters, digits "
                       "and _, starting with a letter, at most 48)");
  k.description = string_member(doc, "", "description", false);
  k.table = string_member(doc, "", "table", false);
  if (k.table.empty())
    k.table = k.name + "_metrics";
  if (!valid_identifier(k.table))
    fail("table", "\"" + k.table + "\" is not a valid table name");
  static const std::set<std::string> reserved_tables{
      "anomalies",          "incidents",      "checkpoints",
      "checkpoint_offsets", "schema_version", "dead_letters"};
  if (reserved_tables.count(k.table) != 0)
    fail("table", "\"" + k.table + "\" is one of vigil's own tables");
  auto keys = doc.find("keys");
  if (keys == doc.end())
    fail("keys", "missing (a list of the fields windows are grouped by)");
  if (!keys->is_array() || keys->empty())
    fail("keys", "must be a non-empty list of field names");
  std::set<std::string> fields;
  for (size_t i = 0; i < keys->size(); ++i) {
    auto where = "keys[" + std::to_string(i) + "]";
    const auto& key = (*keys)[i];
    if (!key.is_string() || !valid_identifier(key.get<std::string>()))
      fail(where, "must be a field name (lower case, digits and _)");
    if (!fields.insert(key.get<std::string>()).second)
      fail(where, "\"" + key.get<std::string>() + "\" is declared twice");
    if (fixed_column(key.get<std::string>()))
      fail(where, "\"" + key.get<std::string>()
                      + "\" clashes with a column of every kind table ("
                      + fixed_columns_text + ")");
    k.keys.push_back(key.get<std::string>());
  }
  k.time_field = string_member(doc, "", "time", true);
  if (!valid_identifier(k.time_field))
    fail("time", "must be a field name");
  if (!fields.insert(k.time_field).second)
    fail("time", "\"" + k.time_field + "\" is also a key");
  if (auto w = doc.find("window"); w != doc.end()) {
    std::chrono::milliseconds ms{0};
    if (!w->is_string() || !parse_duration(w->get<std::string>(), ms)
        || ms.count() <= 0)
      fail("window", "must be a positive duration such as \"10s\" or \"1m\"");
    k.window_ms = ms.count();
  }
  auto measures = doc.find("measures");
  if (measures == doc.end())
    fail("measures", "missing (a list of the numeric fields to aggregate)");
  if (!measures->is_array() || measures->empty())
    fail("measures", "must be a non-empty list");
  std::map<std::string, size_t> index;
  std::vector<std::string> weights;
  for (size_t i = 0; i < measures->size(); ++i) {
    const auto& m = (*measures)[i];
    auto where = "measures[" + std::to_string(i) + "]";
    if (!m.is_object())
      fail(where, "must be an object with name, type, valid, aggregations");
    only_members(m, where,
                 {"name", "type", "valid", "healthy", "aggregations", "weight",
                  "description", "unit"});
    measure_spec spec;
    spec.name = string_member(m, where, "name", true);
    where += " (" + spec.name + ")";
    if (!valid_identifier(spec.name))
      fail(where + ".name", "must be a field name (lower case, digits and _)");
    if (auto prior = index.find(spec.name); prior != index.end())
      fail(where + ".name", "\"" + spec.name
                                + "\" is declared twice (first at measures["
                                + std::to_string(prior->second) + "])");
    if (!fields.insert(spec.name).second)
      fail(where + ".name",
           "\"" + spec.name + "\" is already the time field or a key");
    auto type = string_member(m, where, "type", false);
    if (type.empty() || type == "number")
      spec.integer = false;
    else if (type == "integer")
      spec.integer = true;
    else
      fail(where + ".type",
           "unknown type \"" + type + "\"; use number or integer");
    if (auto v = m.find("valid"); v != m.end())
      spec.valid = parse_range(*v, where + ".valid");
    if (auto h = m.find("healthy"); h != m.end())
      spec.healthy = parse_range(*h, where + ".healthy");
    auto aggs = m.find("aggregations");
    if (aggs == m.end() || !aggs->is_array() || aggs->empty())
      fail(where + ".aggregations",
           "must be a non-empty list such as [\"mean\", \"p95\"]");
    for (size_t a = 0; a < aggs->size(); ++a) {
      auto awhere = where + ".aggregations[" + std::to_string(a) + "]";
      if (!(*aggs)[a].is_string())
        fail(awhere, "must be a string");
      parse_aggregation((*aggs)[a].get<std::string>(), spec.name, awhere,
                        spec.aggregations);
    }
    std::set<std::string> columns;
    for (const auto& agg : spec.aggregations) {
      if (!columns.insert(agg.column).second)
        fail(where + ".aggregations",
             "column " + agg.column + " is declared twice");
      if (fixed_column(agg.column))
        fail(where + ".aggregations",
             "column " + agg.column
                 + " clashes with a column of every kind table ("
                 + fixed_columns_text + "); rename the measure");
    }
    weights.push_back(string_member(m, where, "weight", false));
    bool has_vwap = std::any_of(
        spec.aggregations.begin(), spec.aggregations.end(),
        [](const aggregation_spec& a) { return a.kind == aggregation::vwap; });
    if (has_vwap && weights.back().empty())
      fail(where + ".weight",
           "missing: vwap needs the measure that weighs each value, e.g. "
           "\"weight\": \"size\"");
    if (!has_vwap && !weights.back().empty())
      fail(where + ".weight", "is only used by the vwap aggregation");
    index.emplace(spec.name, i);
    k.measures.push_back(std::move(spec));
  }
  for (size_t i = 0; i < k.measures.size(); ++i) {
    if (weights[i].empty())
      continue;
    auto where = "measures[" + std::to_string(i) + "] (" + k.measures[i].name
                 + ").weight";
    auto w = index.find(weights[i]);
    if (w == index.end())
      fail(where, "\"" + weights[i] + "\" is not a declared measure");
    if (w->second == i)
      fail(where, "a measure cannot weigh itself");
    k.measures[i].weight = w->second;
  }
  std::set<std::string> all_columns;
  for (const auto& column : k.value_columns())
    if (!all_columns.insert(column).second)
      fail("measures", "two aggregations are both stored as column " + column);
  if (auto j = doc.find("jump"); j != doc.end()) {
    if (!j->is_object())
      fail("jump", "must be an object with measure, sigma, history");
    only_members(*j, "jump",
                 {"measure", "sigma", "history", "min_history", "min_move"});
    jump_rule rule;
    auto name = string_member(*j, "jump", "measure", true);
    auto m = index.find(name);
    if (m == index.end())
      fail("jump.measure", "\"" + name + "\" is not a declared measure");
    rule.measure = m->second;
    const auto& aggs = k.measures[rule.measure].aggregations;
    if (std::none_of(aggs.begin(), aggs.end(), [](const aggregation_spec& a) {
          return a.kind == aggregation::last;
        }))
      fail("jump.measure",
           "\"" + name
               + "\" must report last (or ohlc): the rule compares "
                 "closes");
    auto number = [&](const char* field, double lo, double& out) {
      if (auto i = j->find(field); i != j->end()) {
        if (!i->is_number() || i->get<double>() < lo)
          fail(std::string{"jump."} + field,
               "must be a number >= " + std::to_string(static_cast<int>(lo)));
        out = i->get<double>();
      }
    };
    double history = static_cast<double>(rule.history);
    double min_history = static_cast<double>(rule.min_history);
    number("sigma", 1, rule.sigma);
    number("history", 2, history);
    number("min_history", 2, min_history);
    number("min_move", 0, rule.min_move);
    rule.history = static_cast<size_t>(history);
    rule.min_history = static_cast<size_t>(min_history);
    if (rule.min_history > rule.history)
      fail("jump.min_history", "must not exceed jump.history");
    k.jump = rule;
  }
  return k;
}

} // namespace

bool value_range::contains(double x) const noexcept {
  if (std::isnan(x))
    return false;
  return (!gt || x > *gt) && (!ge || x >= *ge) && (!lt || x < *lt)
         && (!le || x <= *le);
}

std::string value_range::describe() const {
  std::ostringstream out;
  auto part = [&](const char* op, const std::optional<double>& v) {
    if (!v)
      return;
    if (out.tellp() > 0)
      out << " and ";
    out << op << ' ' << *v;
  };
  part(">", gt);
  part(">=", ge);
  part("<", lt);
  part("<=", le);
  return out.tellp() > 0 ? out.str() : "any value";
}

bool measure_spec::needs_sketch() const noexcept {
  return std::any_of(aggregations.begin(), aggregations.end(),
                     [](const aggregation_spec& a) {
                       return a.kind == aggregation::quantile;
                     });
}

std::vector<std::string> kind_schema::value_columns() const {
  std::vector<std::string> out;
  for (const auto& m : measures)
    for (const auto& a : m.aggregations)
      out.push_back(a.column);
  return out;
}

bool kind_schema::has_bands() const noexcept {
  return std::any_of(measures.begin(), measures.end(),
                     [](const measure_spec& m) { return !m.healthy.empty(); });
}

std::vector<double> window_values(const kind_schema& kind,
                                  const window_aggregate& agg) {
  std::vector<double> out;
  for (size_t i = 0; i < kind.measures.size(); ++i) {
    const auto& spec = kind.measures[i];
    static const measure_aggregate none;
    const auto& m = i < agg.measures.size() ? agg.measures[i] : none;
    bool any = m.count > 0;
    for (const auto& a : spec.aggregations) {
      switch (a.kind) {
      case aggregation::count:
        out.push_back(static_cast<double>(m.count));
        break;
      case aggregation::sum:
        out.push_back(m.sum);
        break;
      case aggregation::mean:
        out.push_back(m.mean());
        break;
      case aggregation::min:
        out.push_back(any ? m.min : 0.0);
        break;
      case aggregation::max:
        out.push_back(any ? m.max : 0.0);
        break;
      case aggregation::first:
        out.push_back(any ? m.first : 0.0);
        break;
      case aggregation::last:
        out.push_back(any ? m.last : 0.0);
        break;
      case aggregation::quantile:
        out.push_back(any ? m.sketch.quantile(a.q) : 0.0);
        break;
      case aggregation::vwap: {
        double weights = spec.weight < agg.measures.size()
                             ? agg.measures[spec.weight].sum
                             : 0.0;
        out.push_back(weights > 0 ? m.weighted_sum / weights : 0.0);
        break;
      }
      }
    }
  }
  return out;
}

std::vector<std::string> kind_table_ddl(const kind_schema& kind,
                                        sql_dialect dialect) {
  const bool pg = dialect == sql_dialect::postgres;
  const char* time_type = pg ? "timestamptz" : "INTEGER";
  const char* count_type = pg ? "bigint" : "INTEGER";
  const char* value_type = pg ? "double precision" : "REAL";
  std::string sql
      = "CREATE TABLE IF NOT EXISTS " + sql_name(kind.table) + " (\n";
  for (const auto& key : kind.keys)
    sql += "  " + sql_name(key) + " TEXT NOT NULL,\n";
  sql += std::string{"  window_start "} + time_type + " NOT NULL,\n";
  sql += std::string{"  window_end "} + time_type + " NOT NULL,\n";
  sql += std::string{"  event_count "} + count_type + " NOT NULL,\n";
  sql += std::string{"  late_count "} + count_type + " NOT NULL DEFAULT 0,\n";
  for (const auto& column : kind.value_columns())
    sql += "  " + sql_name(column) + " " + value_type + ",\n";
  sql += std::string{"  updated_at "} + time_type + " NOT NULL,\n";
  sql += "  PRIMARY KEY (";
  for (const auto& key : kind.keys)
    sql += sql_name(key) + ", ";
  sql += "window_start)\n)";
  return {sql, "CREATE INDEX IF NOT EXISTS "
                   + sql_name(kind.table + "_window_start") + " ON "
                   + sql_name(kind.table) + " (window_start)"};
}

std::string kind_upsert_sql(const kind_schema& kind, sql_dialect dialect) {
  const bool pg = dialect == sql_dialect::postgres;
  std::vector<std::string> columns{kind.keys};
  for (const char* c :
       {"window_start", "window_end", "event_count", "late_count"})
    columns.emplace_back(c);
  for (const auto& c : kind.value_columns())
    columns.push_back(c);
  columns.emplace_back("updated_at");
  auto is_time = [](const std::string& c) {
    return c == "window_start" || c == "window_end" || c == "updated_at";
  };
  std::string names;
  std::string values;
  for (size_t i = 0; i < columns.size(); ++i) {
    auto param = (pg ? "$" : "?") + std::to_string(i + 1);
    if (i > 0) {
      names += ", ";
      values += ", ";
    }
    names += sql_name(columns[i]);
    if (pg && is_time(columns[i]))
      values += "to_timestamp(" + param + "::bigint / 1000.0)";
    else if (pg && i < kind.keys.size())
      values += param + "::text";
    else if (pg && (columns[i] == "event_count" || columns[i] == "late_count"))
      values += param + "::bigint";
    else if (pg)
      values += param + "::double precision";
    else
      values += param;
  }
  std::string conflict;
  for (const auto& key : kind.keys)
    conflict += sql_name(key) + ", ";
  conflict += "window_start";
  std::string updates;
  for (size_t i = kind.keys.size() + 1; i < columns.size(); ++i)
    updates += (updates.empty() ? "" : ", ") + sql_name(columns[i])
               + " = excluded." + sql_name(columns[i]);
  return "INSERT INTO " + sql_name(kind.table) + " (" + names + ") VALUES ("
         + values + ") ON CONFLICT (" + conflict + ") DO UPDATE SET " + updates;
}

std::vector<std::string> split_key(std::string_view joined, size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  size_t begin = 0;
  for (size_t i = 0; i < n; ++i) {
    if (begin > joined.size()) {
      out.emplace_back();
      continue;
    }
    auto end = i + 1 == n ? joined.size() : joined.find(key_separator, begin);
    if (end == std::string_view::npos)
      end = joined.size();
    out.emplace_back(joined.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

expected<kind_schema> parse_kind_schema(std::string_view text,
                                        std::string_view origin) {
  auto prefix = std::string{origin} + ": ";
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    auto [line, column] = line_of(text, e.byte == 0 ? 0 : e.byte - 1);
    std::string what = e.what();
    if (auto at = what.find("syntax error"); at != std::string::npos)
      what = what.substr(at);
    return make_error_text(prefix + "line " + std::to_string(line) + ", column "
                           + std::to_string(column) + ": not valid JSON ("
                           + what + ")");
  }
  try {
    return validate(doc);
  } catch (const schema_error& e) {
    return make_error_text(prefix + e.field + ": " + e.text);
  } catch (const json::exception& e) {
    return make_error_text(prefix + e.what());
  }
}

std::vector<std::string> builtin_kind_names() {
  std::vector<std::string> out;
  for (const auto& entry : builtin_kinds)
    out.emplace_back(entry.name);
  return out;
}

std::string_view builtin_kind_text(std::string_view name) {
  for (const auto& entry : builtin_kinds)
    if (entry.name == name)
      return entry.text;
  return {};
}

expected<kind_schema> load_kind_schema(const std::string& name_or_path) {
  bool is_path
      = name_or_path.find('/') != std::string::npos
        || (name_or_path.size() > 5
            && name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0);
  if (!is_path) {
    auto text = builtin_kind_text(name_or_path);
    if (text.empty()) {
      std::string known;
      for (const auto& n : builtin_kind_names())
        known += (known.empty() ? "" : ", ") + n;
      return make_error_text("unknown event kind \"" + name_or_path
                             + "\"; built in: " + known
                             + ", or give the path of a declaration file "
                               "(see docs/event-kinds.md)");
    }
    return parse_kind_schema(text, "schemas/kinds/" + name_or_path + ".json");
  }
  std::ifstream in{name_or_path, std::ios::binary};
  if (!in)
    return make_error_text(name_or_path
                           + ": cannot read the event-kind declaration (check "
                             "the path and its permissions)");
  std::string text{std::istreambuf_iterator<char>{in},
                   std::istreambuf_iterator<char>{}};
  return parse_kind_schema(text, name_or_path);
}

} // namespace vigil
