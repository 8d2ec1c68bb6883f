#define BOOST_TEST_MODULE log
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "runtime/log.hpp"

using namespace vigil;

namespace {

/// Runs `fn` with standard error redirected to a file; returns what it wrote.
template <class F>
std::string captured_stderr(F fn) {
  char path[] = "/tmp/vigil_log_test_XXXXXX";
  int fd = ::mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  std::fflush(stderr);
  int saved = ::dup(2);
  ::dup2(fd, 2);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  std::ifstream in{path};
  std::ostringstream out;
  out << in.rdbuf();
  ::unlink(path);
  return out.str();
}

} // namespace

BOOST_AUTO_TEST_CASE(a_line_is_the_component_then_the_text_on_standard_error) {
  auto out = captured_stderr([] {
    logf(log_level::info, "vigil", "http on http://%s:%u", "127.0.0.1", 8080u);
    log(log_level::error, "vigil run", "boom");
    log(log_level::info, {}, "a line of its own");
  });
  BOOST_TEST(out
             == "vigil: http on http://127.0.0.1:8080\n"
                "vigil run: boom\n"
                "a line of its own\n");
}

BOOST_AUTO_TEST_CASE(lines_below_the_threshold_are_dropped) {
  auto out = captured_stderr([] {
    log(log_level::debug, "merger", "not shown by default");
    set_log_threshold(log_level::error);
    log(log_level::warning, "merger", "dropped");
    log(log_level::error, "merger", "kept");
    set_log_threshold(log_level::info);
  });
  BOOST_TEST(out == "merger: kept\n");
}

BOOST_AUTO_TEST_CASE(a_long_formatted_line_is_not_cut) {
  std::string long_text(1000, 'x');
  auto out = captured_stderr(
      [&] { logf(log_level::info, "vigil", "%s!", long_text.c_str()); });
  BOOST_TEST(out == "vigil: " + long_text + "!\n");
}
