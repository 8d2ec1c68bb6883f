// stop_network: an actor system whose middleman sends heartbeats is
// destroyed without leaving its BASP broker alive (see
// runtime/network_shutdown.hpp for the CAF behaviour behind it).

#define BOOST_TEST_MODULE network_shutdown
#include <boost/test/unit_test.hpp>

#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <chrono>
#include <random>
#include <thread>

#include "runtime/network_shutdown.hpp"

namespace {

/// Runs one actor system that publishes an actor on a loopback port with a
/// heartbeat of `heartbeat` for `lifetime`, stops it like a node does and
/// returns the broker's strong reference count once the system is gone.
size_t broker_refs_after_teardown(std::chrono::milliseconds heartbeat,
                                  std::chrono::milliseconds lifetime) {
  caf::weak_actor_ptr broker;
  {
    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    cfg.set("middleman.heartbeat-interval", caf::timespan{heartbeat});
    cfg.set("middleman.connection-timeout",
            caf::timespan{std::chrono::seconds(5)});
    cfg.set("logger.console", caf::atom("none"));
    caf::actor_system sys{cfg};
    // An argument (unused) keeps CAF 0.17.6's spawn from dereferencing its
    // null argument tuple, which UndefinedBehaviorSanitizer rejects.
    auto echo = sys.spawn(
        [](int) -> caf::behavior { return {[](int x) { return x; }}; }, 0);
    auto port = sys.middleman().publish(echo, 0, "127.0.0.1", true);
    BOOST_REQUIRE(port);
    auto basp
        = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
    broker = caf::actor_cast<caf::weak_actor_ptr>(basp);
    // The heartbeat ticks while the system runs: the teardown below meets
    // a tick at a different point of its interval on every run.
    std::this_thread::sleep_for(lifetime);
    caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
    vigil::stop_network(sys);
  }
  return broker->strong_refs.load();
}

} // namespace

BOOST_AUTO_TEST_CASE(the_broker_is_freed_whatever_the_heartbeat_phase) {
  // Without stop_network about one run in three leaves the broker alive
  // (a tick in its mailbox refers to it); twenty runs cover the phases.
  std::mt19937 rng{20261205};
  std::uniform_int_distribution<int> lifetime_ms{1, 40};
  for (int run = 0; run < 20; ++run) {
    auto lifetime = std::chrono::milliseconds(lifetime_ms(rng));
    BOOST_TEST_INFO("run " << run << ", lifetime " << lifetime.count()
                           << " ms");
    BOOST_TEST(
        broker_refs_after_teardown(std::chrono::milliseconds(10), lifetime)
        == 0u);
  }
}
