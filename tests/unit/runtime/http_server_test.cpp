#define BOOST_TEST_MODULE http_server
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "actors/node/metrics.hpp"
#include "runtime/http_server.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using vigil::http_options;
using vigil::http_reply;
using vigil::http_request;
using vigil::http_server;
using vigil::readiness_result;

namespace {

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out{path, std::ios::binary};
  out << content;
}

/// A temporary directory tree: <base>/www (the static root) and
/// <base>/secret.txt (outside it).
struct temp_tree {
  fs::path base;
  fs::path www;

  temp_tree() {
    base = fs::temp_directory_path()
           / ("vigil_http_test_" + std::to_string(::getpid()));
    fs::remove_all(base);
    www = base / "www";
    fs::create_directories(www / "assets");
    write_file(www / "index.html", "<html>vigil dashboard</html>");
    write_file(www / "assets" / "app.js", "console.log('vigil');");
    write_file(www / "assets" / "style.css", "body { margin: 0 }");
    write_file(base / "secret.txt", "TOP-SECRET");
    fs::create_symlink(base / "secret.txt", www / "leak.txt");
  }

  ~temp_tree() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

/// A server on 127.0.0.1 with a free port, a metric registry and a static
/// directory, plus a client with short timeouts.
struct fixture {
  temp_tree tree;
  std::shared_ptr<vigil::metric_factory> metrics
      = std::make_shared<vigil::metric_factory>();
  std::unique_ptr<http_server> server;

  fixture() {
    http_options options;
    options.metrics = [m = metrics] { return m->serialize(); };
    options.static_dir = tree.www.string();
    auto started = http_server::start("127.0.0.1", 0, options);
    BOOST_REQUIRE_MESSAGE(started, (started ? "" : started.error()));
    server = std::move(*started);
  }

  httplib::Client client() const {
    return client_for(server->port());
  }

  static httplib::Client client_for(uint16_t port) {
    httplib::Client result{"127.0.0.1", port};
    result.set_connection_timeout(std::chrono::seconds{2});
    result.set_read_timeout(std::chrono::seconds{5});
    result.set_write_timeout(std::chrono::seconds{5});
    return result;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_server_tests, fixture)

BOOST_AUTO_TEST_CASE(port_zero_binds_a_real_port_on_loopback) {
  BOOST_TEST(server->port() != 0);
  BOOST_TEST(server->host() == "127.0.0.1");
  BOOST_TEST(server->running());
  auto res = client().Get("/health");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
}

BOOST_AUTO_TEST_CASE(health_answers_200_with_status_ok) {
  auto res = client().Get("/health");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
  BOOST_TEST(res->get_header_value("Content-Type") == "application/json");
  BOOST_TEST(json::parse(res->body) == json({{"status", "ok"}}));
  res = client().Head("/health");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
  BOOST_TEST(res->body.empty());
}

BOOST_AUTO_TEST_CASE(ready_answers_503_while_no_check_is_registered) {
  auto res = client().Get("/ready");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 503);
  BOOST_TEST(json::parse(res->body)["status"] == "not_ready");
}

BOOST_AUTO_TEST_CASE(ready_turns_503_naming_the_check_that_fails) {
  std::atomic<bool> database_ok{true};
  server->add_readiness_check([] {
    return readiness_result{"broker", true, "connected"};
  });
  server->add_readiness_check([&database_ok] {
    if (database_ok)
      return readiness_result{"database", true, "open"};
    return readiness_result{"database", false, "disk full"};
  });
  auto cli = client();
  auto res = cli.Get("/ready");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
  auto body = json::parse(res->body);
  BOOST_TEST(body["status"] == "ready");
  BOOST_TEST(body["checks"].size() == 2u);
  BOOST_TEST(body["failing"].empty());
  database_ok = false;
  res = cli.Get("/ready");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 503);
  body = json::parse(res->body);
  BOOST_TEST(body["status"] == "not_ready");
  BOOST_TEST(body["failing"] == json::array({"database"}));
  BOOST_TEST(body["checks"][1]["detail"] == "disk full");
  BOOST_TEST(body["checks"][0]["ok"] == true);
}

