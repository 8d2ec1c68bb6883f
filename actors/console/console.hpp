#pragma once

// The operator console: an endpoint actor in every node, published with CAF
// networking (BASP), and the `vigil console` client that talks to it.
// Plain BASP has no authentication: the endpoint binds to loopback unless
// told otherwise.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "runtime/expected.hpp"

namespace vigil {

class supervisor_history;
struct node_http_context;

/// What a node's console endpoint reads; every member is constant or
/// thread-safe.
struct console_context {
  /// Which node answers, shown by `status`.
  std::string identity;
  /// When the node started, epoch ms.
  int64_t started_ms = 0;
  /// Drain mode (`--drain`).
  bool drain = false;
  /// Set by SIGTERM/SIGINT (may be null).
  const std::atomic<bool>* stop = nullptr;
  /// The SQLite database (read-only, short-lived connections).
  std::string db;
  /// The topic of request events (its checkpointed offsets).
  std::string topic;
  /// The cap on distinct services.
  uint64_t max_services = 0;
  /// Pipeline counters and the source's published state.
  std::shared_ptr<node_http_context> node;
  /// Supervisor events, recorded by the node's supervisors.
  std::shared_ptr<supervisor_history> history;
  /// The checkpoint the node resumed from (0 = none) and its commit time.
  uint64_t initial_checkpoint = 0;
  /// Commit time of `initial_checkpoint`, epoch ms.
  int64_t initial_checkpoint_ms = 0;
};

/// Name under which a node registers its root supervisor; `status` looks it
/// up there and asks it for its children.
constexpr const char* console_tree_name = "node";

/// Spawns the console endpoint of a node. It answers `console_request` with
/// `console_reply` and runs detached (it reads the database).
caf::actor spawn_console_actor(caf::actor_system& sys, console_context ctx);

/// Publishes `console` on `host:port` (port 0 = any free port) through the
/// middleman (with mutual TLS if `tls`: the system loaded CAF's OpenSSL
/// manager); returns the bound port or what went wrong and how to fix it.
expected<uint16_t> publish_console(caf::actor_system& sys,
                                   const caf::actor& console,
                                   const std::string& host, uint16_t port,
                                   bool tls = false);

/// Where `vigil console` connects.
struct console_address {
  /// Host name or address.
  std::string host = "127.0.0.1";
  /// TCP port.
  uint16_t port = 4242;
  /// Mutual TLS (all three or none): the CA's certificate, the client's
  /// certificate and its key.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

/// Parses "HOST:PORT" (or "[V6]:PORT").
expected<console_address> parse_console_address(const std::string& text);

/// Runs `vigil console`: connects to `addr`; runs `command` once if it is not
/// empty (reply on `out`, or on `err` if the node refused it), otherwise
/// reads commands from `in` line by line until `quit` or end of input,
/// prompting if `prompt`. Returns 0, 1 if the node cannot be reached or
/// stops answering, or 2 if a one-shot command was not understood.
int run_console_client(const console_address& addr,
                       const std::vector<std::string>& command,
                       std::chrono::milliseconds timeout, std::FILE* in,
                       std::FILE* out, std::FILE* err, bool prompt);

} // namespace vigil
