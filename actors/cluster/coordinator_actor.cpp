#include "actors/cluster/coordinator_actor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/cluster/membership.hpp"
#include "actors/ingest/kafka_source.hpp"
#include "actors/messages.hpp"
#include "actors/node/metrics.hpp"
#include "runtime/log.hpp"
#include "runtime/spawn.hpp"

namespace vigil {

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// "0-3,7,9-11", at most `limit` ranges.
std::string ranges(const std::vector<int32_t>& xs, size_t limit = 8) {
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < xs.size();) {
    size_t j = i;
    while (j + 1 < xs.size() && xs[j + 1] == xs[j] + 1)
      ++j;
    if (n++ == limit) {
      out += ",...";
      break;
    }
    if (!out.empty())
      out += ",";
    out += std::to_string(xs[i]);
    if (j > i)
      out += "-" + std::to_string(xs[j]);
    i = j + 1;
  }
  return out.empty() ? "none" : out;
}

struct member_info {
  caf::actor source;
  std::string role;
  std::string address;
  int64_t joined_ms = 0;
  int64_t last_heartbeat_ms = 0;
  std::chrono::steady_clock::time_point last_seen;
  node_heartbeat last;
};

struct coordinator_state {
  static inline const char* name = "coordinator";

  explicit coordinator_state(caf::stateful_actor<coordinator_state>* self)
      : self(self) {
    // nop
  }

  caf::behavior make_behavior(coordinator_config cfg, caf::actor listener);

  caf::stateful_actor<coordinator_state>* self;
  coordinator_config settings;
  caf::actor listener;
  /// Generations start at the store's start time in microseconds: unique
  /// across store incarnations, so no epoch is ever handed out twice.
  cluster_membership members{static_cast<uint64_t>(wall_ms()) * 1000};
  std::map<std::string, member_info> nodes;
  std::map<caf::actor_addr, std::string> by_addr;
  /// Drain mode: end offset of each partition as its owner saw it.
  std::map<int32_t, int64_t> ends;
  caf::actor merger;
  uint64_t next_checkpoint = 1;
  uint64_t in_flight = 0;
  std::chrono::steady_clock::time_point in_flight_since;
  uint64_t last_durable = 0;
  bool running = false;
  bool drained = false;
  /// Drain mode: the merger's final checkpoint (0: not yet flushed).
  uint64_t final_checkpoint = 0;
  /// Offsets of the newest durable checkpoint.
  std::vector<partition_offset> last_durable_offsets;
  uint64_t losses = 0;
  /// Since when some partition has been claimed by two nodes (epoch: none).
  std::chrono::steady_clock::time_point contested_since{};

  std::string name_of(const caf::strong_actor_ptr& sender) {
    if (!sender)
      return {};
    auto it = by_addr.find(caf::actor_cast<caf::actor_addr>(sender));
    return it == by_addr.end() ? std::string{} : it->second;
  }

  void on_hello(const node_hello& hello) {
    auto src = caf::actor_cast<caf::actor>(self->current_sender());
    if (!src)
      return;
    auto& info = nodes[hello.name];
    if (info.source && info.source != src)
      by_addr.erase(info.source.address());
    info.source = src;
    info.role = hello.role;
    info.address = hello.address;
    info.joined_ms = wall_ms();
    info.last_heartbeat_ms = info.joined_ms;
    info.last_seen = std::chrono::steady_clock::now();
    info.last = node_heartbeat{};
    by_addr[src.address()] = hello.name;
    self->monitor(src);
    members.join(hello.name, hello.topic_partitions);
    logf(log_level::info, "coordinator", "node %s (%s, %s) joined",
         hello.name.c_str(), hello.role.c_str(), hello.address.c_str());
    next_generation("node " + hello.name + " joined");
  }

  void on_report(const assignment_report& report) {
    auto name = name_of(self->current_sender());
    if (name.empty() || !members.is_member(name))
      return; // a node that lost its membership; it says hello again
    for (size_t i = 0; i < report.partitions.size(); ++i)
      if (i < report.end_offsets.size() && report.end_offsets[i] >= 0)
        ends[report.partitions[i]] = report.end_offsets[i];
    members.report(name, report.partitions, report.topic_partitions);
    nodes[name].last_seen = std::chrono::steady_clock::now();
    next_generation("node " + name + " was assigned "
                    + std::to_string(report.partitions.size()) + " partitions");
  }

