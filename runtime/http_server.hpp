#pragma once

// vigil's one HTTP server: liveness, readiness, Prometheus metrics, JSON API
// and the dashboard's static files, on a background thread (cpp-httplib).
//
// Routes (GET and HEAD; checked in this order):
//   /health   200 {"status":"ok"} while the process serves requests.
//   /ready    runs every readiness check; 200 if all pass, else 503 naming the
//             failing ones. 503 while no check is registered.
//   /metrics  runs the scrape hook (if set), then http_options::metrics(), as
//             `text/plain; version=0.0.4`.
//   handlers registered with `get()`, matched in registration order.
//   anything else: a file below `static_dir` ("/" is index.html), else 404.
//
// Threading: handlers and readiness checks run on the server's worker
// threads, concurrently with each other and with the rest of the process.
// They may only read thread-safe data: atomics, the metric registry, data
// behind their own mutex, or a short-lived read-only SQLite connection opened
// in the handler. They must never block on an actor (no scoped_actor
// requests) and should answer within the I/O timeout. A handler that throws
// answers 500; the exception never escapes into the server.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "runtime/expected.hpp"

namespace vigil {

/// Outcome of one readiness check.
struct readiness_result {
  /// Component name, e.g. "broker", "database", "assignment".
  std::string name;
  /// True if the component is ready.
  bool ok = false;
  /// A sentence for the operator, e.g. "no partition assigned yet".
  std::string detail;
};

/// A readiness check; runs on a server thread for every GET /ready.
using readiness_check = std::function<readiness_result()>;

/// A GET request as a handler sees it.
struct http_request {
  /// Decoded path, e.g. "/api/services/checkout".
  std::string path;
  /// Query parameters (the first value of each name).
  std::map<std::string, std::string> params;
  /// Captures of the route pattern; index 0 is the whole path.
  std::vector<std::string> matches;
};

/// A handler's answer.
struct http_reply {
  /// HTTP status code.
  int status = 200;
  /// Response body.
  std::string body;
  /// Value of the Content-Type header.
  std::string content_type = "application/json";
};

/// Returns a reply with `body` serialized as JSON.
http_reply json_reply(const nlohmann::json& body, int status = 200);

/// A GET handler; runs on a server thread (see the threading note above).
using http_handler = std::function<http_reply(const http_request&)>;

/// Settings of the server besides its address.
struct http_options {
  /// Produces the Prometheus text served at /metrics (called on a server
  /// thread, so it must be thread-safe); without one, /metrics answers 503.
  std::function<std::string()> metrics;
  /// Directory of the dashboard's static files; empty: none served.
  std::string static_dir;
  /// Worker threads answering requests.
  size_t threads = 4;
  /// Read and write timeout of one connection.
  std::chrono::seconds io_timeout{5};
};

/// An HTTP server listening on its own thread until stopped or destroyed.
class http_server {
public:
  /// Binds `host:port` (port 0: any free port) and starts serving. Fails
  /// with a sentence naming the address, the cause and, when the port is
  /// taken, the process holding it and the `--http-port` flag to change.
  static expected<std::unique_ptr<http_server>>
  start(std::string host, uint16_t port, http_options options = {});

  /// Stops the server (see `stop`).
  ~http_server();

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// The host the server is bound to.
  const std::string& host() const noexcept;

  /// The bound port (the real one when started with port 0).
  uint16_t port() const noexcept;

  /// True while the server accepts connections (until `stop`).
  bool running() const noexcept;

  /// Registers a GET handler for paths fully matching the ECMAScript regex
  /// `pattern`, e.g. "/api/services/([a-z0-9_.-]+)". Thread-safe, also while
  /// serving. Built-in routes take precedence. Fails on an invalid pattern.
  status get(const std::string& pattern, http_handler handler);

  /// Adds a check run by GET /ready. Thread-safe, also while serving.
  void add_readiness_check(readiness_check check);

  /// Runs every readiness check now, as GET /ready does, in registration
  /// order. Thread-safe; runs on the caller's thread.
  std::vector<readiness_result> check_readiness();

  /// Sets a function run on the server thread answering GET /metrics before
  /// the registry is rendered (to refresh gauges whose values live
  /// elsewhere); it follows the handlers' threading rules. Replaces any
  /// earlier hook. Thread-safe, also while serving.
  void on_scrape(std::function<void()> hook);

  /// Closes the listening socket, finishes requests in flight and joins the
  /// server's threads. Idempotent; not to be called from a handler.
  void stop();

private:
  struct impl;

  explicit http_server(std::unique_ptr<impl> ptr);

  std::unique_ptr<impl> impl_;
};

} // namespace vigil
