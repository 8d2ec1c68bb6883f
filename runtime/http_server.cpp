#include "runtime/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <shared_mutex>
#include <sstream>
#include <thread>
#include <utility>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "runtime/procfs.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

constexpr const char* metrics_content_type
    = "text/plain; version=0.0.4; charset=utf-8";

/// Formats `host:port`, bracketing IPv6 literals.
std::string endpoint(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

// -- diagnosis of a failed bind ----------------------------------------------

/// Returns "pid N \"name\"" of the process listening on `port`, if readable.
std::string port_owner(uint16_t port) {
  auto holders = find_port_holders(port);
  if (holders.empty())
    return {};
  const auto pid = holders.front().pid;
  std::string result
      = "pid " + std::to_string(pid) + " \"" + process_name("/proc", pid) + '"';
  if (pid == ::getpid())
    result += ", this process";
  return result;
}

/// Explains why binding `host:port` failed by trying it once more by hand.
std::string explain_bind_failure(const std::string& host, uint16_t port) {
  auto prefix = "http: cannot listen on " + endpoint(host, port) + ": ";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (auto rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
      rc != 0)
    return prefix + "cannot resolve host (" + ::gai_strerror(rc)
           + "); choose another --http-host";
  int err = 0;
  auto fd = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd < 0) {
    err = errno;
  } else {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0)
      err = errno;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  switch (err) {
  case EADDRINUSE: {
    auto owner = port != 0 ? port_owner(port) : "";
    auto held = owner.empty() ? "" : " (held by " + owner + ")";
    return prefix + "address in use" + held
           + "; choose another --http-port or stop that process";
  }
  case EACCES:
    return prefix
           + "permission denied (ports below 1024 need privileges); choose "
             "another --http-port";
  case EADDRNOTAVAIL:
    return prefix
           + "address not available on this machine; choose another "
             "--http-host";
  case 0:
    return prefix + "bind failed (the address seems free now; retry)";
  default:
    return prefix + std::strerror(err);
  }
}

// -- static files ------------------------------------------------------------

const char* content_type_of(const fs::path& file) {
  static const std::map<std::string, const char*> types{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  auto ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  auto i = types.find(ext);
  return i != types.end() ? i->second : "application/octet-stream";
}

/// True if `path` has a ".." segment, a backslash or a NUL byte.
bool escapes_root(const std::string& path) {
  if (path.find('\\') != std::string::npos
      || path.find('\0') != std::string::npos)
    return true;
  size_t begin = 0;
  while (begin <= path.size()) {
    auto end = path.find('/', begin);
    if (end == std::string::npos)
      end = path.size();
    if (path.compare(begin, end - begin, "..") == 0 && end - begin == 2)
      return true;
    begin = end + 1;
  }
  return false;
}

/// True if `child` is `root` or below it (both canonical).
bool is_below(const fs::path& child, const fs::path& root) {
  auto [r, c]
      = std::mismatch(root.begin(), root.end(), child.begin(), child.end());
  return r == root.end();
}

void reply_text(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(text + "\n", "text/plain; charset=utf-8");
}

} // namespace

http_reply json_reply(const nlohmann::json& body, int status) {
  return http_reply{status, body.dump(), "application/json"};
}

// -- implementation ----------------------------------------------------------

struct http_server::impl {
  struct route {
    std::string pattern;
    std::regex regex;
    http_handler handler;
  };

  std::string host;
  uint16_t port = 0;
  http_options options;
  fs::path static_root;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> loop_exited{false};
  std::atomic<bool> stopped{false};
  std::mutex stop_mtx;
  mutable std::shared_mutex mtx;
  std::vector<route> routes;
  std::vector<readiness_check> checks;
  std::function<void()> scrape_hook;

  std::vector<readiness_result> run_checks();
  void dispatch(const httplib::Request& req, httplib::Response& res);
  void health(httplib::Response& res);
  void ready(httplib::Response& res);
  void metrics(httplib::Response& res);
  bool api(const httplib::Request& req, httplib::Response& res);
  void file(const httplib::Request& req, httplib::Response& res);
};