BOOST_AUTO_TEST_CASE(a_readiness_check_that_throws_counts_as_failing) {
  server->add_readiness_check(
      []() -> readiness_result { throw std::runtime_error("boom"); });
  auto res = client().Get("/ready");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 503);
  BOOST_TEST(res->body.find("boom") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(metrics_are_served_as_prometheus_text_with_live_values) {
  metrics->events_consumed().Increment(1234);
  auto res = client().Get("/metrics");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
  BOOST_TEST(res->get_header_value("Content-Type")
                 .rfind("text/plain; version=0.0.4", 0)
             == 0u);
  BOOST_TEST(res->body.find("\nvigil_events_consumed_total 1234\n")
             != std::string::npos);
  BOOST_TEST(res->body.find("# TYPE vigil_db_write_seconds histogram")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(metrics_answer_503_without_a_registry) {
  auto started = http_server::start("127.0.0.1", 0, http_options{});
  BOOST_REQUIRE(started);
  auto res = client_for((*started)->port()).Get("/metrics");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 503);
}

BOOST_AUTO_TEST_CASE(an_api_route_answers_json_with_captures_and_params) {
  auto added
      = server->get("/api/services/([a-z]+)", [](const http_request& req) {
          auto window
              = req.params.count("window") ? req.params.at("window") : "";
          return vigil::json_reply(
              {{"service", req.matches.at(1)}, {"window", window}});
        });
  BOOST_REQUIRE(added);
  auto res = client().Get("/api/services/checkout?window=60");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
  BOOST_TEST(res->get_header_value("Content-Type") == "application/json");
  auto body = json::parse(res->body);
  BOOST_TEST(body["service"] == "checkout");
  BOOST_TEST(body["window"] == "60");
  res = client().Get("/api/services/Not-Matching");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 404);
  BOOST_TEST(json::parse(res->body)["error"] == "not found");
}

BOOST_AUTO_TEST_CASE(an_invalid_route_pattern_is_rejected) {
  auto added = server->get("/api/(unclosed",
                           [](const http_request&) { return http_reply{}; });
  BOOST_REQUIRE(!added);
  BOOST_TEST(added.error().find("/api/(unclosed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(
    a_throwing_handler_answers_500_and_the_server_keeps_serving) {
  auto added = server->get("/api/fail", [](const http_request&) -> http_reply {
    throw std::runtime_error("handler bug");
  });
  BOOST_REQUIRE(added);
  auto res = client().Get("/api/fail");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 500);
  res = client().Get("/health");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
}

BOOST_AUTO_TEST_CASE(static_files_are_served_with_their_content_type) {
  auto cli = client();
  auto res = cli.Get("/");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
  BOOST_TEST(res->body == "<html>vigil dashboard</html>");
  BOOST_TEST(res->get_header_value("Content-Type")
             == "text/html; charset=utf-8");
  res = cli.Get("/assets/app.js");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
  BOOST_TEST(res->get_header_value("Content-Type")
             == "text/javascript; charset=utf-8");
  res = cli.Get("/assets/style.css");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->get_header_value("Content-Type")
             == "text/css; charset=utf-8");
  BOOST_TEST(res->body == "body { margin: 0 }");
}

BOOST_AUTO_TEST_CASE(paths_leaving_the_static_directory_are_rejected) {
  auto cli = client();
  for (auto path :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt", "/leak.txt"}) {
    BOOST_TEST_CONTEXT(path) {
      auto res = cli.Get(path);
      BOOST_REQUIRE(res);
      BOOST_TEST(res->status == 403);
      BOOST_TEST(res->body.find("TOP-SECRET") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_paths_answer_404) {
  auto cli = client();
  for (auto path : {"/nope.html", "/assets/missing.js", "/api/unknown"}) {
    BOOST_TEST_CONTEXT(path) {
      auto res = cli.Get(path);
      BOOST_REQUIRE(res);
      BOOST_TEST(res->status == 404);
    }
  }
}

BOOST_AUTO_TEST_CASE(binding_a_port_in_use_fails_naming_address_and_flag) {
  auto second = http_server::start("127.0.0.1", server->port());
  BOOST_REQUIRE(!second);
  const auto& text = second.error();
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(text.find("127.0.0.1:" + std::to_string(server->port()))
             != std::string::npos);
  BOOST_TEST(text.find("address in use") != std::string::npos);
  BOOST_TEST(text.find("--http-port") != std::string::npos);
  BOOST_TEST(text.find("pid " + std::to_string(::getpid()))
             != std::string::npos);
  auto res = client().Get("/health"); // the first server is unaffected
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
}

BOOST_AUTO_TEST_CASE(a_missing_static_directory_fails_the_start) {
  http_options options;
  options.static_dir = (tree.base / "does-not-exist").string();
  auto started = http_server::start("127.0.0.1", 0, options);
  BOOST_REQUIRE(!started);
  BOOST_TEST(started.error().find("does-not-exist") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(after_stop_connections_are_refused) {
  auto port = server->port();
  BOOST_REQUIRE(client().Get("/health"));
  server->stop();
  BOOST_TEST(!server->running());
  auto res = client_for(port).Get("/health");
  BOOST_TEST(!res);
  BOOST_TEST((res.error() == httplib::Error::Connection));
  server->stop(); // idempotent
  server.reset();
}

BOOST_AUTO_TEST_CASE(stop_does_not_wait_for_idle_keep_alive_connections) {
  auto cli = client();
  cli.set_keep_alive(true);
  BOOST_REQUIRE(cli.Get("/health"));
  auto before = std::chrono::steady_clock::now();
  server->stop();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - before);
  BOOST_TEST(took.count() < 1000); // httplib's default keep-alive: 5 s
}

BOOST_AUTO_TEST_CASE(stop_waits_at_most_a_second_for_a_silent_connection) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))
                == 0);
  BOOST_REQUIRE(client().Get("/health")); // the silent one was accepted first
  auto before = std::chrono::steady_clock::now();
  server->stop();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - before);
  ::close(fd);
  BOOST_TEST(took.count() < 2500);
}

BOOST_AUTO_TEST_SUITE_END()
