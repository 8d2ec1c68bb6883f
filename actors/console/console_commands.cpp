#include "actors/console/console_commands.hpp"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>

#include "actors/ingest/request_event.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/timestamp.hpp"

namespace vigil {

namespace {

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in{line};
  std::vector<std::string> words;
  std::string word;
  while (in >> word)
    words.push_back(std::move(word));
  return words;
}

std::string lower(std::string x) {
  std::transform(x.begin(), x.end(), x.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return x;
}

bool all_digits(const std::string& x) {
  return !x.empty() && std::all_of(x.begin(), x.end(), [](unsigned char c) {
    return std::isdigit(c) != 0;
  });
}

error_text usage_error(const std::string& what) {
  return make_error_text(what + "\n\n" + console_help());
}

/// Parses a row count in 1..console_max_limit.
bool parse_limit(const std::string& word, int64_t& out) {
  if (!all_digits(word) || word.size() > 6)
    return false;
  auto n = std::stoll(word);
  if (n < 1 || n > console_max_limit)
    return false;
  out = n;
  return true;
}

std::string limit_error(const std::string& cmd, const std::string& word) {
  return cmd + ": N must be an integer in 1.."
         + std::to_string(console_max_limit) + " (got '" + word + "')";
}

std::string num(int64_t x) {
  return std::to_string(x);
}

std::string num(uint64_t x) {
  return std::to_string(x);
}

std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
  return buf;
}

std::string percent(double fraction) {
  return fixed(fraction * 100.0, 2) + "%";
}

std::string ago(int64_t then_ms, int64_t now_ms) {
  return format_duration(now_ms - then_ms) + " ago";
}

/// "label   value" lines with the labels padded to one width.
class key_values {
public:
  void add(std::string key, std::string value) {
    width_ = std::max(width_, key.size());
    lines_.emplace_back(std::move(key), std::move(value));
  }

  std::string render() const {
    std::string out;
    for (const auto& [key, value] : lines_) {
      out += key;
      out.append(width_ - key.size() + 2, ' ');
      out += value;
      out += '\n';
    }
    return out;
  }

private:
  size_t width_ = 0;
  std::vector<std::pair<std::string, std::string>> lines_;
};

} // namespace

// -- parsing ----------------------------------------------------------------

std::string console_help() {
  return "commands:\n"
         "  status                   uptime, mode, last checkpoint, event "
         "counters,\n"
         "                           supervised actors and their restarts\n"
         "  partitions               per assigned partition: next and end "
         "offset, lag,\n"
         "                           paused or reading, checkpointed offset\n"
         "  services                 latest window of each service: "
         "requests, rate,\n"
         "                           error rate, p95 latency (another event "
         "kind:\n"
         "                           each key, its events and main values)\n"
         "  anomalies [SERVICE] [N]  the N newest anomalies (default 20), of "
         "SERVICE\n"
         "                           only if given\n"
         "  incidents [N]            open incidents, then the newest "
         "resolved ones\n"
         "                           (at most N, default 20), with "
         "summaries\n"
         "  restarts [N]             the N newest supervisor events "
         "(default 20):\n"
         "                           failures, restarts, escalations\n"
         "  nodes                    on a cluster's store: every node, its "
         "role,\n"
         "                           partitions, lag, restarts, last "
         "heartbeat\n"
         "  checkpoint               stored checkpoints and the offset "
         "stored per\n"
         "                           partition\n"
         "  pause                    stop fetching (partitions stay "
         "assigned,\n"
         "                           checkpoints go on) until 'resume'\n"
         "  resume                   fetch again after 'pause'\n"
         "  help                     this list\n"
         "  quit                     leave the interactive console\n";
}

