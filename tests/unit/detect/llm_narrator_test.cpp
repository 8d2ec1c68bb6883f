#define BOOST_TEST_MODULE llm_narrator
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "actors/detect/llm_narrator.hpp"
#include "support/model_server.hpp"

using namespace vigil;

namespace {

incident_row incident() {
  incident_row row;
  row.id = 7;
  row.service = "payments";
  row.started_at = 1767268800000;
  row.severity = "critical";
  row.anomaly_count = 4;
  row.summary = "payments: error rate up to 44.9% vs 2.6% expected (critical) "
                "since 12:00:00 UTC, 4 anomalous windows so far";
  return row;
}

std::string answer(const std::string& text) {
  return nlohmann::json{{"model", "m"}, {"response", text}, {"done", true}}
      .dump();
}

/// Settings that point the client at `s`.
llm_config config_for(const test::model_server& s,
                      std::chrono::milliseconds timeout
                      = std::chrono::milliseconds(3000)) {
  llm_config c;
  c.url = s.url();
  c.model = "tiny";
  c.timeout = timeout;
  return c;
}

} // namespace

BOOST_AUTO_TEST_CASE(urls_are_http_host_and_port_only) {
  std::string host;
  int port = 0;
  std::string error;
  BOOST_TEST(parse_llm_url("http://127.0.0.1:11434", host, port, error));
  BOOST_TEST(host == "127.0.0.1");
  BOOST_TEST(port == 11434);
  BOOST_TEST(parse_llm_url("http://ollama/", host, port, error));
  BOOST_TEST(host == "ollama");
  BOOST_TEST(port == 80);
  for (const char* bad :
       {"https://ollama:11434", "ollama:11434", "http://ollama:11434/api",
        "http://:80", "http://ollama:0", "http://ollama:99999",
        "http://ollama:x1"}) {
    BOOST_TEST_INFO(bad);
    BOOST_TEST(!parse_llm_url(bad, host, port, error));
    BOOST_TEST(error.find("--narrator-url") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(the_prompt_holds_the_facts_and_the_body_asks_no_stream) {
  auto prompt = llm_prompt(incident());
  BOOST_TEST(prompt.find("payments") != std::string::npos);
  BOOST_TEST(prompt.find("critical") != std::string::npos);
  BOOST_TEST(prompt.find("ongoing") != std::string::npos);
  BOOST_TEST(prompt.find("44.9%") != std::string::npos);
  BOOST_TEST(prompt.find("two short sentences") != std::string::npos);
  auto body = nlohmann::json::parse(llm_request_body("tiny", prompt));
  BOOST_TEST(body["model"] == "tiny");
  BOOST_TEST(body["prompt"] == prompt);
  BOOST_TEST(body["stream"] == false);
}

BOOST_AUTO_TEST_CASE(answers_are_checked_before_they_replace_the_template) {
  std::string summary;
  std::string why;
  BOOST_TEST(parse_llm_answer(
      answer("  payments fails 45% of its requests\n\nsince 12:00 UTC. "
             "It is critical.  "),
      "payments", summary, why));
  BOOST_TEST(summary
             == "payments fails 45% of its requests since 12:00 UTC. It is "
                "critical.");
  struct refused {
    std::string body;
    std::string reason;
  };
  for (const auto& r : {
           refused{"<html>busy</html>", "not a JSON object"},
           refused{"[1,2]", "not a JSON object"},
           refused{R"({"done":true})", "no string \"response\""},
           refused{R"({"response":42})", "no string \"response\""},
           refused{answer("payments."), "characters"},
           refused{answer("payments " + std::string(600, 'x')), "characters"},
           refused{answer("payments is down. It fails. Badly. Since noon. "
                          "Really."),
                   "sentences"},
           refused{answer("payments fails\x01 since noon, critical"),
                   "control characters"},
           refused{answer("The checkout service fails since noon today."),
                   "does not name the service payments"},
       }) {
    BOOST_TEST_INFO(r.body);
    BOOST_TEST(!parse_llm_answer(r.body, "payments", summary, why));
    BOOST_TEST(why.find(r.reason) != std::string::npos, why);
  }
}

BOOST_AUTO_TEST_CASE(the_client_takes_a_good_answer_from_a_real_server) {
  test::model_server s{[](const httplib::Request&, httplib::Response& res) {
    res.set_content(answer("payments fails 45% of requests since 12:00 UTC. "
                           "The incident is critical and ongoing."),
                    "application/json");
  }};
  llm_client client{config_for(s)};
  std::string summary;
  std::string why;
  BOOST_TEST(client.summarize(incident(), summary, why), why);
  BOOST_TEST(summary.find("payments fails 45%") == 0u);
  auto sent = nlohmann::json::parse(s.last_body());
  BOOST_TEST(sent["model"] == "tiny");
  BOOST_TEST(sent["stream"] == false);
  BOOST_TEST(sent["prompt"].get<std::string>().find("payments")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(garbage_an_error_status_and_no_server_are_refused) {
  {
    test::model_server s{[](const httplib::Request&, httplib::Response& res) {
      res.set_content("\x89PNG garbage", "image/png");
    }};
    llm_client client{config_for(s)};
    std::string summary;
    std::string why;
    BOOST_TEST(!client.summarize(incident(), summary, why));
    BOOST_TEST(why.find("not a JSON object") != std::string::npos, why);
    BOOST_TEST(summary.empty());
  }
  {
    test::model_server s{[](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content(answer("payments is fine, really fine."),
                      "application/json");
    }};
    llm_client client{config_for(s)};
    std::string summary;
    std::string why;
    BOOST_TEST(!client.summarize(incident(), summary, why));
    BOOST_TEST(why.find("HTTP 500") != std::string::npos, why);
  }
  int port = 0;
  {
    test::model_server gone{[](const httplib::Request&, httplib::Response&) {}};
    port = gone.port();
  }
  llm_config c;
  c.url = "http://127.0.0.1:" + std::to_string(port);
  llm_client client{c};
  std::string summary;
  std::string why;
  BOOST_TEST(!client.summarize(incident(), summary, why));
  BOOST_TEST(why.find("no answer from") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(a_server_slower_than_the_timeout_is_given_up) {
  test::gate release;
  test::model_server s{[&](const httplib::Request&, httplib::Response& res) {
    // Answers only once the client gave up (or after 10 s at the latest).
    release.wait_for(std::chrono::seconds(10));
    res.set_content(answer("payments answer that comes too late."),
                    "application/json");
  }};
  llm_client client{config_for(s, std::chrono::milliseconds(200))};
  std::string summary;
  std::string why;
  BOOST_TEST(!client.summarize(incident(), summary, why));
  release.open();
  BOOST_TEST(why.find("no answer from") != std::string::npos, why);
  BOOST_TEST(summary.empty());
  BOOST_TEST(s.requests() == 1);
}
