#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

#include "actors/cli/commands.hpp"
#include "actors/console/console.hpp"
#include "runtime/options.hpp"

namespace vigil {

namespace {

/// True for a flag that carries its value in the next argument.
bool takes_value(const std::string& arg) {
  return arg.rfind("--", 0) == 0 && arg.find('=') == std::string::npos
         && arg != "--help";
}

} // namespace

int run_console_command(int argc, char** argv) {
  // Flags come first; the first other word starts the command.
  std::vector<char*> flag_args{argv[0]};
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!command.empty() || arg.rfind("-", 0) != 0) {
      command.push_back(arg);
      continue;
    }
    flag_args.push_back(argv[i]);
    if (takes_value(arg) && i + 1 < argc)
      flag_args.push_back(argv[++i]);
  }
  std::string connect = "127.0.0.1:4242";
  std::chrono::milliseconds timeout{10000};
  option_set flags{"console"};
  flags.add("connect",
            "HOST:PORT of a node's console endpoint (--console-host "
            "and --console-port of 'vigil run')",
            &connect);
  flags.add("timeout", "how long to wait for each answer", &timeout);
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  flags.add("tls-ca", "mutual TLS: PEM certificate of the cluster's CA",
            &tls_ca);
  flags.add("tls-cert", "mutual TLS: this client's PEM certificate", &tls_cert);
  flags.add("tls-key", "mutual TLS: this client's PEM private key", &tls_key);
  auto err = flags.parse(static_cast<int>(flag_args.size()) - 1,
                         flag_args.data() + 1, environ);
  if (flags.help_requested) {
    std::fputs("usage: vigil console [--connect HOST:PORT] [COMMAND ...]\n\n"
               "Asks a running node (vigil run, vigil demo) through its "
               "console endpoint.\nWith a COMMAND, prints the answer once; "
               "without, reads commands line by\nline from standard input "
               "until 'quit' or end of input.\n\n",
               stdout);
    std::fputs(flags.help().c_str(), stdout);
    return 0;
  }
  if (!err.empty()) {
    std::fprintf(stderr, "vigil console: %s\n", err.c_str());
    return 2;
  }
  if (timeout.count() <= 0) {
    std::fprintf(stderr, "vigil console: --timeout must be positive, e.g. "
                         "--timeout 10s\n");
    return 2;
  }
  auto addr = parse_console_address(connect);
  if (!addr) {
    std::fprintf(stderr, "vigil console: %s\n", addr.error().c_str());
    return 2;
  }
  int tls_parts = !tls_ca.empty() + !tls_cert.empty() + !tls_key.empty();
  if (tls_parts != 0 && tls_parts != 3) {
    std::fprintf(stderr, "vigil console: mutual TLS needs all of --tls-ca, "
                         "--tls-cert and --tls-key\n");
    return 2;
  }
  addr->tls_ca = tls_ca;
  addr->tls_cert = tls_cert;
  addr->tls_key = tls_key;
  return run_console_client(*addr, command, timeout, stdin, stdout, stderr,
                            ::isatty(STDIN_FILENO) != 0);
}

} // namespace vigil