expected<console_command> parse_console_command(const std::string& line) {
  auto words = split_words(line);
  if (words.empty())
    return usage_error("empty command");
  console_command cmd;
  auto name = lower(words[0]);
  std::vector<std::string> args(words.begin() + 1, words.end());
  auto no_args
      = [&](console_command::kind_t kind) -> expected<console_command> {
    if (!args.empty())
      return usage_error(name + " takes no arguments (got '" + args[0] + "')");
    cmd.kind = kind;
    return cmd;
  };
  if (name == "help" || name == "?")
    return no_args(console_command::help);
  if (name == "status")
    return no_args(console_command::status);
  if (name == "partitions")
    return no_args(console_command::partitions);
  if (name == "nodes")
    return no_args(console_command::nodes);
  if (name == "services")
    return no_args(console_command::services);
  if (name == "checkpoint" || name == "checkpoints")
    return no_args(console_command::checkpoint);
  if (name == "pause")
    return no_args(console_command::pause);
  if (name == "resume")
    return no_args(console_command::resume);
  if (name == "restarts" || name == "incidents") {
    cmd.kind = name == "restarts" ? console_command::restarts
                                  : console_command::incidents;
    if (args.size() > 1)
      return usage_error(name + " takes at most one argument, N");
    if (args.size() == 1 && !parse_limit(args[0], cmd.limit))
      return usage_error(limit_error(name, args[0]));
    return cmd;
  }
  if (name == "anomalies") {
    cmd.kind = console_command::anomalies;
    if (args.size() > 2)
      return usage_error("anomalies takes at most two arguments, SERVICE "
                         "and N");
    if (args.size() == 2) {
      cmd.service = args[0];
      if (!parse_limit(args[1], cmd.limit))
        return usage_error(limit_error(name, args[1]));
    } else if (args.size() == 1) {
      if (all_digits(args[0])) {
        if (!parse_limit(args[0], cmd.limit))
          return usage_error(limit_error(name, args[0]));
      } else {
        cmd.service = args[0];
      }
    }
    return cmd;
  }
  return usage_error("unknown command '" + words[0] + "'");
}

// -- text_table ---------------------------------------------------------------

text_table::text_table(std::vector<std::string> headers) {
  for (auto& h : headers) {
    bool right = !h.empty() && h[0] == '>';
    right_.push_back(right);
    headers_.push_back(right ? h.substr(1) : std::move(h));
  }
}

void text_table::add(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string text_table::render() const {
  std::vector<size_t> width;
  for (const auto& h : headers_)
    width.push_back(h.size());
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      auto pad = width[i] - cells[i].size();
      if (i > 0)
        out += "  ";
      if (right_[i])
        out.append(pad, ' ');
      out += cells[i];
      if (!right_[i] && i + 1 < cells.size())
        out.append(pad, ' ');
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    return out + '\n';
  };
  std::vector<std::string> rule;
  rule.reserve(width.size());
  for (auto w : width)
    rule.emplace_back(w, '-');
  auto out = line(headers_) + line(rule);
  for (const auto& row : rows_)
    out += line(row);
  return out;
}

// -- rendering ----------------------------------------------------------------

std::string format_duration(int64_t ms) {
  auto s = std::max<int64_t>(0, ms) / 1000;
  char buf[64];
  if (s < 60)
    std::snprintf(buf, sizeof(buf), "%" PRId64 "s", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof(buf), "%" PRId64 "m%02" PRId64 "s", s / 60,
                  s % 60);
  else if (s < 86400)
    std::snprintf(buf, sizeof(buf), "%" PRId64 "h%02" PRId64 "m", s / 3600,
                  s % 3600 / 60);
  else
    std::snprintf(buf, sizeof(buf), "%" PRId64 "d%02" PRId64 "h", s / 86400,
                  s % 86400 / 3600);
  return buf;
}

std::string format_time(int64_t epoch_ms) {
  return format_utc(epoch_ms, "%Y-%m-%d %H:%M:%SZ");
}

