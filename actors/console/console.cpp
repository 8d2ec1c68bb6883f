#include "actors/console/console.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/console/console_commands.hpp"
#include "actors/doctor/doctor.hpp"
#include "actors/ingest/kafka_source.hpp"
#include "actors/messages.hpp"
#include "actors/node/kind_view.hpp"
#include "actors/node/node_http.hpp"
#include "runtime/db_reader.hpp"
#include "runtime/error.hpp"
#include "runtime/network_shutdown.hpp"
#include "runtime/spawn.hpp"
#include "runtime/sqlite.hpp"

namespace vigil {

namespace {

/// How long `status` waits for the supervisor's list of children.
constexpr auto children_timeout = std::chrono::seconds(2);

/// How long database reads wait for a lock.
constexpr int busy_timeout_ms = 200;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

console_reply ok(std::string text) {
  return console_reply{true, std::move(text)};
}

console_reply failed(const std::string& what, const std::string& detail) {
  return console_reply{false, what + ": " + detail + "\n"};
}

/// Stored checkpoints, newest first (read-only connection).
db_result<std::vector<console_checkpoint>>
read_checkpoint_list(const std::string& db) {
  auto kind = db_kind_of(db);
  auto rows = db_query(db,
                       "SELECT id, " + sql_ms(kind, "created_at")
                           + ", coalesce(length(merger_state), 0) + "
                             "coalesce(length(detector_state), 0) FROM "
                             "checkpoints ORDER BY id DESC",
                       {}, busy_timeout_ms);
  if (!rows)
    return rows.error();
  std::vector<console_checkpoint> out;
  for (size_t r = 0; r < rows->size(); ++r)
    out.push_back({static_cast<uint64_t>(rows->int64(r, 0)), rows->int64(r, 1),
                   rows->int64(r, 2)});
  return out;
}

/// Checkpointed offsets of the topic, by partition.
std::vector<partition_offset> checkpointed_offsets(const console_context& ctx,
                                                   bool& readable) {
  std::vector<partition_offset> out;
  for (const auto& cp : doctor::read_checkpoints(ctx.db, ctx.topic, readable))
    out.push_back({cp.partition, cp.next_offset});
  return out;
}

struct console_state {
  static inline const char* name = "console";

  explicit console_state(caf::stateful_actor<console_state>* self)
      : self(self) {
    // nop
  }

  /// Takes the configuration and returns the behavior.
  caf::behavior make_behavior(console_context ctx);

  caf::stateful_actor<console_state>* self;

  console_context ctx;

  /// The tables of the node's event kind (request: service_metrics).
  kind_view view;

  /// `status` without the children (the caller adds them).
  console_status status() const {
    console_status st;
    st.now_ms = wall_ms();
    st.identity = ctx.identity;
    st.started_ms = ctx.started_ms;
    st.drain = ctx.drain;
    st.stopping = ctx.stop != nullptr && ctx.stop->load();
    st.max_services = ctx.max_services;
    st.last_checkpoint = ctx.initial_checkpoint;
    st.last_checkpoint_ms = ctx.initial_checkpoint_ms;
    if (ctx.node) {
      {
        std::lock_guard<std::mutex> guard{ctx.node->mtx};
        st.stats = ctx.node->pipeline;
        st.stats_known = ctx.node->have_pipeline;
        st.is_store = ctx.node->role == "store";
        st.cluster = ctx.node->cluster;
      }
      if (auto& src = ctx.node->source) {
        st.assigned = src->assigned.load();
        st.stalled = src->stalled.load();
        st.held = src->hold.load();
        st.held_since_ms = src->hold_since_ms.load();
        if (auto durable = src->last_durable_ms.load(); durable != 0)
          st.last_checkpoint_ms = durable;
        std::lock_guard<std::mutex> guard{src->mtx};
        for (const auto& kv : src->lag)
          st.total_lag += kv.second;
      }
    }
    if (st.stats.last_checkpoint != 0)
      st.last_checkpoint = st.stats.last_checkpoint;
    if (ctx.db.empty()) // role ingest: the store holds the windows
      return st;
    if (!view.is_request()) {
      st.kind = view.kind;
      if (auto rows = read_kind_latest(ctx.db, view))
        st.services = rows->size();
      else
        st.problems = "keys (" + rows.error().message + ")";
      return st;
    }
    if (auto rows = read_latest_windows(ctx.db))
      st.services = rows->size();
    else
      st.problems = "services (" + rows.error().message + ")";
    return st;
  }

