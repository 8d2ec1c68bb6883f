#include <cstdio>
#include <unistd.h>

#include "actors/cli/commands.hpp"
#include "actors/doctor/doctor.hpp"
#include "runtime/db_location.hpp"
#include "runtime/options.hpp"

namespace vigil {

int run_doctor_command(int argc, char** argv) {
  doctor::doctor_options opts;
  option_set flags{"doctor"};
  add_node_options(flags, opts.node);
  flags.add("json", "print one JSON document instead of text", &opts.json);
  flags.add("sample", "messages sampled from the end of each partition",
            &opts.sample);
  flags.add("timeout", "timeout of each broker probe", &opts.timeout);
  auto err = flags.parse(argc - 1, argv + 1, environ);
  if (flags.help_requested) {
    std::fputs(flags.help().c_str(), stdout);
    std::fputs(
        "\nChecks, each printed as OK, WARN or FAIL with its evidence and a\n"
        "fix: config_paths, broker_reachable, topic_exists,\n"
        "consumer_offsets, event_contract, database, checkpoint_retention,\n"
        "ports, clock_skew (see docs/operations.md). Exit status: 0 if no\n"
        "check fails, 1 if one does, 2 for bad flags.\n",
        stdout);
    return 0;
  }
  if (err.empty())
    err = db_setting_error(opts.node.db);
  if (!err.empty()) {
    std::fprintf(stderr, "vigil doctor: %s\n", err.c_str());
    return 2;
  }
  // --http-port and --console-port come from the node's options (0: do not
  // check).
  opts.http_port = opts.node.http_port;
  opts.console_port = opts.node.console_port;
  if (opts.http_port > 65535 || opts.console_port > 65535) {
    std::fprintf(stderr, "vigil doctor: --http-port and --console-port take "
                         "0..65535\n");
    return 2;
  }
  if (opts.timeout.count() <= 0) {
    std::fprintf(stderr, "vigil doctor: --timeout must be positive, e.g. "
                         "--timeout 5s\n");
    return 2;
  }
  auto results = doctor::run_checks(opts);
  auto text
      = opts.json ? doctor::render_json(results) : doctor::render_text(results);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  return doctor::exit_status(results);
}

} // namespace vigil
