#pragma once

// How the readers (HTTP API, console, dashboard) see the windows of a node's
// event kind: which table holds them, which columns key a window, which
// column counts its events and which hold its values. The request kind maps
// onto service_metrics; every other kind onto its own table
// (kind_table_ddl in runtime/event_kind.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/db_error.hpp"

namespace vigil {

struct kind_schema;

/// One value column of a kind's window row and the measure it reports.
struct kind_view_column {
  /// Column name, e.g. "price_close".
  std::string name;
  /// The measure, e.g. "price" (request: the column name itself).
  std::string measure;
  /// The aggregation, e.g. "close", "mean", "p95" (request: empty).
  std::string aggregation;
};

/// The table of a kind as the readers query it.
struct kind_view {
  /// The kind's name, e.g. "trade" ("request" for the request kind).
  std::string kind;
  /// Its declaration's description.
  std::string description;
  /// Table of its windows.
  std::string table;
  /// Columns that key a window, in order.
  std::vector<std::string> keys;
  /// Column of a window's event count (request: request_count).
  std::string count_column;
  /// Value columns, in table order.
  std::vector<kind_view_column> columns;
  /// Measures with a healthy band: name and bounds (open ends absent).
  struct band {
    std::string measure;
    std::optional<double> low;
    std::optional<double> high;
  };
  std::vector<band> bands;

  /// True for the request kind (service_metrics).
  bool is_request() const noexcept {
    return kind == "request";
  }

  /// The names of `columns`.
  std::vector<std::string> column_names() const;

  /// Indexes of up to `n` columns to show in a narrow table: all of them if
  /// there are at most `n`, else one per measure, its headline aggregation
  /// (mean, else close, else last, else sum, else its first), in measure
  /// order.
  std::vector<size_t> headline_columns(size_t n) const;
};

/// The view of `schema`, or of the request kind if `schema` is null.
kind_view make_kind_view(const kind_schema* schema);

/// One stored window of a kind.
struct kind_window_row {
  /// The key values joined by '|' (e.g. "SYM0002|XNAS"): the `service` of
  /// the kind's anomalies.
  std::string key;
  /// The key values, in the order of `kind_view::keys`.
  std::vector<std::string> key_values;
  /// Start and end of the window, epoch ms.
  int64_t window_start = 0;
  int64_t window_end = 0;
  /// Events in the window.
  int64_t event_count = 0;
  /// Events accepted after the window's end.
  int64_t late_count = 0;
  /// The value columns, in the order of `kind_view::columns` (absent:
  /// NULL).
  std::vector<std::optional<double>> values;
  /// Last write of the row, epoch ms.
  int64_t updated_at = 0;
};

/// The latest window of every key of `view`, ordered by key, over a
/// short-lived read-only connection to `db` (SQLite file or PostgreSQL
/// URL).
db_result<std::vector<kind_window_row>> read_kind_latest(const std::string& db,
                                                         const kind_view& view);

/// The windows of one key (its values in the order of `view.keys`) starting
/// at or after `since_ms`, oldest first.
db_result<std::vector<kind_window_row>>
read_kind_windows(const std::string& db, const kind_view& view,
                  const std::vector<std::string>& key_values, int64_t since_ms);

} // namespace vigil
