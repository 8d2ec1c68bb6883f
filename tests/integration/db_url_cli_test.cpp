#define BOOST_TEST_MODULE db_url_cli
#include <boost/test/unit_test.hpp>

// `--db scheme://...` with a scheme vigil cannot serve, through the real
// binary: `vigil run`, `vigil demo` and `vigil doctor` exit 2 at start with
// the fix, and create nothing in their working directory. (PostgreSQL URLs
// are served: postgres_test.)

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// Runs `vigil <args>` with `dir` as its working directory.
test::process_result run_in(const test::temp_dir& dir,
                            const std::vector<std::string>& args) {
  std::string cmd
      = "cd '" + dir.path() + "' && exec '" + test::vigil_binary() + "'";
  for (const auto& a : args)
    cmd += " '" + a + "'";
  return test::run_process({"/bin/sh", "-c", cmd}, 60s);
}

bool empty_dir(const std::string& path) {
  return fs::is_empty(fs::path{path});
}

} // namespace

BOOST_AUTO_TEST_CASE(every_command_refuses_an_unknown_scheme_at_start) {
  const std::string url = "mysql://vigil:hunter2@localhost:3306/vigil";
  const std::vector<std::vector<std::string>> commands{
      {"run", "--brokers", "127.0.0.1:1", "--db", url},
      {"demo", "--db", url, "--http-port", "0", "--console-port", "0"},
      {"doctor", "--brokers", "127.0.0.1:1", "--db", url}};
  for (const auto& args : commands) {
    BOOST_TEST_CONTEXT("vigil " << args[0]) {
      test::temp_dir dir;
      auto r = run_in(dir, args);
      BOOST_CHECK_EQUAL(r.status, 2);
      BOOST_CHECK(r.err.find("'mysql://'") != std::string::npos);
      BOOST_CHECK(r.err.find("--db ./data/vigil.db") != std::string::npos);
      BOOST_CHECK(r.err.find("hunter2") == std::string::npos);
      // Nothing was taken for a relative path: no `mysql:` directory.
      BOOST_CHECK_MESSAGE(empty_dir(dir.path()),
                          "the working directory is not empty");
    }
  }
}

BOOST_AUTO_TEST_CASE(the_environment_is_checked_as_the_flag_is) {
  test::temp_dir dir;
  auto r = test::run_process({"/usr/bin/env", "VIGIL_DB=mysql://h/vigil",
                              "VIGIL_BROKERS=127.0.0.1:1", test::vigil_binary(),
                              "run"},
                             60s);
  BOOST_CHECK_EQUAL(r.status, 2);
  BOOST_CHECK(r.err.find("'mysql://'") != std::string::npos);
}
