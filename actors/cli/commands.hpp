#pragma once

// Entry points of the `vigil` subcommands. Each takes the arguments from the
// command name on (argv[0] is e.g. "broker") and returns the exit code:
// 0 success, 1 runtime failure, 2 bad flags.

namespace vigil {

/// `vigil broker`: an embedded Kafka-protocol broker until SIGINT/SIGTERM.
int run_broker_command(int argc, char** argv);

/// `vigil generate`: produces synthetic request, sensor or trade events to
/// Kafka or a file.
int run_generate_command(int argc, char** argv);

/// `vigil run`: a node (see actors/node.hpp).
int run_run_command(int argc, char** argv);

/// `vigil demo`: broker, generator and node on loopback, in one process.
int run_demo_command(int argc, char** argv);

/// `vigil doctor`: diagnoses configuration, broker, topic, events, database
/// and ports (see actors/doctor.hpp).
int run_doctor_command(int argc, char** argv);

/// `vigil console`: asks a running node through its console endpoint (see
/// actors/console.hpp).
int run_console_command(int argc, char** argv);

/// `vigil score`: scores a CSV series offline (see actors/detect/).
int run_score_command(int argc, char** argv);

} // namespace vigil