void http_server::impl::dispatch(const httplib::Request& req,
                                 httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  if (req.path == "/health") {
    health(res);
  } else if (req.path == "/ready") {
    ready(res);
  } else if (req.path == "/metrics") {
    metrics(res);
  } else if (api(req, res)) {
    // answered by a registered handler
  } else if (req.path.rfind("/api/", 0) == 0) {
    auto reply = json_reply({{"error", "not found"}, {"path", req.path}}, 404);
    res.status = reply.status;
    res.set_content(reply.body, reply.content_type);
  } else {
    file(req, res);
  }
}

void http_server::impl::health(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.status = 200;
  res.set_content(R"({"status":"ok"})", "application/json");
}

std::vector<readiness_result> http_server::impl::run_checks() {
  std::vector<readiness_check> snapshot;
  {
    std::shared_lock<std::shared_mutex> guard{mtx};
    snapshot = checks;
  }
  std::vector<readiness_result> results;
  for (auto& check : snapshot) {
    readiness_result result;
    try {
      result = check();
    } catch (const std::exception& e) {
      result = {"unnamed", false, std::string{"check threw: "} + e.what()};
    } catch (...) {
      result = {"unnamed", false, "check threw a non-standard exception"};
    }
    results.push_back(std::move(result));
  }
  return results;
}

void http_server::impl::ready(httplib::Response& res) {
  auto checked = run_checks();
  auto results = nlohmann::json::array();
  auto failing = nlohmann::json::array();
  for (auto& result : checked) {
    if (!result.ok)
      failing.push_back(result.name);
    results.push_back(
        {{"name", result.name}, {"ok", result.ok}, {"detail", result.detail}});
  }
  nlohmann::json body{{"checks", results}, {"failing", failing}};
  bool ok = failing.empty() && !checked.empty();
  body["status"] = ok ? "ready" : "not_ready";
  if (checked.empty())
    body["detail"] = "no readiness check registered yet";
  res.set_header("Cache-Control", "no-store");
  res.status = ok ? 200 : 503;
  res.set_content(body.dump(), "application/json");
}

void http_server::impl::metrics(httplib::Response& res) {
  if (!options.metrics) {
    reply_text(res, 503, "no metrics registry configured");
    return;
  }
  std::function<void()> hook;
  {
    std::shared_lock<std::shared_mutex> guard{mtx};
    hook = scrape_hook;
  }
  if (hook) {
    // A failing refresh leaves the gauges as they were; the scrape goes on.
    try {
      hook();
    } catch (...) {
      // nop
    }
  }
  res.set_header("Cache-Control", "no-store");
  res.status = 200;
  res.set_content(options.metrics(), metrics_content_type);
}

bool http_server::impl::api(const httplib::Request& req,
                            httplib::Response& res) {
  http_handler handler;
  http_request request;
  {
    std::shared_lock<std::shared_mutex> guard{mtx};
    for (auto& r : routes) {
      std::smatch match;
      if (std::regex_match(req.path, match, r.regex)) {
        handler = r.handler;
        for (auto& sub : match)
          request.matches.emplace_back(sub.str());
        break;
      }
    }
  }
  if (!handler)
    return false;
  request.path = req.path;
  for (auto& [key, value] : req.params)
    request.params.emplace(key, value);
  http_reply reply;
  try {
    reply = handler(request);
  } catch (const std::exception& e) {
    reply
        = json_reply({{"error", "internal error"}, {"detail", e.what()}}, 500);
  } catch (...) {
    reply = json_reply({{"error", "internal error"}}, 500);
  }
  res.set_header("Cache-Control", "no-store");
  res.status = reply.status;
  res.set_content(reply.body, reply.content_type);
  return true;
}

void http_server::impl::file(const httplib::Request& req,
                             httplib::Response& res) {
  if (escapes_root(req.path)) {
    reply_text(res, 403, "forbidden: path leaves the static directory");
    return;
  }
  if (static_root.empty()) {
    reply_text(res, 404, "not found: " + req.path);
    return;
  }
  auto first = req.path.find_first_not_of('/');
  auto relative = first == std::string::npos ? "" : req.path.substr(first);
  std::error_code ec;
  auto target = fs::weakly_canonical(static_root / relative, ec);
  std::error_code dir_ec;
  if (!ec && fs::is_directory(target, dir_ec))
    target = fs::weakly_canonical(target / "index.html", ec);
  if (ec || !is_below(target, static_root)) {
    reply_text(res, 403, "forbidden: path leaves the static directory");
    return;
  }
  if (!fs::is_regular_file(target, ec)) {
    reply_text(res, 404, "not found: " + req.path);
    return;
  }
  std::ifstream in{target, std::ios::binary};
  std::ostringstream content;
  content << in.rdbuf();
  if (!in) {
    reply_text(res, 404, "not found: " + req.path);
    return;
  }
  res.status = 200;
  res.set_content(content.str(), content_type_of(target));
}