std::string format_status(const console_status& st) {
  key_values kv;
  kv.add("node", st.identity);
  kv.add("uptime", "up " + format_duration(st.now_ms - st.started_ms)
                       + " (since " + format_time(st.started_ms) + ")");
  std::string mode = st.drain ? "drain: stops at the end offsets seen at start"
                              : "run: consumes until stopped";
  if (st.stopping)
    mode = "stopping: finishing a last checkpoint";
  kv.add("mode", mode);
  if (st.held)
    kv.add("paused", "by the operator " + ago(st.held_since_ms, st.now_ms)
                         + " (" + format_time(st.held_since_ms)
                         + "): nothing is fetched until 'resume'");
  if (st.last_checkpoint == 0)
    kv.add("checkpoint", "none yet");
  else if (st.last_checkpoint_ms == 0)
    kv.add("checkpoint", num(st.last_checkpoint));
  else
    kv.add("checkpoint", num(st.last_checkpoint) + ", committed "
                             + ago(st.last_checkpoint_ms, st.now_ms) + " ("
                             + format_time(st.last_checkpoint_ms) + ")");
  const auto& s = st.stats;
  auto count = [&](invalid_reason r) -> uint64_t {
    auto i = static_cast<size_t>(r);
    return i < s.invalid.size() ? s.invalid[i] : 0;
  };
  uint64_t invalid = 0;
  std::string reasons;
  for (size_t i = 1; i < s.invalid.size() && i < invalid_reason_count; ++i) {
    auto r = static_cast<invalid_reason>(i);
    if (r == invalid_reason::too_late || s.invalid[i] == 0)
      continue;
    invalid += s.invalid[i];
    reasons += (reasons.empty() ? "" : ", ") + std::string{to_string(r)} + " "
               + num(s.invalid[i]);
  }
  if (!st.stats_known) {
    kv.add("events", "not known yet (the pipeline has not answered)");
  } else {
    kv.add("events", num(s.events) + " consumed");
    kv.add("invalid", num(invalid)
                          + (reasons.empty() ? "" : " (" + reasons + ")")
                          + ", sent to the dead-letter topic");
    kv.add("late", num(s.late_accepted) + " updated their window, "
                       + num(count(invalid_reason::too_late))
                       + " too late (dead-lettered)");
    kv.add("repaired", num(s.repaired) + " timestamps");
    kv.add("windows",
           num(s.windows) + " emitted, " + num(s.open_windows) + " open");
    kv.add("watermark", s.watermark == INT64_MIN
                            ? std::string{"none yet"}
                            : format_time(s.watermark) + " ("
                                  + ago(s.watermark, st.now_ms) + ")");
    if (s.key_overflow > 0)
      kv.add("overflow",
             num(s.key_overflow) + " events refused by --max-services");
  }
  if (st.kind == "request")
    kv.add("services", std::to_string(st.services) + " with windows (cap "
                           + num(st.max_services) + ")");
  else
    kv.add("keys", std::to_string(st.services) + " with windows (kind "
                       + st.kind + ", cap " + num(st.max_services) + ")");
  kv.add("partitions", std::to_string(st.assigned) + " assigned, total lag "
                           + num(st.total_lag));
  if (st.stalled > 0)
    kv.add("STALLED", std::to_string(st.stalled)
                          + " partitions have lag and made no progress for "
                            "the stall bound: 'partitions' shows which "
                            "(docs/operations.md, \"Stalled partitions\")");
  auto out = kv.render();
  if (!st.problems.empty())
    out += "\nnot available: " + st.problems + "\n";
  if (st.is_store)
    out += "\n" + format_nodes(st.cluster, st.now_ms);
  if (!st.children.empty()) {
    text_table t{{"ACTOR", "STATE", ">RESTARTS"}};
    for (const auto& c : st.children)
      t.add({c.name, c.alive ? "running" : "restarting",
             num(uint64_t{c.restarts})});
    out += "\n" + t.render();
  }
  return out;
}

std::string format_partitions(const std::vector<console_partition>& xs) {
  if (xs.empty())
    return "no partition assigned yet: the consumer group has not given "
           "this node any (see 'status' and 'vigil doctor')\n";
  text_table t{{">PARTITION", ">NEXT", ">END", ">LAG", "STATE", ">IN FLIGHT",
                ">CHECKPOINTED", "CONSUMER", ">EPOCH", ">NO PROGRESS"}};
  int64_t total = 0;
  size_t paused = 0;
  size_t held = 0;
  size_t stalled = 0;
  for (const auto& p : xs) {
    auto known = p.end_offset >= 0;
    auto lag = known ? std::max<int64_t>(0, p.end_offset - p.next_offset) : 0;
    total += lag;
    paused += p.paused ? 1 : 0;
    held += p.held ? 1 : 0;
    stalled += p.stalled ? 1 : 0;
    t.add({std::to_string(p.partition), num(p.next_offset),
           known ? num(p.end_offset) : "?", known ? num(lag) : "?",
           p.stalled    ? "stalled"
           : p.finished ? "finished"
           : p.held     ? "held"
           : p.paused   ? "paused"
                        : "reading",
           num(uint64_t{p.in_flight}),
           p.checkpointed >= 0 ? num(p.checkpointed) : "-",
           !p.fetched          ? "seeking"
           : p.consumer_paused ? "paused"
                               : "fetching",
           num(p.epoch),
           p.waiting_ms > 0 ? format_duration(p.waiting_ms) : "-"});
  }
  return t.render() + "\n" + std::to_string(xs.size()) + " partitions, "
         + std::to_string(paused) + " paused (backpressure), "
         + (held > 0 ? std::to_string(held) + " held by the operator, " : "")
         + (stalled > 0 ? std::to_string(stalled)
                              + " STALLED (lag without progress; see "
                                "docs/operations.md, \"Stalled partitions\"), "
                        : "")
         + "total lag " + num(total) + "\n";
}

