#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/detect/anomaly_scorer.hpp"

namespace vigil {

/// Parses a timestamp of a `vigil score` input: `2014-04-01 00:00:00` (also
/// with `T` and fractions; no zone means UTC), RFC 3339 with a zone, or epoch
/// milliseconds (an integer). Returns epoch milliseconds.
std::optional<int64_t> parse_series_timestamp(std::string_view text) noexcept;

/// The outcome of scoring a CSV series.
struct score_csv_result {
  /// Empty on success, else "line N: what is wrong".
  std::string error;
  /// Data rows scored.
  size_t rows = 0;
  /// Rows with a score of 0.5 or more.
  size_t anomalous = 0;
};

/// Scores CSV text with header `timestamp,value` and appends
/// `timestamp,value,anomaly_score` lines to `out` (input fields echoed as
/// written). Blank lines are skipped; timestamps must not go backwards. On
/// error `out` holds a partial result the caller must discard.
score_csv_result score_csv(std::string_view input,
                           const detection_config& config, std::string& out);

/// Reads `input_path`, scores it, and writes `output_path` through a
/// temporary file in the same directory renamed into place, so the output
/// either is complete or does not change. `exit_code` is 0, 2 for bad input
/// (nothing written) or 1 for a failure to write.
struct score_file_result : score_csv_result {
  int exit_code = 0;
};

score_file_result score_csv_file(const std::string& input_path,
                                 const std::string& output_path,
                                 const detection_config& config);

} // namespace vigil