// -- http_server -------------------------------------------------------------

http_server::http_server(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
  // nop
}

http_server::~http_server() {
  stop();
}

expected<std::unique_ptr<http_server>>
http_server::start(std::string host, uint16_t port, http_options options) {
  auto self = std::make_unique<impl>();
  if (!options.static_dir.empty()) {
    std::error_code ec;
    self->static_root = fs::canonical(options.static_dir, ec);
    if (ec || !fs::is_directory(self->static_root, ec))
      return make_error_text("http: static directory '" + options.static_dir
                             + "' does not exist or is not a directory");
  }
  self->host = std::move(host);
  self->options = std::move(options);
  auto& svr = self->server;
  auto threads = std::max<size_t>(self->options.threads, 1);
  // httplib owns and deletes the task queue it gets from this factory.
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // SO_REUSEADDR only: never SO_REUSEPORT, so a second server on the same
  // port fails instead of silently sharing it.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  svr.set_read_timeout(self->options.io_timeout);
  svr.set_write_timeout(self->options.io_timeout);
  // httplib 0.11 lets an idle connection wait for its next request for the
  // whole keep-alive timeout even after stop(). One request per connection
  // and one second for it to arrive keep stop() prompt; on a metrics and
  // dashboard endpoint a new connection per request costs nothing.
  svr.set_keep_alive_max_count(1);
  svr.set_keep_alive_timeout(1);
  auto* raw = self.get();
  svr.Get(".*", [raw](const httplib::Request& req, httplib::Response& res) {
    raw->dispatch(req, res);
  });
  if (port == 0) {
    auto bound = svr.bind_to_any_port(self->host);
    if (bound <= 0)
      return make_error_text(explain_bind_failure(self->host, 0));
    self->port = static_cast<uint16_t>(bound);
  } else {
    if (!svr.bind_to_port(self->host, port))
      return make_error_text(explain_bind_failure(self->host, port));
    self->port = port;
  }
  self->thread = std::thread{[raw] {
    raw->server.listen_after_bind();
    raw->loop_exited = true;
  }};
  // httplib's stop() is a no-op until its accept loop runs, so stop() could
  // otherwise miss a server that is just starting: wait for the loop.
  while (!svr.is_running() && !self->loop_exited)
    std::this_thread::yield();
  if (!svr.is_running()) {
    self->thread.join();
    return make_error_text("http: server on " + endpoint(self->host, self->port)
                           + " stopped right after starting");
  }
  return std::unique_ptr<http_server>{new http_server(std::move(self))};
}

const std::string& http_server::host() const noexcept {
  return impl_->host;
}

uint16_t http_server::port() const noexcept {
  return impl_->port;
}

bool http_server::running() const noexcept {
  return !impl_->stopped && !impl_->loop_exited;
}

status http_server::get(const std::string& pattern, http_handler handler) {
  std::regex regex;
  try {
    regex = std::regex{pattern, std::regex::ECMAScript};
  } catch (const std::regex_error& e) {
    return make_error_text("http: invalid route pattern '" + pattern
                           + "': " + e.what());
  }
  std::unique_lock<std::shared_mutex> guard{impl_->mtx};
  impl_->routes.push_back({pattern, std::move(regex), std::move(handler)});
  return {};
}

void http_server::add_readiness_check(readiness_check check) {
  std::unique_lock<std::shared_mutex> guard{impl_->mtx};
  impl_->checks.push_back(std::move(check));
}

std::vector<readiness_result> http_server::check_readiness() {
  return impl_->run_checks();
}

void http_server::on_scrape(std::function<void()> hook) {
  std::unique_lock<std::shared_mutex> guard{impl_->mtx};
  impl_->scrape_hook = std::move(hook);
}

void http_server::stop() {
  std::lock_guard<std::mutex> guard{impl_->stop_mtx};
  if (impl_->stopped)
    return;
  impl_->stopped = true;
  impl_->server.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

} // namespace vigil