namespace {

/// "0-3,7,9-11".
std::string partition_ranges(const std::vector<int32_t>& xs) {
  std::string out;
  for (size_t i = 0; i < xs.size();) {
    size_t j = i;
    while (j + 1 < xs.size() && xs[j + 1] == xs[j] + 1)
      ++j;
    if (!out.empty())
      out += ",";
    out += std::to_string(xs[i]);
    if (j > i)
      out += "-" + std::to_string(xs[j]);
    i = j + 1;
  }
  return out.empty() ? "-" : out;
}

} // namespace

std::string format_nodes(const cluster_view& view, int64_t now_ms) {
  std::string head = "cluster: generation " + num(view.generation) + ", "
                     + (view.running ? "running" : "HOLDING") + ", "
                     + std::to_string(view.nodes.size()) + " nodes, "
                     + num(view.node_losses) + " lost since start";
  if (view.topic_partitions >= 0)
    head += ", " + std::to_string(view.topic_partitions) + " partitions";
  head += "\n";
  if (!view.unowned.empty())
    head += "partitions without an owner: " + partition_ranges(view.unowned)
            + " (the cluster holds until the consumer group gives them to a "
              "connected ingest node)\n";
  if (view.nodes.empty())
    return head
           + "no ingest node connected: start one with 'vigil run "
             "--role ingest --store HOST:PORT'\n";
  text_table t{{"NODE", "ROLE", "ADDRESS", "PARTITIONS", ">COUNT", ">LAG",
                ">RESTARTS", ">HEARTBEAT", ">JOINED"}};
  for (const auto& n : view.nodes)
    t.add({n.name, n.role, n.address, partition_ranges(n.partitions),
           std::to_string(n.partitions.size()), n.lag >= 0 ? num(n.lag) : "?",
           num(n.restarts), ago(n.last_heartbeat_ms, now_ms),
           ago(n.joined_ms, now_ms)});
  return head + t.render();
}

std::string format_services(const std::vector<window_row>& rows,
                            int64_t now_ms) {
  if (rows.empty())
    return "no windows stored yet (see 'status': are events consumed?)\n";
  text_table t{{"SERVICE", "WINDOW", ">REQUESTS", ">REQ/S", ">ERRORS",
                ">ERROR RATE", ">P95 MS", ">UPDATED"}};
  for (const auto& r : rows) {
    auto secs = static_cast<double>(r.window_end - r.window_start) / 1000.0;
    auto rate = secs > 0 ? static_cast<double>(r.request_count) / secs : 0.0;
    t.add({r.service, format_time(r.window_start), num(r.request_count),
           fixed(rate, 1), num(r.error_count), percent(r.error_rate),
           fixed(r.p95_latency_ms, 1), ago(r.updated_at, now_ms)});
  }
  return t.render() + "\n" + std::to_string(rows.size())
         + " services, latest window each\n";
}

std::string format_kind_value(const std::optional<double>& x) {
  if (!x || !std::isfinite(*x))
    return "-";
  if (std::fabs(*x) < 1e15 && *x == std::floor(*x))
    return fixed(*x, 0);
  return fixed(*x, std::fabs(*x) >= 1000 ? 2 : 4);
}

std::string format_kind_services(const kind_view& view,
                                 const std::vector<kind_window_row>& rows,
                                 int64_t now_ms) {
  if (rows.empty())
    return "no windows stored in " + view.table
           + " yet (see 'status': are events consumed?)\n";
  auto upper = [](std::string x) {
    std::transform(x.begin(), x.end(), x.begin(), [](unsigned char c) {
      return static_cast<char>(std::toupper(c));
    });
    return x;
  };
  auto shown = view.headline_columns(6);
  std::vector<std::string> headers;
  for (const auto& key : view.keys)
    headers.push_back(upper(key));
  for (const char* h : {"WINDOW", ">EVENTS", ">EV/S"})
    headers.emplace_back(h);
  for (auto i : shown)
    headers.push_back(">" + upper(view.columns[i].name));
  headers.emplace_back(">UPDATED");
  text_table t{std::move(headers)};
  for (const auto& r : rows) {
    std::vector<std::string> cells;
    for (size_t k = 0; k < view.keys.size(); ++k)
      cells.push_back(k < r.key_values.size() ? r.key_values[k] : "");
    auto secs = static_cast<double>(r.window_end - r.window_start) / 1000.0;
    auto rate = secs > 0 ? static_cast<double>(r.event_count) / secs : 0.0;
    cells.push_back(format_time(r.window_start));
    cells.push_back(num(r.event_count));
    cells.push_back(fixed(rate, 1));
    for (auto i : shown)
      cells.push_back(
          format_kind_value(i < r.values.size() ? r.values[i] : std::nullopt));
    cells.push_back(ago(r.updated_at, now_ms));
    t.add(std::move(cells));
  }
  std::string keys;
  for (const auto& key : view.keys)
    keys += (keys.empty() ? "" : "|") + key;
  auto out = t.render() + "\n" + std::to_string(rows.size()) + " keys (" + keys
             + ") of kind " + view.kind + ", latest window each\n";
  if (shown.size() < view.columns.size())
    out += std::to_string(view.columns.size() - shown.size())
           + " more value columns in " + view.table
           + " (all of them: GET /api/kind/keys)\n";
  return out;
}

