#pragma once

// Event kinds declared in schemas/kinds/*.json: which fields key a window,
// which field holds the event time, and each measure with its type, valid
// range and aggregations. A declaration is validated when it is loaded; an
// error names the file and the field (or the line of a syntax error).

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/expected.hpp"

namespace vigil {

/// What a window reports of one measure.
enum class aggregation : uint8_t {
  /// Number of values.
  count,
  /// Sum of the values.
  sum,
  /// Arithmetic mean.
  mean,
  /// Smallest value.
  min,
  /// Largest value.
  max,
  /// Value of the earliest event (ties: the smallest value).
  first,
  /// Value of the latest event (ties: the largest value).
  last,
  /// A quantile through the mergeable sketch (`aggregation_spec::q`).
  quantile,
  /// Volume-weighted average: sum(value * weight) / sum(weight).
  vwap,
};

/// One reported statistic of a measure and the column it is stored in.
struct aggregation_spec {
  aggregation kind = aggregation::count;
  /// The quantile for `aggregation::quantile`, in (0, 1).
  double q = 0;
  /// Column name: `<measure>_<aggregation>`, e.g. `price_vwap`, `ph_p95`.
  std::string column;
};

/// An interval of accepted values; absent bounds are open.
struct value_range {
  std::optional<double> gt;
  std::optional<double> ge;
  std::optional<double> lt;
  std::optional<double> le;

  /// True if `x` lies inside (NaN never does).
  bool contains(double x) const noexcept;

  /// E.g. "> 0" or ">= 0 and <= 14".
  std::string describe() const;

  bool empty() const noexcept {
    return !gt && !ge && !lt && !le;
  }
};

/// One numeric field of an event kind.
struct measure_spec {
  std::string name;
  /// Values must be integral.
  bool integer = false;
  /// Values outside are rejected (`out_of_range` dead letters).
  value_range valid;
  /// Values outside are valid but anomalous (the band detector).
  value_range healthy;
  /// What windows report, in column order.
  std::vector<aggregation_spec> aggregations;
  /// Index of the weight measure of `vwap` (npos if none).
  size_t weight = npos;

  static constexpr size_t npos = std::numeric_limits<size_t>::max();

  /// True if a quantile is reported (values go into the sketch).
  bool needs_sketch() const noexcept;
};

/// Anomaly rule of market-like kinds: a window whose close moved more than
/// `sigma` standard deviations of the recent close-to-close returns.
struct jump_rule {
  /// Index of the measure (its `last` is the close).
  size_t measure = 0;
  /// Threshold in standard deviations of the recent returns.
  double sigma = 6;
  /// Returns kept per key.
  size_t history = 30;
  /// Returns needed before the rule judges.
  size_t min_history = 10;
  /// Smallest move reported, as a fraction (0.005: 0.5 %): a key whose
  /// price barely moved for a while (few trades, one tick) has a tiny
  /// deviation, and a one-tick move would otherwise be many of them.
  double min_move = 0.005;
};

/// A validated event-kind declaration.
struct kind_schema {
  /// Name, e.g. "sensor"; what `--kind` selects.
  std::string name;
  std::string description;
  /// Table its windows are stored in.
  std::string table;
  /// Fields that key a window (string values), in order.
  std::vector<std::string> keys;
  /// The event-time field (RFC 3339 text or epoch milliseconds).
  std::string time_field;
  /// Suggested window size, ms (0: the node's `--window`).
  int64_t window_ms = 0;
  std::vector<measure_spec> measures;
  std::optional<jump_rule> jump;

  /// True for the request kind, processed by the request pipeline.
  bool is_request() const noexcept {
    return name == "request";
  }

  /// The value columns of a window row, in order (every measure's
  /// aggregations, measure by measure).
  std::vector<std::string> value_columns() const;

  /// True if any measure has a healthy band.
  bool has_bands() const noexcept;
};

struct window_aggregate;

/// The value columns of a window of `kind` (see `value_columns`), computed
/// from its aggregate (one measure aggregate per declared measure).
std::vector<double> window_values(const kind_schema& kind,
                                  const window_aggregate& agg);

/// The SQL dialect of a kind's table.
enum class sql_dialect : uint8_t { sqlite, postgres };

/// The statements that create the table of `kind` if it is missing: the key
/// columns, window_start, window_end, event_count, late_count, the value
/// columns, updated_at, the primary key (keys..., window_start) and an index
/// on window_start. Times are epoch ms (SQLite) or timestamptz (PostgreSQL).
std::vector<std::string> kind_table_ddl(const kind_schema& kind,
                                        sql_dialect dialect);

/// The upsert of one window row of `kind`. Parameters in order: the key
/// values, window_start, window_end, event_count, late_count, the value
/// columns, updated_at (times as epoch ms).
std::string kind_upsert_sql(const kind_schema& kind, sql_dialect dialect);

/// Splits a joined key into its `n` values (missing ones empty).
std::vector<std::string> split_key(std::string_view joined, size_t n);

/// Separator of key values in a window's joined key, e.g. "s-1|north". Key
/// values that contain it are rejected (`bad_key`).
constexpr char key_separator = '|';

/// Parses and validates a declaration; `origin` (a file name) prefixes every
/// error, which names the field or, for a syntax error, the line and column.
expected<kind_schema> parse_kind_schema(std::string_view text,
                                        std::string_view origin);

/// Names of the kinds built into vigil (schemas/kinds/ at build time).
std::vector<std::string> builtin_kind_names();

/// Loads a kind: `name_or_path` is a built-in kind's name, or the path of a
/// declaration file (anything containing '/' or ending in .json).
expected<kind_schema> load_kind_schema(const std::string& name_or_path);

/// The declaration text of a built-in kind (empty if unknown).
std::string_view builtin_kind_text(std::string_view name);

} // namespace vigil
