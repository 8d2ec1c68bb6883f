#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/fwd.hpp>

namespace vigil {

/// Settings of an ingest node's link to its store.
struct store_link_config {
  /// The store's cluster address.
  std::string host;
  uint16_t port = 4243;
  /// This node's name (for the store's log).
  std::string node_name;
  /// Connects to the actor published at host:port (plain BASP or mutual
  /// TLS, chosen by the node).
  std::function<caf::expected<caf::actor>(
      caf::actor_system&, const std::string& host, uint16_t port)>
      connect;
  /// Seed of the reconnect backoff's jitter.
  uint64_t seed = 42;
};

/// Spawns the link of `source` to its store (own thread, since connecting
/// blocks): connects to the store's gateway, asks it for the coordinator,
/// tells `source` a `store_link_event` with it, and when the connection is
/// lost (the store died, froze past the connection timeout, or its
/// coordinator restarted) tells `source` an event without one and connects
/// again with exponential backoff. One log line per outage. Ends with
/// `source`.
void spawn_store_link(caf::actor_system& sys, store_link_config settings,
                      caf::actor source);

} // namespace vigil
