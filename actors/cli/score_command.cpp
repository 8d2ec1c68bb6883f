// `vigil score`: the detector over one univariate series in a CSV file.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "actors/cli/commands.hpp"
#include "actors/detect/score_csv.hpp"
#include "runtime/options.hpp"

namespace vigil {

int run_score_command(int argc, char** argv) {
  std::string input;
  std::string output;
  std::string sensitivity = "1";
  detection_config config;
  uint64_t min_history = config.min_history;
  option_set flags{"score"};
  flags.add("input", "CSV file with the header 'timestamp,value'", &input);
  flags.add("output",
            "CSV file to write: 'timestamp,value,anomaly_score' (replaced "
            "atomically)",
            &output);
  flags.add("sensitivity",
            "divides every detector's threshold: 2 pages on half the "
            "deviation, 0.5 needs twice the deviation",
            &sensitivity);
  flags.add("min-history", "samples seen before any score above 0",
            &min_history);
  auto err = flags.parse(argc - 1, argv + 1, environ);
  if (flags.help_requested) {
    std::fputs(
        "usage: vigil score --input FILE.csv --output FILE.csv\n\n"
        "Scores one series offline with the detector of the live pipeline.\n"
        "Input: a header 'timestamp,value', then one row per sample; "
        "timestamps\nlike 2014-04-01 00:00:00 (UTC), RFC 3339, or epoch "
        "milliseconds, not going\nbackwards. Output: the input rows with "
        "anomaly_score in [0, 1] appended\n(0.5 and above: anomalous). The "
        "score of a row depends only on the rows\nbefore it. Exit 2 on bad "
        "input, naming the line; the output is then\nuntouched.\n\n",
        stdout);
    std::fputs(flags.help().c_str(), stdout);
    return 0;
  }
  if (err.empty() && (input.empty() || output.empty()))
    err = "--input FILE and --output FILE are required, e.g. vigil score "
          "--input series.csv --output scored.csv";
  if (err.empty()) {
    char* end = nullptr;
    config.sensitivity = std::strtod(sensitivity.c_str(), &end);
    if (end == sensitivity.c_str() || *end != '\0'
        || !std::isfinite(config.sensitivity) || config.sensitivity <= 0)
      err = "--sensitivity must be a positive number, e.g. --sensitivity 1.5";
  }
  if (!err.empty()) {
    std::fprintf(stderr, "vigil score: %s\n", err.c_str());
    return 2;
  }
  config.min_history = static_cast<size_t>(min_history);
  auto result = score_csv_file(input, output, config);
  if (result.exit_code != 0) {
    std::fprintf(stderr, "vigil score: %s\n", result.error.c_str());
    return result.exit_code;
  }
  std::fprintf(stderr, "vigil score: %zu rows, %zu anomalous, written to %s\n",
               result.rows, result.anomalous, output.c_str());
  return 0;
}

} // namespace vigil