  console_reply partitions() const {
    std::vector<console_partition> xs;
    if (ctx.node && ctx.node->source) {
      std::lock_guard<std::mutex> guard{ctx.node->source->mtx};
      for (const auto& [p, pos] : ctx.node->source->positions)
        xs.push_back({p, pos.next_offset, pos.end_offset, pos.paused,
                      pos.in_flight, -1, pos.held, pos.finished, pos.stalled,
                      pos.waiting_ms, pos.consumer_paused, pos.epoch,
                      pos.fetched});
    }
    bool readable = true;
    for (const auto& po : checkpointed_offsets(ctx, readable))
      for (auto& x : xs)
        if (x.partition == po.partition)
          x.checkpointed = po.next_offset;
    auto text = format_partitions(xs);
    if (!readable)
      text += "checkpointed offsets unknown: cannot read " + ctx.db + "\n";
    return ok(std::move(text));
  }

  /// `pause` (hold) and `resume` (release).
  console_reply hold(bool on) const {
    if (!ctx.node || !ctx.node->source)
      return failed("cannot " + std::string{on ? "pause" : "resume"},
                    "this node has no Kafka source");
    auto& src = *ctx.node->source;
    if (on) {
      if (src.hold.load())
        return ok("consumption is already paused (since "
                  + format_time(src.hold_since_ms.load()) + ")\n");
      src.hold_since_ms = wall_ms();
      src.hold = true;
      return ok("consumption paused: the source stops fetching and keeps its "
                + std::to_string(src.assigned.load())
                + " partitions (no rebalance); batches in flight finish and "
                  "checkpoints go on, so everything read becomes durable. "
                  "'resume' fetches again.\n");
    }
    if (!src.hold.exchange(false))
      return ok("consumption is not paused\n");
    return ok("consumption resumed after "
              + format_duration(wall_ms() - src.hold_since_ms.load()) + "\n");
  }