  void on_heartbeat(node_heartbeat& hb) {
    auto src = caf::actor_cast<caf::actor>(self->current_sender());
    auto name = name_of(self->current_sender());
    if (name.empty() || !members.is_member(name)) {
      // Dropped after a heartbeat timeout (a frozen process that runs
      // again): it must introduce itself and report again.
      if (src)
        self->send(src, cluster_resume{});
      return;
    }
    auto& info = nodes[name];
    info.last_seen = std::chrono::steady_clock::now();
    info.last_heartbeat_ms = wall_ms();
    info.last = std::move(hb);
  }

  void on_down(const caf::down_msg& down) {
    auto it = by_addr.find(down.source);
    if (it == by_addr.end())
      return;
    auto name = it->second;
    by_addr.erase(it);
    lose(name,
         "connection closed (" + self->system().render(down.reason) + ")");
  }

  void lose(const std::string& name, const std::string& why) {
    auto parts = ranges(members.partitions_of(name));
    if (!members.leave(name))
      return;
    nodes.erase(name);
    ++losses;
    if (settings.metrics)
      settings.metrics->cluster_node_losses().Increment();
    logf(log_level::warning, "coordinator",
         "node %s lost: %s; its partitions (%s) wait for the consumer group "
         "to move them (at most the session timeout)",
         name.c_str(), why.c_str(), parts.c_str());
    next_generation("node " + name + " lost");
  }

  void next_generation(const std::string& why) {
    auto gen = members.next_generation();
    // The merger flushes again once every partition of this generation is
    // finished.
    final_checkpoint = 0;
    if (settings.metrics)
      settings.metrics->cluster_generations().Increment();
    in_flight = 0;
    source_resume ck;
    std::string error = "no checkpoint reader";
    if (!settings.reload || !settings.reload(ck, error)) {
      self->quit(caf::make_error(caf::sec::runtime_error,
                                 "coordinator: cannot read the last durable "
                                 "checkpoint: "
                                     + error));
      return;
    }
    merger = settings.merger ? settings.merger() : caf::actor{};
    auto dlq = settings.dead_letters ? settings.dead_letters() : caf::actor{};
    if (!merger || !dlq) {
      self->quit(caf::make_error(caf::sec::runtime_error,
                                 "coordinator: the merger or the dead-letter "
                                 "producer is not running"));
      return;
    }
    self->send(merger, atom::rollback_v, ck.merger_state, ck.checkpoint, gen);
    running = members.covered() && !drained;
    auto owned = members.owned();
    if (running)
      for (auto p : owned)
        self->send(merger, atom::assign_v, p);
    next_checkpoint = std::max(next_checkpoint, ck.checkpoint + 1);
    last_durable = std::max(last_durable, ck.checkpoint);
    std::vector<partition_offset> offsets;
    for (const auto& [p, off] : ck.offsets)
      offsets.push_back({p, off});
    for (const auto& name : members.members()) {
      auto it = nodes.find(name);
      if (it == nodes.end())
        continue;
      cluster_resume msg;
      msg.generation = gen;
      msg.run = running;
      msg.checkpoint = ck.checkpoint;
      msg.offsets = offsets;
      msg.partitions = members.partitions_of(name);
      msg.merger = merger;
      msg.dead_letters = dlq;
      self->send(it->second.source, std::move(msg));
    }
    if (running)
      logf(log_level::info, "coordinator",
           "generation %llu (%s): %zu nodes own all %d partitions; running "
           "from checkpoint %llu",
           static_cast<unsigned long long>(gen), why.c_str(), nodes.size(),
           members.topic_partitions(),
           static_cast<unsigned long long>(ck.checkpoint));
    else if (!drained)
      logf(log_level::info, "coordinator",
           "generation %llu (%s): %zu nodes; holding until every partition "
           "has one owner (without an owner: %s; contested: %s)",
           static_cast<unsigned long long>(gen), why.c_str(), nodes.size(),
           members.topic_partitions() < 0 ? "topic size unknown"
                                          : ranges(members.unowned()).c_str(),
           ranges(members.contested()).c_str());
    publish();
  }

