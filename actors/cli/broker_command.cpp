#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <pthread.h>

#include <librdkafka/rdkafka.h>

#include "actors/cli/cli_flags.hpp"
#include "actors/cli/commands.hpp"
#include "runtime/embedded_broker.hpp"

namespace vigil {

int run_broker_command(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto flags = parse_broker_flags(args);
  if (!flags) {
    std::fprintf(stderr, "vigil broker: %s\n", flags.error().c_str());
    return 2;
  }
  if (flags->help) {
    std::fputs(broker_usage(), stdout);
    return 0;
  }
  // Block the stop signals before librdkafka starts its threads (they inherit
  // the mask), then wait for them with sigwait: no handler, no busy loop.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto broker = embedded_broker::start(flags->options);
  if (!broker) {
    std::fprintf(stderr, "vigil broker: %s\n", broker.error().c_str());
    return flags->options.port != 0 ? 2 : 1;
  }
  std::printf("%s\n", broker->bootstrap().c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "vigil broker: embedded Kafka broker (librdkafka %s mock "
               "cluster) listening on %s (loopback only)\n",
               rd_kafka_version_str(), broker->bootstrap().c_str());
  for (const auto& topic : flags->options.topics)
    std::fprintf(stderr, "vigil broker: topic %s with %d partition%s\n",
                 topic.name.c_str(), static_cast<int>(topic.partitions),
                 topic.partitions == 1 ? "" : "s");
  std::fprintf(stderr,
               "vigil broker: data lives in memory only; inspect with "
               "`kcat -b %s -L`; stop with Ctrl-C or SIGTERM\n",
               broker->bootstrap().c_str());
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "vigil broker: received %s, shutting down\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  return 0;
}

} // namespace vigil
