#include <cstdio>
#include <unistd.h>

#include "actors/cli/commands.hpp"
#include "actors/cli/signals.hpp"
#include "actors/node/node.hpp"
#include "runtime/options.hpp"

namespace vigil {

int run_run_command(int argc, char** argv) {
  node_config cfg;
  option_set opts{"run"};
  add_node_options(opts, cfg);
  auto err = opts.parse(argc - 1, argv + 1, environ);
  if (opts.help_requested) {
    std::fputs(opts.help().c_str(), stdout);
    return 0;
  }
  if (!err.empty()) {
    std::fprintf(stderr, "vigil run: %s\n", err.c_str());
    return 2;
  }
  install_stop_signals();
  return run_node(cfg, stop_requested);
}

} // namespace vigil
