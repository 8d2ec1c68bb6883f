// The `vigil` command: one binary, one subcommand per role.

#include <cstdio>
#include <cstring>
#include <string>

#include "actors/cli/commands.hpp"

namespace {

void usage(std::FILE* out) {
  std::fputs(
      "usage: vigil COMMAND [flags]\n\n"
      "commands:\n"
      "  demo       everything on loopback: embedded broker, generator, one\n"
      "             node, SQLite at ./data/vigil.db\n"
      "  run        a node: consume events, window them, detect anomalies,\n"
      "             store results (--drain: stop at the end of the topic)\n"
      "  generate   synthetic request, sensor or trade events to a topic\n"
      "  broker     the embedded Kafka-protocol broker alone\n"
      "  doctor     diagnose config, broker, topic, events, database, ports\n"
      "  console    ask or steer a running node: status, partitions,\n"
      "             services, anomalies, incidents, restarts, checkpoint,\n"
      "             pause, resume\n"
      "  score      score a CSV series (timestamp,value) for anomalies\n\n"
      "'vigil COMMAND --help' lists the flags of a command.\n",
      out);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  // Subcommands see their own flags only.
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  if (cmd == "run")
    return vigil::run_run_command(sub_argc, sub_argv);
  if (cmd == "demo")
    return vigil::run_demo_command(sub_argc, sub_argv);
  if (cmd == "generate")
    return vigil::run_generate_command(sub_argc, sub_argv);
  if (cmd == "broker")
    return vigil::run_broker_command(sub_argc, sub_argv);
  if (cmd == "doctor")
    return vigil::run_doctor_command(sub_argc, sub_argv);
  if (cmd == "console")
    return vigil::run_console_command(sub_argc, sub_argv);
  if (cmd == "score")
    return vigil::run_score_command(sub_argc, sub_argv);
  std::fprintf(stderr, "vigil: unknown command '%s'\n\n", cmd.c_str());
  usage(stderr);
  return 2;
}
