#include "actors/cluster/store_link.hpp"

#include <chrono>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/messages.hpp"
#include "runtime/backoff.hpp"
#include "runtime/log.hpp"

namespace vigil {

namespace {

void run_link(caf::blocking_actor* self, store_link_config cfg,
              caf::actor source) {
  self->monitor(source);
  backoff_config bc;
  bc.min = std::chrono::milliseconds(200);
  bc.max = std::chrono::seconds(5);
  backoff_policy backoff{bc, cfg.seed};
  auto address = cfg.host + ":" + std::to_string(cfg.port);
  bool running = true;
  bool outage_logged = false;
  auto outage_since = std::chrono::steady_clock::now();
  // Waits `d` for the source to end; false if it did.
  auto pause = [&](std::chrono::milliseconds d) {
    self->receive(
        [&](caf::down_msg& down) {
          if (down.source == source.address())
            running = false;
        },
        [&](caf::exit_msg&) { running = false; }, caf::after(d) >> [] {});
    return running;
  };
  std::string last_reason;
  auto fail = [&](const std::string& why) {
    // One line per outage, and one more whenever the reason changes (a
    // refused TLS handshake once the store listens, say).
    if (!outage_logged || why != last_reason) {
      if (!outage_logged)
        outage_since = std::chrono::steady_clock::now();
      outage_logged = true;
      last_reason = why;
      logf(log_level::warning, "store_link",
           "store %s unreachable: %s; partitions are held, retrying with "
           "backoff",
           address.c_str(), why.c_str());
    }
    auto now = std::chrono::steady_clock::now();
    pause(backoff.next_delay(now, now));
  };
  while (running) {
    auto gateway = cfg.connect(self->system(), cfg.host, cfg.port);
    if (!gateway) {
      fail(self->system().render(gateway.error()));
      continue;
    }
    caf::actor coordinator;
    std::string why;
    self->request(*gateway, std::chrono::seconds(5),
                  coordinator_request{cfg.node_name})
        .receive([&](caf::actor& c) { coordinator = std::move(c); },
                 [&](caf::error& err) { why = self->system().render(err); });
    if (!coordinator) {
      fail(why.empty() ? "the store's coordinator is not running" : why);
      continue;
    }
    if (outage_logged) {
      auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                                - outage_since)
                      .count();
      logf(log_level::info, "store_link",
           "store %s reachable again after %.1f s", address.c_str(), secs);
    } else {
      logf(log_level::info, "store_link", "connected to store %s",
           address.c_str());
    }
    outage_logged = false;
    last_reason.clear();
    backoff.reset();
    self->monitor(coordinator);
    self->send(source, store_link_event{coordinator, {}});
    bool up = true;
    while (running && up) {
      self->receive(
          [&](caf::down_msg& down) {
            if (down.source == source.address()) {
              running = false;
            } else if (down.source == coordinator.address()) {
              up = false;
              why = self->system().render(down.reason);
            }
          },
          [&](caf::exit_msg&) { running = false; });
    }
    if (!running)
      break;
    outage_logged = true;
    outage_since = std::chrono::steady_clock::now();
    logf(log_level::warning, "store_link",
         "lost the store %s (%s); partitions are held until it is back",
         address.c_str(), why.c_str());
    self->send(source, store_link_event{caf::actor{}, why});
    pause(bc.min);
  }
}

} // namespace

void spawn_store_link(caf::actor_system& sys, store_link_config settings,
                      caf::actor source) {
  sys.spawn<caf::detached>(run_link, std::move(settings), std::move(source));
}

} // namespace vigil