std::string format_incidents(const std::vector<incident_row>& rows,
                             int64_t now_ms) {
  if (rows.empty())
    return "no incidents: no service has had anomalies grouped into one\n";
  text_table t{{"ID", "SERVICE", "SEVERITY", "STARTED", "STATE", ">ANOMALIES"}};
  std::string summaries;
  size_t open = 0;
  for (const auto& r : rows) {
    bool ongoing = r.ended_at == 0;
    open += ongoing ? 1 : 0;
    auto state
        = ongoing
              ? "ongoing for " + format_duration(now_ms - r.started_at)
              : "resolved after " + format_duration(r.ended_at - r.started_at);
    t.add({"#" + num(r.id), r.service, r.severity, format_time(r.started_at),
           state, num(r.anomaly_count)});
    summaries += "#" + num(r.id) + " " + r.summary + "\n";
  }
  return t.render() + "\n" + summaries + std::to_string(open) + " ongoing, "
         + std::to_string(rows.size() - open) + " resolved shown\n";
}

std::string format_anomalies(const std::vector<anomaly_row>& rows,
                             const console_command& cmd) {
  auto of = cmd.service.empty() ? std::string{}
                                : " of service '" + cmd.service + "'";
  if (rows.empty())
    return "no anomalies" + of + "\n";
  text_table t{{"WINDOW", "SERVICE", "METRIC", ">OBSERVED", ">EXPECTED",
                ">SCORE", "SEVERITY", "DETECTOR"}};
  for (const auto& r : rows)
    t.add({format_time(r.window_start), r.service, r.metric,
           fixed(r.observed, 3), fixed(r.expected, 3), fixed(r.score, 2),
           r.severity, r.detector});
  return t.render() + "\n" + std::to_string(rows.size()) + " newest anomalies"
         + of + " (at most " + num(cmd.limit) + ")\n";
}

std::string format_restarts(const std::vector<supervisor_record>& events,
                            uint64_t dropped, int64_t now_ms) {
  if (events.empty())
    return "no supervisor events: no actor has failed since the node "
           "started\n";
  text_table t{{"TIME", ">AGO", "SUPERVISOR", "CHILD", "WHAT", "REASON"}};
  for (const auto& e : events)
    t.add({format_time(e.at_ms), format_duration(now_ms - e.at_ms),
           e.supervisor, e.child, e.what, e.reason});
  auto out = t.render();
  if (dropped > 0)
    out += "\n" + num(dropped) + " older events no longer kept\n";
  return out;
}

std::string format_checkpoints(const std::vector<console_checkpoint>& xs,
                               const std::vector<partition_offset>& offsets,
                               int64_t now_ms) {
  if (xs.empty())
    return "no checkpoint stored yet: a restart would start from --start\n";
  text_table t{{">CHECKPOINT", "COMMITTED", ">AGO", ">STATE BYTES"}};
  for (const auto& c : xs)
    t.add({num(c.id), format_time(c.created_at),
           format_duration(now_ms - c.created_at), num(c.state_bytes)});
  auto out = t.render();
  if (offsets.empty())
    return out + "\nno offsets stored for the topic\n";
  text_table o{{">PARTITION", ">NEXT OFFSET"}};
  for (const auto& p : offsets)
    o.add({std::to_string(p.partition), num(p.next_offset)});
  return out + "\n" + o.render()
         + "\na restart resumes each partition at its next offset\n";
}

} // namespace vigil