  void on_ack(int32_t partition, uint64_t epoch, uint32_t batches) {
    auto owner = members.owner(partition);
    if (owner.empty())
      return;
    auto it = nodes.find(owner);
    if (it != nodes.end())
      self->send(it->second.source, atom::ack_v, partition, epoch, batches);
  }

  void on_durable(const checkpoint_durable& msg) {
    if (msg.checkpoint >= last_durable)
      last_durable_offsets = msg.offsets;
    last_durable = std::max(last_durable, msg.checkpoint);
    next_checkpoint = std::max(next_checkpoint, msg.checkpoint + 1);
    if (msg.checkpoint == in_flight) {
      in_flight = 0;
      if (settings.metrics)
        settings.metrics->checkpoint_duration().Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now()
                                          - in_flight_since)
                .count());
    }
    if (settings.status)
      settings.status->last_durable_ms = wall_ms();
    for (auto& [name, info] : nodes)
      self->send(info.source, msg);
    maybe_drained();
  }

  /// The merger flushed every window in checkpoint `id` (drain mode).
  void on_final(uint64_t id) {
    final_checkpoint = id;
    maybe_drained();
  }

  void maybe_drained() {
    checkpoint_durable msg{last_durable, last_durable_offsets};
    // Only the merger's final checkpoint holds the flushed windows: a
    // checkpoint at the end offsets taken before it does not.
    if (settings.drain && !drained && final_checkpoint != 0
        && last_durable >= final_checkpoint && drain_complete(msg)) {
      drained = true;
      running = false;
      logf(log_level::info, "coordinator",
           "every partition reached its end offset in checkpoint %llu",
           static_cast<unsigned long long>(msg.checkpoint));
      for (auto& [name, info] : nodes)
        self->send(info.source, atom::drained_v, msg.checkpoint);
      self->send(listener, atom::drained_v, msg.checkpoint);
    }
  }

  bool drain_complete(const checkpoint_durable& msg) const {
    auto total = members.topic_partitions();
    if (total <= 0 || !members.covered())
      return false;
    std::map<int32_t, int64_t> at;
    for (const auto& po : msg.offsets)
      at[po.partition] = po.next_offset;
    for (int32_t p = 0; p < total; ++p) {
      auto end = ends.find(p);
      auto got = at.find(p);
      if (end == ends.end() || got == at.end() || got->second < end->second)
        return false;
    }
    return true;
  }

  void on_tick() {
    self->delayed_send(self, settings.checkpoint_interval, atom::tick_v);
    auto now = std::chrono::steady_clock::now();
    std::vector<std::string> silent;
    for (auto& [name, info] : nodes)
      if (now - info.last_seen > settings.heartbeat_timeout)
        silent.push_back(name);
    for (const auto& name : silent) {
      auto it = nodes.find(name);
      if (it != nodes.end())
        by_addr.erase(it->second.source.address());
      lose(name, "no heartbeat for "
                     + std::to_string(settings.heartbeat_timeout.count())
                     + " ms (a frozen or partitioned process)");
    }
    publish();
    resolve_contested(now);
    if (!running || drained)
      return;
    auto stuck_after = std::max<std::chrono::milliseconds>(
        settings.checkpoint_interval * 10, std::chrono::seconds(30));
    if (in_flight != 0) {
      if (now - in_flight_since > stuck_after) {
        logf(log_level::warning, "coordinator",
             "checkpoint %llu did not align within %lld ms; starting over "
             "from checkpoint %llu",
             static_cast<unsigned long long>(in_flight),
             static_cast<long long>(stuck_after.count()),
             static_cast<unsigned long long>(last_durable));
        next_generation("checkpoint timeout");
      }
      return;
    }
    checkpoint_begin begin;
    begin.checkpoint = next_checkpoint++;
    begin.partitions = members.owned();
    self->send(merger, begin);
    for (auto& [name, info] : nodes)
      self->send(info.source,
                 cluster_barrier{begin.checkpoint, members.generation()});
    in_flight = begin.checkpoint;
    in_flight_since = now;
  }

  /// A partition claimed by two nodes for longer than a rebalance takes
  /// (one node's view of the group is stale: a rebalance it was not told
  /// about) holds the cluster: the nodes involved leave and join the group
  /// again, so that it sends each its real assignment.
  void resolve_contested(std::chrono::steady_clock::time_point now) {
    auto contested = members.contested();
    if (contested.empty()) {
      contested_since = {};
      return;
    }
    if (contested_since == std::chrono::steady_clock::time_point{}) {
      contested_since = now;
      return;
    }
    if (now - contested_since < settings.contested_timeout)
      return;
    contested_since = now;
    std::vector<std::string> involved;
    for (const auto& [name, info] : nodes) {
      const auto& parts = members.partitions_of(name);
      bool claims
          = std::any_of(contested.begin(), contested.end(), [&](int32_t p) {
              return std::binary_search(parts.begin(), parts.end(), p);
            });
      if (claims) {
        involved.push_back(name);
        self->send(info.source, atom::rejoin_v);
      }
    }
    std::string names;
    for (const auto& n : involved)
      names += (names.empty() ? "" : ", ") + n;
    logf(log_level::warning, "coordinator",
         "partitions %s claimed by more than one node for %lld ms: nodes %s "
         "leave and join the consumer group again",
         ranges(contested).c_str(),
         static_cast<long long>(settings.contested_timeout.count()),
         names.c_str());
  }

  void publish() {
    if (settings.metrics)
      settings.metrics->cluster_nodes().Set(static_cast<double>(nodes.size()));
    if (!settings.status)
      return;
    auto owned = members.owned();
    settings.status->assigned
        = running ? static_cast<int32_t>(owned.size()) : 0;
    std::lock_guard<std::mutex> guard{settings.status->mtx};
    settings.status->positions.clear();
    settings.status->lag.clear();
  }

  cluster_view view() const {
    cluster_view v;
    v.generation = members.generation();
    v.running = running;
    v.topic_partitions = members.topic_partitions();
    v.unowned = members.unowned();
    v.node_losses = losses;
    for (const auto& [name, info] : nodes) {
      node_row row;
      row.name = name;
      row.role = info.role;
      row.address = info.address;
      row.partitions = members.partitions_of(name);
      row.lag = info.last.lag;
      row.restarts = info.last.restarts;
      row.last_heartbeat_ms = info.last_heartbeat_ms;
      row.joined_ms = info.joined_ms;
      v.nodes.push_back(std::move(row));
    }
    return v;
  }
};

