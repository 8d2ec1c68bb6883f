#define BOOST_TEST_MODULE exit_watchdog
#include <boost/test/unit_test.hpp>

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/exit_watchdog.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// A thread named `name` blocked until `release` is called.
struct parked_thread {
  std::mutex mtx;
  std::condition_variable cv;
  bool named = false;
  bool released = false;
  std::thread thread;

  explicit parked_thread(const char* name) {
    thread = std::thread{[this, name] {
      pthread_setname_np(pthread_self(), name);
      std::unique_lock<std::mutex> guard{mtx};
      named = true;
      cv.notify_all();
      cv.wait(guard, [this] { return released; });
    }};
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [this] { return named; });
  }

  void release() {
    {
      std::lock_guard<std::mutex> guard{mtx};
      released = true;
    }
    cv.notify_all();
    thread.join();
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(threads_are_listed_with_their_names) {
  parked_thread parked{"vigil-parked"};
  auto text = describe_threads();
  parked.release();
  BOOST_TEST(text.find(" vigil-parked (state ") != std::string::npos, text);
  BOOST_TEST(text.find(" exit_watchdog_t") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(a_watchdog_destroyed_in_time_does_nothing) {
  {
    exit_watchdog watchdog;
    watchdog.arm(60s, 3, "teardown");
  }
  // Still here: the destructor disarmed it without waiting out the grace.
  BOOST_TEST(true);
}

BOOST_AUTO_TEST_CASE(a_teardown_that_hangs_ends_the_process_with_the_status) {
  int err[2];
  int block[2];
  BOOST_REQUIRE(::pipe(err) == 0);
  BOOST_REQUIRE(::pipe(block) == 0);
  auto pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(err[1], STDERR_FILENO);
    ::close(err[0]);
    ::close(block[1]);
    exit_watchdog watchdog;
    watchdog.arm(100ms, 7, "the runtime's teardown");
    // A teardown that never ends: blocked on a pipe nobody writes to.
    char c;
    while (::read(block[0], &c, 1) != 0) {
    }
    ::_exit(0);
  }
  ::close(err[1]);
  ::close(block[0]);
  int status = 0;
  BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  ::close(block[1]);
  std::string text;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(err[0], buf, sizeof(buf))) > 0)
    text.append(buf, static_cast<size_t>(n));
  ::close(err[0]);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 7);
  BOOST_TEST(text.find("vigil: the runtime's teardown did not finish within "
                       "0.1 s; exiting with status 7; threads still running:")
                 != std::string::npos,
             text);
}
