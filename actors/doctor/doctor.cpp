// Judges of `vigil doctor` over gathered facts, the order of the checks, and
// rendering. Probes of the file system, SQLite and /proc are in
// doctor_system.cpp; Kafka gathering is in doctor_kafka.cpp.

#include "actors/doctor/doctor.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <system_error>

#include <nlohmann/json.hpp>

#include "runtime/db_location.hpp"
#include "runtime/timestamp.hpp"

namespace vigil::doctor {

namespace {

constexpr int64_t minute_ms = 60'000;
constexpr int64_t hour_ms = 60 * minute_ms;

/// Longest excerpt of a rejected payload shown as an example.
constexpr size_t example_chars = 120;

check_result make(std::string name, check_result::level status,
                  std::string evidence, std::string fix = {}) {
  return check_result{std::move(name), status, std::move(evidence),
                      std::move(fix)};
}

check_result skipped(std::string name, const std::string& why,
                     const std::string& first) {
  return make(std::move(name), check_result::warn, "not checked: " + why,
              "fix " + first + " first, then run vigil doctor again");
}

std::string plural(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

/// A duration for humans: "350 ms", "12.4 s", "5.2 min", "3.1 h", "2.0 d".
std::string human_duration(int64_t ms) {
  char buf[64];
  auto a = static_cast<double>(ms < 0 ? -ms : ms);
  if (a < 1000)
    std::snprintf(buf, sizeof(buf), "%lld ms", static_cast<long long>(a));
  else if (a < minute_ms)
    std::snprintf(buf, sizeof(buf), "%.1f s", a / 1000);
  else if (a < hour_ms)
    std::snprintf(buf, sizeof(buf), "%.1f min", a / minute_ms);
  else if (a < 48 * hour_ms)
    std::snprintf(buf, sizeof(buf), "%.1f h", a / hour_ms);
  else
    std::snprintf(buf, sizeof(buf), "%.1f d", a / (24 * hour_ms));
  return buf;
}

/// A payload excerpt safe to print on one line.
std::string excerpt(const std::string& payload) {
  std::string out;
  for (char c : payload.substr(0, example_chars)) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (payload.size() > example_chars)
    out += "...";
  return out;
}

std::string dlq_name(const node_config& cfg) {
  return cfg.dlq_topic.empty() ? cfg.topic + ".dlq" : cfg.dlq_topic;
}

int64_t messages_in(const partition_state& p) {
  return p.low >= 0 && p.high > p.low ? p.high - p.low : 0;
}

const partition_state* find_partition(const topic_probe& topic, int32_t id) {
  for (const auto& p : topic.partitions)
    if (p.partition == id)
      return &p;
  return nullptr;
}

} // namespace

// -- results ------------------------------------------------------------------

const char* to_string(check_result::level status) noexcept {
  switch (status) {
  case check_result::ok:
    return "ok";
  case check_result::warn:
    return "warn";
  case check_result::fail:
    return "fail";
  }
  return "fail";
}

std::string render_text(const std::vector<check_result>& results) {
  std::string out;
  std::array<int, 3> counts{0, 0, 0};
  for (const auto& r : results) {
    ++counts[static_cast<size_t>(r.status)];
    const char* tag = r.status == check_result::ok     ? "OK    "
                      : r.status == check_result::warn ? "WARN  "
                                                       : "FAIL  ";
    out += tag + r.name + ": " + r.evidence + "\n";
    if (r.status != check_result::ok && !r.fix.empty())
      out += "      fix: " + r.fix + "\n";
  }
  out += "doctor: " + std::to_string(counts[0]) + " ok, "
         + std::to_string(counts[1]) + " warn, " + std::to_string(counts[2])
         + " fail\n";
  return out;
}

std::string render_json(const std::vector<check_result>& results) {
  auto checks = nlohmann::json::array();
  for (const auto& r : results)
    checks.push_back({{"name", r.name},
                      {"status", to_string(r.status)},
                      {"evidence", r.evidence},
                      {"fix", r.fix}});
  nlohmann::json doc{{"checks", std::move(checks)},
                     {"ok", exit_status(results) == 0}};
  // Payload excerpts may hold invalid UTF-8: replace it rather than throw.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
         + "\n";
}

int exit_status(const std::vector<check_result>& results) noexcept {
  for (const auto& r : results)
    if (r.status == check_result::fail)
      return 1;
  return 0;
}

// -- kafka judges
// ---------------------------------------------------------------

check_result check_broker_reachable(const broker_probe& probe) {
  const std::string name = "broker_reachable";
  if (probe.error.empty())
    return make(
        name, check_result::ok,
        probe.bootstrap + " answered a metadata request in "
            + human_duration(probe.elapsed.count()) + ": "
            + plural(static_cast<int64_t>(probe.brokers), "broker", "brokers")
            + ", "
            + plural(static_cast<int64_t>(probe.topics.size()), "topic",
                     "topics"));
  return make(name, check_result::fail,
              "no metadata from " + probe.bootstrap + " within "
                  + human_duration(probe.timeout.count()) + ": " + probe.error,
              "check --brokers / VIGIL_BROKERS (now " + probe.bootstrap
                  + ") and that the broker runs (`vigil broker`, or `docker "
                    "compose up kafka`); from the host use the advertised "
                    "listener (e.g. localhost:29092), inside containers the "
                    "internal one (kafka:9092); test with `kcat -b "
                  + probe.bootstrap + " -L`");
}

check_result check_topic_exists(const topic_probe& topic,
                                const broker_probe& broker) {
  const std::string name = "topic_exists";
  if (!broker.error.empty())
    return skipped(name, "the broker is unreachable", "broker_reachable");
  if (!topic.exists) {
    std::string listed;
    for (const auto& t : broker.topics)
      if (t.rfind("__", 0) != 0)
        listed += (listed.empty() ? "" : ", ") + t;
    return make(name, check_result::fail,
                "topic " + topic.name + " does not exist on " + broker.bootstrap
                    + " (topics there: "
                    + (listed.empty() ? std::string{"none"} : listed) + ")",
                "create it: `kafka-topics --bootstrap-server "
                    + broker.bootstrap + " --create --topic " + topic.name
                    + " --partitions 8` (embedded broker: `vigil broker "
                      "--topic "
                    + topic.name
                    + " --partitions 8`), or set --topic / VIGIL_TOPIC to "
                      "the topic the producers write");
  }
  int64_t messages = 0;
  for (const auto& p : topic.partitions)
    messages += messages_in(p);
  auto evidence = topic.name + ": "
                  + plural(static_cast<int64_t>(topic.partitions.size()),
                           "partition", "partitions")
                  + ", " + plural(messages, "message", "messages")
                  + " retained";
  if (!topic.error.empty())
    return make(name, check_result::warn, evidence + "; " + topic.error,
                "the partition leaders did not answer in time: check broker "
                "health (`kcat -b "
                    + broker.bootstrap + " -L`) and raise --timeout");
  if (messages == 0)
    return make(name, check_result::warn,
                evidence + ": nothing was produced (or retention removed it)",
                "check that the producers write to " + topic.name + " on "
                    + broker.bootstrap + ": `kcat -b " + broker.bootstrap
                    + " -t " + topic.name
                    + " -C -o -5 -e`; for test data run `vigil generate "
                      "--brokers "
                    + broker.bootstrap + " --topic " + topic.name + "`");
  return make(name, check_result::ok, evidence);
}

check_result
check_consumer_offsets(const topic_probe& topic, const node_config& cfg,
                       const std::vector<checkpoint_position>& cp) {
  const std::string name = "consumer_offsets";
  std::map<int32_t, int64_t> stored;
  for (const auto& c : cp)
    stored[c.partition] = c.next_offset;
  int64_t messages = 0;
  int64_t lag = 0;
  int64_t with_messages = 0;
  int64_t committed_parts = 0;
  int64_t at_end = 0;
  int64_t latest_skipped = 0;
  int64_t latest_parts = 0;
  for (const auto& p : topic.partitions) {
    auto n = messages_in(p);
    messages += n;
    if (p.committed >= 0) {
      ++committed_parts;
      lag += std::max<int64_t>(0, p.high - std::max(p.committed, p.low));
    }
    if (n == 0)
      continue;
    ++with_messages;
    if (p.committed >= p.high)
      ++at_end;
    if (cfg.start == "latest" && stored.count(p.partition) == 0) {
      ++latest_parts;
      latest_skipped += n;
    }
  }
  auto parts = static_cast<int64_t>(topic.partitions.size());
  std::string evidence
      = committed_parts == 0
            ? "group " + cfg.group + " has no committed offsets on "
                  + plural(parts, "partition", "partitions") + " (lag unknown)"
            : "group " + cfg.group + ": total lag "
                  + plural(lag, "message", "messages")
                  + " (sum of high - committed) over "
                  + std::to_string(committed_parts) + " of "
                  + plural(parts, "partition", "partitions")
                  + " with committed offsets";
  evidence += "; this database has a checkpoint for "
              + plural(static_cast<int64_t>(stored.size()), "partition",
                       "partitions");
  const std::string reset = "kafka-consumer-groups --bootstrap-server "
                            + cfg.brokers + " --group " + cfg.group
                            + " --topic " + cfg.topic
                            + " --reset-offsets --to-earliest --execute";
  if (with_messages > 0 && at_end == with_messages && stored.empty())
    return make(name, check_result::warn,
                "offsets at end: a new node in this group starts past all "
                    + std::to_string(messages)
                    + " messages (the empty micro-batches symptom): it "
                      "committed the end offset of every partition holding "
                      "messages; "
                    + evidence,
                "to read the retained messages with this group, stop its "
                "consumers and reset it: `"
                    + reset
                    + "`; note that `vigil run` positions each partition "
                      "from its checkpoint in the database and uses "
                      "`--start earliest` only for partitions without a "
                      "checkpoint");
  if (latest_parts > 0)
    return make(name, check_result::warn,
                "--start latest: "
                    + plural(latest_parts, "partition", "partitions")
                    + " without a checkpoint would start at the end, "
                      "skipping "
                    + plural(latest_skipped, "message", "messages")
                    + " already in " + cfg.topic + "; " + evidence,
                "use --start earliest (the default; VIGIL_START=earliest) "
                "so a new node reads what is already in the topic; --start "
                "applies only to partitions without a checkpoint");
  return make(name, check_result::ok, evidence);
}

check_result check_event_contract(const std::vector<sampled_message>& samples,
                                  const node_config& cfg,
                                  size_t partitions_sampled) {
  const std::string name = "event_contract";
  if (samples.empty())
    return make(name, check_result::ok,
                "no messages to sample in " + cfg.topic);
  parse_limits limits;
  limits.max_bytes = static_cast<size_t>(cfg.max_event_bytes);
  std::map<std::string, int64_t> reasons;
  std::string example;
  int64_t valid = 0;
  int64_t repaired = 0;
  std::string repaired_example;
  for (const auto& s : samples) {
    request_event ev;
    auto outcome = parse_request_event(s.payload, ev, limits);
    if (outcome.ok) {
      ++valid;
      if (outcome.repaired) {
        ++repaired;
        if (repaired_example.empty())
          repaired_example = excerpt(s.payload);
      }
      continue;
    }
    ++reasons[to_string(outcome.reason)];
    if (example.empty())
      example = "p" + std::to_string(s.partition) + "@"
                + std::to_string(s.offset) + " (" + to_string(outcome.reason)
                + "): " + excerpt(s.payload);
  }
  auto total = static_cast<int64_t>(samples.size());
  auto rejected = total - valid;
  std::string evidence = "sampled " + plural(total, "message", "messages")
                         + " from "
                         + plural(static_cast<int64_t>(partitions_sampled),
                                  "partition", "partitions")
                         + ": " + std::to_string(valid) + " valid, "
                         + std::to_string(rejected) + " rejected";
  if (rejected > 0) {
    std::string counts;
    for (const auto& [reason, n] : reasons)
      counts += (counts.empty() ? "" : ", ") + reason + " " + std::to_string(n);
    evidence += " (" + counts + "), e.g. " + example;
  }
  const std::string contract
      = "make the producer follow docs/events.md (timestamp RFC 3339 or "
        "epoch ms, service string, status_code integer 100..599, "
        "latency_ms number >= 0); rejected events are counted in "
        "vigil_events_invalid_total{reason} and kept in "
        + dlq_name(cfg) + " with the reason in header vigil.reason: `kcat -b "
        + cfg.brokers + " -t " + dlq_name(cfg) + " -C -e -f '%h %s\\n'`";
  if (valid == 0)
    return make(name, check_result::fail,
                "every sampled message is rejected (schema drift?): "
                    + evidence,
                contract);
  std::string fix;
  if (repaired > 0) {
    evidence += "; "
                + (repaired == 1 ? std::string{"1 event carries"}
                                 : std::to_string(repaired) + " events carry")
                + " the double zone marker +00:00Z (accepted "
                  "and counted as repaired), e.g. "
                + repaired_example;
    fix = "fix the producer: Python's "
          "datetime.now(timezone.utc).isoformat() already ends in +00:00, "
          "so do not append 'Z' (use .isoformat().replace('+00:00', 'Z'))";
  }
  if (rejected > 0)
    fix += (fix.empty() ? "" : "; ") + contract;
  if (fix.empty())
    return make(name, check_result::ok, evidence);
  return make(name, check_result::warn, evidence, fix);
}

check_result
check_checkpoint_retention(const topic_probe& topic,
                           const std::vector<checkpoint_position>& cp,
                           const std::string& db_path, bool db_readable,
                           const std::string& bootstrap) {
  const std::string name = "checkpoint_retention";
  if (!db_readable)
    return skipped(name,
                   "the checkpoints in " + redact_db_url(db_path)
                       + " cannot be read",
                   "database");
  if (cp.empty())
    return make(name, check_result::ok,
                "no checkpoint for " + topic.name + " in "
                    + redact_db_url(db_path)
                    + " yet: a new node starts at --start");
  int64_t lost = 0;
  std::string lost_parts;
  std::string beyond_parts;
  int64_t behind = 0;
  for (const auto& c : cp) {
    const auto* p = find_partition(topic, c.partition);
    auto id = "p" + std::to_string(c.partition);
    if (p == nullptr) {
      beyond_parts += (beyond_parts.empty() ? "" : "; ") + id
                      + ": checkpointed but the topic has no such partition";
      continue;
    }
    if (p->low < 0 || p->high < 0)
      continue;
    if (c.next_offset < p->low) {
      lost += p->low - c.next_offset;
      lost_parts += (lost_parts.empty() ? "" : "; ") + id + ": checkpoint at "
                    + std::to_string(c.next_offset) + ", log starts at "
                    + std::to_string(p->low) + ", "
                    + std::to_string(p->low - c.next_offset) + " lost";
    } else if (c.next_offset > p->high) {
      beyond_parts += (beyond_parts.empty() ? "" : "; ") + id
                      + ": checkpoint at " + std::to_string(c.next_offset)
                      + " beyond the log end " + std::to_string(p->high);
    } else {
      behind += p->high - c.next_offset;
    }
  }
  if (!lost_parts.empty() || !beyond_parts.empty()) {
    std::string evidence;
    std::string fix;
    if (!lost_parts.empty()) {
      evidence = plural(lost, "offset", "offsets") + " of " + topic.name
                 + " lost to retention between checkpoints (" + lost_parts
                 + ")";
      fix = "those events were deleted by the broker's retention "
            "(retention.ms / retention.bytes; the embedded broker keeps "
            "about 5 MiB per partition) before the node processed them and "
            "cannot be recovered from Kafka: raise the topic's retention "
            "(`kafka-configs --bootstrap-server "
            + bootstrap + " --alter --entity-type topics --entity-name "
            + topic.name
            + " --add-config retention.ms=...`), keep "
              "vigil_consumer_lag_messages well below it, and re-send the "
              "lost range from the source if it must be counted";
    }
    if (!beyond_parts.empty()) {
      evidence += (evidence.empty() ? "" : "; ") + topic.name
                  + " was recreated (" + beyond_parts + ")";
      fix += (fix.empty() ? "" : "; ")
             + std::string{"the stored positions belong to the old topic: "
                           "with the node stopped run `sqlite3 "}
             + redact_db_url(db_path)
             + " \"DELETE FROM checkpoint_offsets WHERE topic='" + topic.name
             + "'\"` and restart (partitions then start at " + "--start)";
    }
    return make(name, check_result::fail, evidence, fix);
  }
  return make(
      name, check_result::ok,
      "checkpoint of " + topic.name + " lies within the log on "
          + plural(static_cast<int64_t>(cp.size()), "partition", "partitions")
          + ", " + plural(behind, "message", "messages")
          + " behind the log end");
}

check_result check_clock_skew(const std::vector<sampled_message>& samples,
                              const node_config& cfg, int64_t now_ms) {
  const std::string name = "clock_skew";
  parse_limits limits;
  limits.max_bytes = static_cast<size_t>(cfg.max_event_bytes);
  std::vector<int64_t> delays; // broker time - event time
  int64_t newest_event = INT64_MIN;
  int64_t newest_broker = INT64_MIN;
  int64_t valid = 0;
  for (const auto& s : samples) {
    request_event ev;
    if (!parse_request_event(s.payload, ev, limits).ok)
      continue;
    ++valid;
    newest_event = std::max(newest_event, ev.time_ms);
    if (s.broker_time_ms >= 0) {
      delays.push_back(s.broker_time_ms - ev.time_ms);
      newest_broker = std::max(newest_broker, s.broker_time_ms);
    }
  }
  if (valid == 0)
    return make(name, check_result::ok,
                "no valid events sampled: nothing to compare");
  auto ahead = newest_event - now_ms;
  std::string evidence
      = plural(valid, "valid event", "valid events") + ": newest event time "
        + format_utc(newest_event, "%Y-%m-%dT%H:%M:%SZ") + ", "
        + human_duration(ahead) + (ahead > 0 ? " ahead of" : " behind")
        + " this host's clock";
  int64_t median = 0;
  if (!delays.empty()) {
    std::sort(delays.begin(), delays.end());
    median = delays[delays.size() / 2];
    evidence += "; median delay from event time to Kafka timestamp "
                + std::string{median < 0 ? "-" : ""} + human_duration(median)
                + " over " + std::to_string(delays.size()) + " messages";
  }
  if (ahead > 5 * minute_ms)
    return make(name, check_result::warn,
                evidence + " (more than 5 min in the future)",
                "sync the producer hosts' clocks (chrony/NTP) and send UTC "
                "with an explicit zone: events from the future push the "
                "watermark ahead, so on-time events become too_late "
                "(vigil_events_invalid_total{reason=\"too_late\"})");
  if (!delays.empty() && median > hour_ms && now_ms - newest_broker < hour_ms)
    return make(name, check_result::warn,
                evidence + " (messages written within the last hour carry "
                    + "event times hours old)",
                "a producer's clock is behind or it labels local time as "
                "UTC (a zone bug): its windows are already final, so the "
                "events count as too_late; fix the producer's clock or zone. "
                "For a deliberate backfill run `vigil run --drain`");
  return make(name, check_result::ok, evidence);
}

// -- running ------------------------------------------------------------------

std::vector<check_result> run_checks(const doctor_options& opts) {
  const auto& cfg = opts.node;
  std::vector<check_result> results;
  auto cwd = opts.cwd;
  if (cwd.empty()) {
    std::error_code ec;
    cwd = std::filesystem::current_path(ec).string();
  }
  results.push_back(check_config_paths(cfg.db, cwd));
  auto kf = gather_kafka(opts);
  results.push_back(check_broker_reachable(kf.broker));
  bool readable = true;
  auto cp = read_checkpoints(cfg.db, cfg.topic, readable);
  bool broker_ok = kf.broker.error.empty();
  bool topic_ok = broker_ok && kf.topic.exists;
  results.push_back(check_topic_exists(kf.topic, kf.broker));
  auto needs_topic = [&](const char* check) {
    return broker_ok ? skipped(check, "topic " + cfg.topic + " does not exist",
                               "topic_exists")
                     : skipped(check, "the broker is unreachable",
                               "broker_reachable");
  };
  if (topic_ok) {
    results.push_back(check_consumer_offsets(kf.topic, cfg, cp));
    if (opts.sample == 0)
      results.push_back(
          make("event_contract", check_result::ok, "not sampled (--sample 0)"));
    else
      results.push_back(
          check_event_contract(kf.samples, cfg, kf.partitions_sampled));
  } else {
    results.push_back(needs_topic("consumer_offsets"));
    results.push_back(needs_topic("event_contract"));
  }
  results.push_back(check_database(cfg.db, opts.proc_root));
  if (topic_ok)
    results.push_back(check_checkpoint_retention(kf.topic, cp, cfg.db, readable,
                                                 cfg.brokers));
  else
    results.push_back(needs_topic("checkpoint_retention"));
  results.push_back(
      check_ports({{"http", "--http-port", opts.http_port},
                   {"console", "--console-port", opts.console_port}},
                  opts.proc_root));
  if (opts.http_port != 0)
    results.push_back(
        check_running_node(probe_running_node(cfg.http_host, opts.http_port)));
  else
    results.push_back(make("running_node", check_result::ok,
                           "not checked (--http-port 0: no address to ask)"));
  if (topic_ok) {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    results.push_back(check_clock_skew(kf.samples, cfg, now));
  } else {
    results.push_back(needs_topic("clock_skew"));
  }
  results.push_back(check_cluster(probe_cluster(cfg, opts.timeout)));
  results.push_back(check_certificates(
      {cfg.tls_ca, cfg.tls_cert, cfg.tls_key},
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count()));
  return results;
}

} // namespace vigil::doctor
