#define BOOST_TEST_MODULE narrator_llm
#include <boost/test/unit_test.hpp>

// The narrator with --narrator-url against a small local server that speaks
// Ollama's POST /api/generate: an answering model's summaries reach the
// incidents table; garbage and a server slower than the timeout leave the
// template summaries, and nothing waits for them.

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <regex>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "support/model_server.hpp"
#include "support/pipeline.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// A local model server whose `answer` gets each request's prompt.
test::model_server::handler_type
by_prompt(std::function<void(const std::string&, httplib::Response&)> answer) {
  return [answer](const httplib::Request& req, httplib::Response& res) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    std::string prompt = body.is_object() && body.contains("prompt")
                             ? body["prompt"].get<std::string>()
                             : std::string{};
    answer(prompt, res);
  };
}

/// id -> summary of every incident (empty while the table is not there).
std::map<int64_t, std::string> summaries(const std::string& db) {
  std::map<int64_t, std::string> out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr)
      == SQLITE_OK) {
    sqlite3_busy_timeout(h, 1000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT id, summary FROM incidents", -1, &st,
                           nullptr)
        == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW)
        out[sqlite3_column_int64(st, 0)]
            = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return out;
}

struct fixture {
  test::produced_topic topic;
  test::temp_dir dir;
  std::string db = dir.file("vigil.db");

  fixture() {
    // The seeded stream has an errors incident on payments 200 s into
    // event time (400k events), over after 40 s.
    test::produce_topic(topic, 32, 600'000, 20261210, 0);
  }

  /// `vigil run` against the topic into `database`.
  std::vector<std::string> node(const std::string& database,
                                std::vector<std::string> extra) const {
    std::vector<std::string> args{
        test::vigil_binary(), "run",     "--http-port", "0",    "--brokers",
        topic.spec.brokers,   "--topic", "events",      "--db", database};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(an_answering_model_writes_the_incident_summaries,
                        fixture) {
  test::model_server model{by_prompt([](const std::string& prompt,
                                        httplib::Response& res) {
    std::smatch m;
    std::regex service{"Service: ([a-z]+)"};
    std::regex state{"State: ([a-z]+)"};
    std::string name = std::regex_search(prompt, m, service) ? m[1].str() : "";
    std::string now = std::regex_search(prompt, m, state) ? m[1].str() : "";
    res.set_content(
        nlohmann::json{{"response", "Model says " + name + " is " + now
                                        + " and failing requests. It is "
                                          "serious."},
                       {"done", true}}
            .dump(),
        "application/json");
  })};
  test::background_process run{
      node(db, {"--narrator-url", model.url(), "--narrator-model", "tiny"}),
      dir.file("out"), dir.file("err")};
  // Every incident ends up with the model's summary of its final state.
  std::map<int64_t, std::string> seen;
  bool narrated = test::wait_until(120s, [&] {
    seen = summaries(db);
    if (seen.empty())
      return false;
    for (const auto& [id, text] : seen)
      if (text.find("Model says payments is resolved") != 0)
        return false;
    return true;
  });
  for (const auto& [id, text] : seen)
    BOOST_TEST_MESSAGE("incident " << id << ": " << text);
  BOOST_CHECK_MESSAGE(narrated, test::read_file(dir.file("err")));
  // Asked when the incident opened and when it closed (once if both fall
  // into one result batch, as on a loaded machine).
  BOOST_CHECK_GE(model.requests(), 1);
  run.signal(SIGTERM);
  BOOST_CHECK_EQUAL(run.wait(60s), 0);
  auto log = test::read_file(dir.file("err"));
  BOOST_CHECK(log.find("narrator asks " + model.url()) != std::string::npos);
  BOOST_CHECK(log.find("no summary from the language model")
              == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(garbage_and_a_slow_model_leave_the_template, fixture) {
  {
    test::model_server garbage{by_prompt([](const std::string&,
                                            httplib::Response& res) {
      res.set_content("{\"response\": 17, \"done\": true}", "application/json");
    })};
    auto r = test::run_process(
        node(db, {"--drain", "--narrator-url", garbage.url()}),
        std::chrono::minutes(3));
    BOOST_REQUIRE_EQUAL(r.status, 0);
    BOOST_CHECK_GE(garbage.requests(), 1);
    BOOST_CHECK(r.err.find("no summary from the language model for incident")
                != std::string::npos);
    BOOST_CHECK(r.err.find("no string \"response\"") != std::string::npos);
  }
  auto first = summaries(db);
  BOOST_REQUIRE(!first.empty());
  for (const auto& [id, text] : first) {
    BOOST_TEST_MESSAGE("incident " << id << ": " << text);
    BOOST_CHECK(text.find("payments: error rate up to") == 0);
  }
  // A model slower than --narrator-timeout: given up, the template stays,
  // and the drain of a fresh database does not wait for it.
  test::gate release;
  {
    test::model_server slow{
        by_prompt([&](const std::string&, httplib::Response& res) {
          // Answers only once the node gave up (5 s at the latest).
          release.wait_for(5s);
          res.set_content(
              nlohmann::json{{"response", "payments answered far too late."}}
                  .dump(),
              "application/json");
        })};
    auto db2 = dir.file("slow.db");
    auto r = test::run_process(
        node(db2, {"--drain", "--narrator-url", slow.url(),
                   "--narrator-timeout", "200ms", "--group", "slow"}),
        std::chrono::minutes(3));
    release.open();
    BOOST_REQUIRE_EQUAL(r.status, 0);
    BOOST_CHECK_GE(slow.requests(), 1);
    BOOST_CHECK(r.err.find("no answer from " + slow.url())
                != std::string::npos);
    auto second = summaries(db2);
    BOOST_REQUIRE(!second.empty());
    for (const auto& [id, text] : second)
      BOOST_CHECK(text.find("payments: error rate up to") == 0);
  }
}
