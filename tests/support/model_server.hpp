#pragma once

// A small local server that speaks Ollama's POST /api/generate for the
// narrator's tests: a real HTTP server on a free loopback port, in its own
// thread, answering each request with `handler`.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>

namespace vigil::test {

/// A gate a slow server's handler waits at until the test opens it (or a
/// deadline passes), so that the server answers only after the client gave
/// up.
class gate {
public:
  void open() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      open_ = true;
    }
    cv_.notify_all();
  }

  /// Waits until open() or `deadline` passed; true if opened.
  bool wait_for(std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, deadline, [this] { return open_; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool open_ = false;
};

class model_server {
public:
  using handler_type
      = std::function<void(const httplib::Request&, httplib::Response&)>;

  explicit model_server(handler_type handler) : handler_(std::move(handler)) {
    http_.Post("/api/generate",
               [this](const httplib::Request& req, httplib::Response& res) {
                 ++requests_;
                 {
                   std::lock_guard<std::mutex> guard{mtx_};
                   last_body_ = req.body;
                 }
                 handler_(req, res);
               });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread{[this] { http_.listen_after_bind(); }};
    // stop() before the accept loop runs would not end it: wait for it.
    while (!http_.is_running())
      std::this_thread::yield();
  }

  ~model_server() {
    http_.stop();
    thread_.join();
  }

  model_server(const model_server&) = delete;
  model_server& operator=(const model_server&) = delete;

  int port() const noexcept {
    return port_;
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

  /// Requests answered or being answered.
  int requests() const noexcept {
    return requests_.load();
  }

  /// Body of the latest request.
  std::string last_body() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return last_body_;
  }

private:
  handler_type handler_;
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  /// The server's threads write it, the test reads it.
  mutable std::mutex mtx_;
  std::string last_body_;
};

} // namespace vigil::test