caf::behavior coordinator_state::make_behavior(coordinator_config cfg,
                                               caf::actor listener) {
  settings = std::move(cfg);
  this->listener = std::move(listener);
  self->set_down_handler([this](caf::down_msg& down) { on_down(down); });
  self->delayed_send(self, settings.checkpoint_interval, atom::tick_v);
  return {
      [this](const node_hello& hello) { on_hello(hello); },
      [this](const assignment_report& report) { on_report(report); },
      [this](node_heartbeat& hb) { on_heartbeat(hb); },
      [this](atom::ack, int32_t partition, uint64_t epoch, uint32_t batches) {
        on_ack(partition, epoch, batches);
      },
      [this](const checkpoint_durable& msg) { on_durable(msg); },
      [this](atom::final, uint64_t id) { on_final(id); },
      [this](atom::tick) { on_tick(); },
      [this](atom::nodes) { return view(); },
  };
}

struct gateway_state {
  static inline const char* name = "cluster_gateway";

  explicit gateway_state(caf::stateful_actor<gateway_state>* self)
      : self(self) {
    // nop
  }

  caf::behavior make_behavior(caf::atom_value key) {
    return {
        [this, key](const coordinator_request&) {
          return caf::actor_cast<caf::actor>(
              self->system().registry().get(key));
        },
    };
  }

  caf::stateful_actor<gateway_state>* self;
};

} // namespace

caf::actor spawn_coordinator_actor(caf::actor_system& sys,
                                   coordinator_config settings,
                                   caf::actor listener) {
  return spawn_stateful<coordinator_state>(sys, std::move(settings),
                                           std::move(listener));
}

caf::actor spawn_cluster_gateway_actor(caf::actor_system& sys) {
  // The key is an argument: CAF 0.17 mishandles argument-less function
  // actors (a null argument tuple).
  return spawn_stateful<gateway_state>(sys, caf::atom("coord"));
}

} // namespace vigil