  console_reply answer(const console_command& cmd) const {
    switch (cmd.kind) {
    case console_command::nodes: {
      if (!ctx.node || ctx.node->role != "store")
        return failed("nodes", "this node is not a cluster's store (role "
                                   + (ctx.node ? ctx.node->role : "all")
                                   + "): ask the store's console");
      cluster_view view;
      {
        std::lock_guard<std::mutex> guard{ctx.node->mtx};
        view = ctx.node->cluster;
      }
      return ok(format_nodes(view, wall_ms()));
    }
    case console_command::help:
      return ok(console_help());
    case console_command::partitions:
      return partitions();
    case console_command::services: {
      if (!view.is_request()) {
        auto rows = read_kind_latest(ctx.db, view);
        if (!rows)
          return failed("cannot read " + ctx.db, rows.error().message);
        return ok(format_kind_services(view, *rows, wall_ms()));
      }
      auto rows = read_latest_windows(ctx.db);
      if (!rows)
        return failed("cannot read " + ctx.db, rows.error().message);
      return ok(format_services(*rows, wall_ms()));
    }
    case console_command::anomalies: {
      auto rows = read_anomalies(ctx.db, INT64_MIN, cmd.service, cmd.limit);
      if (!rows)
        return failed("cannot read " + ctx.db, rows.error().message);
      return ok(format_anomalies(*rows, cmd));
    }
    case console_command::incidents: {
      auto rows = read_incidents(ctx.db, INT64_MIN, cmd.limit);
      if (!rows)
        return failed("cannot read " + ctx.db, rows.error().message);
      return ok(format_incidents(*rows, wall_ms()));
    }
    case console_command::restarts: {
      auto events = ctx.history->latest(static_cast<size_t>(cmd.limit));
      return ok(format_restarts(events, ctx.history->dropped(), wall_ms()));
    }
    case console_command::checkpoint: {
      auto list = read_checkpoint_list(ctx.db);
      if (!list)
        return failed("cannot read " + ctx.db, list.error().message);
      bool readable = true;
      auto offsets = checkpointed_offsets(ctx, readable);
      return ok(format_checkpoints(*list, offsets, wall_ms()));
    }
    case console_command::pause:
    case console_command::resume:
      return hold(cmd.kind == console_command::pause);
    case console_command::status:
      break; // Answered asynchronously by the behavior.
    }
    return ok(console_help());
  }
};

using console_actor = caf::stateful_actor<console_state>;

caf::behavior console_state::make_behavior(console_context ctx) {
  this->ctx = std::move(ctx);
  view
      = make_kind_view(this->ctx.node ? this->ctx.node->schema.get() : nullptr);
  return {
      [this](console_request& req) -> caf::result<console_reply> {
        auto cmd = parse_console_command(req.line);
        if (!cmd)
          return console_reply{false, cmd.error()};
        if (cmd->kind != console_command::status)
          return this->answer(*cmd);
        auto st = this->status();
        auto tree = caf::actor_cast<caf::actor>(self->system().registry().get(
            caf::atom_from_string(console_tree_name)));
        if (!tree) {
          st.problems += (st.problems.empty() ? "" : "; ")
                         + std::string{"supervised actors (the supervision "
                                       "tree is not running)"};
          return ok(format_status(st));
        }
        auto rp = self->make_response_promise<console_reply>();
        self->request(tree, children_timeout, atom::children_v)
            .then(
                [rp, st](std::vector<child_status>& xs) mutable {
                  for (auto& x : xs)
                    st.children.push_back({x.name, x.restarts, x.alive});
                  rp.deliver(ok(format_status(st)));
                },
                [this, rp, st](caf::error& err) mutable {
                  st.problems += (st.problems.empty() ? "" : "; ")
                                 + std::string{"supervised actors ("}
                                 + self->system().render(err) + ")";
                  rp.deliver(ok(format_status(st)));
                });
        return rp;
      },
  };
}

} // namespace

caf::actor spawn_console_actor(caf::actor_system& sys, console_context ctx) {
  return spawn_stateful<console_state, caf::detached>(sys, std::move(ctx));
}

expected<uint16_t> publish_console(caf::actor_system& sys,
                                   const caf::actor& console,
                                   const std::string& host, uint16_t port,
                                   bool tls) {
  auto bound = tls ? caf::openssl::publish(console, port, host.c_str(), true)
                   : sys.middleman().publish(console, port, host.c_str(), true);
  if (!bound)
    return make_error_text(
        "cannot serve the console on " + host + ":" + std::to_string(port)
        + ": " + sys.render(bound.error())
        + " (another process may hold the port: 'vigil doctor' names it; "
          "choose another with --console-port N, 0 = any free port)");
  return *bound;
}

expected<console_address> parse_console_address(const std::string& text) {
  auto colon = text.rfind(':');
  auto bad = [&] {
    return make_error_text("--connect expects HOST:PORT such as "
                           "127.0.0.1:4242 (got '"
                           + text + "')");
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return bad();
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = text.substr(colon + 1);
  if (host.empty() || port.size() > 5
      || !std::all_of(port.begin(), port.end(),
                      [](char c) { return c >= '0' && c <= '9'; }))
    return bad();
  auto n = std::stoi(port);
  if (n < 1 || n > 65535)
    return bad();
  console_address out;
  out.host = host;
  out.port = static_cast<uint16_t>(n);
  return out;
}

int run_console_client(const console_address& addr,
                       const std::vector<std::string>& command,
                       std::chrono::milliseconds timeout, std::FILE* in,
                       std::FILE* out, std::FILE* err, bool prompt) {
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::vigil>();
  add_error_category(cfg);
  cfg.load<caf::io::middleman>();
  const bool tls = !addr.tls_ca.empty();
  if (tls) {
    cfg.load<caf::openssl::manager>();
    cfg.openssl_cafile = addr.tls_ca;
    cfg.openssl_certificate = addr.tls_cert;
    cfg.openssl_key = addr.tls_key;
  }
  // Heartbeats from the client too: the node's side of a TLS connection
  // then reads at least every second.
  set_network_heartbeat(cfg);
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  network_stopper stopper{sys};
  auto where = addr.host + ":" + std::to_string(addr.port);
  auto unreachable = [&](const std::string& why) {
    std::fprintf(err,
                 "vigil console: cannot reach the console at %s: %s — is "
                 "`vigil run` running? check `vigil doctor`\n",
                 where.c_str(), why.c_str());
    return 1;
  };
  auto node = tls ? caf::openssl::remote_actor(sys, addr.host, addr.port)
                  : sys.middleman().remote_actor(addr.host, addr.port);
  if (!node)
    return unreachable(sys.render(node.error()));
  caf::scoped_actor self{sys};
  // Sends one line; false if the node did not answer.
  auto ask
      = [&](const std::string& line, console_reply& reply, std::string& why) {
          bool answered = false;
          self->request(*node, timeout, console_request{line})
              .receive(
                  [&](console_reply& r) {
                    reply = std::move(r);
                    answered = true;
                  },
                  [&](caf::error& e) { why = sys.render(e); });
          return answered;
        };
  console_reply reply;
  std::string why;
  if (!command.empty()) {
    std::string line;
    for (const auto& word : command)
      line += (line.empty() ? "" : " ") + word;
    if (!ask(line, reply, why))
      return unreachable(why);
    std::fputs(reply.text.c_str(), reply.ok ? out : err);
    return reply.ok ? 0 : 2;
  }
  std::string line;
  for (;;) {
    if (prompt) {
      std::fputs("vigil> ", out);
      std::fflush(out);
    }
    line.clear();
    int c = 0;
    while ((c = std::fgetc(in)) != EOF && c != '\n')
      line += static_cast<char>(c);
    if (c == EOF && line.empty())
      break;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos)
      continue;
    auto word = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (word == "quit" || word == "exit")
      break;
    // Without a terminal, echo each command so that a transcript reads
    // like a session.
    if (!prompt)
      std::fprintf(out, "vigil> %s\n", line.c_str());
    if (!ask(line, reply, why))
      return unreachable(why);
    std::fputs(reply.text.c_str(), out);
    std::fputs("\n", out);
    std::fflush(out);
  }
  if (prompt)
    std::fputs("\n", out);
  return 0;
}

} // namespace vigil
