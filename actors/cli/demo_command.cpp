#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <unistd.h>

#include "actors/cli/commands.hpp"
#include "actors/cli/signals.hpp"
#include "actors/generator/generator.hpp"
#include "actors/node/metrics.hpp"
#include "actors/node/node.hpp"
#include "actors/node/node_http.hpp"
#include "runtime/db_location.hpp"
#include "runtime/embedded_broker.hpp"
#include "runtime/options.hpp"

namespace vigil {

namespace {

/// The demo's incident schedule: an error spike on one service and a latency
/// spike on another, repeating every `period_s`, for a day.
std::vector<incident> demo_incidents(uint64_t first_s, uint64_t period_s,
                                     size_t services) {
  std::vector<incident> out;
  if (period_s == 0 || services < 3)
    return out;
  for (uint64_t t = first_s; t < 86400; t += period_s) {
    out.push_back({event_generator::service_name(1), incident_kind::errors,
                   static_cast<double>(t), 60.0});
    out.push_back({event_generator::service_name(2), incident_kind::latency,
                   static_cast<double>(t + 90), 60.0});
  }
  return out;
}

/// The demo's fault schedule of a sensor or trade stream: a sensor drifting
/// out of its pH band, or an 8 % price spike, every `period_s`.
std::vector<fault> demo_faults(event_kind kind, uint64_t first_s,
                               uint64_t period_s) {
  std::vector<fault> out;
  if (period_s == 0)
    return out;
  for (uint64_t t = first_s; t < 86400; t += period_s) {
    auto spec = kind == event_kind::sensor
                    ? "sensor-0003:drift:" + std::to_string(t) + ":120:ph"
                    : "SYM0002:spike:" + std::to_string(t) + ":30:8";
    if (auto f = parse_fault(spec, kind))
      out.push_back(*f);
  }
  return out;
}

} // namespace

int run_demo_command(int argc, char** argv) {
  node_config cfg;
  uint64_t rate = 200;
  uint64_t services = 8;
  uint64_t partitions = 8;
  uint64_t seed = 1;
  std::chrono::milliseconds history{std::chrono::minutes(3)};
  std::chrono::milliseconds first_incident{std::chrono::seconds(45)};
  std::chrono::milliseconds incident_every{std::chrono::minutes(5)};
  option_set opts{"demo"};
  opts.add("db",
           "SQLite database file, or PostgreSQL URL "
           "postgresql://user[:pass]@host[:port]/dbname",
           &cfg.db);
  opts.add("http-host", "address of the HTTP server", &cfg.http_host);
  opts.add("http-port", "port of the HTTP server (0 = any free port)",
           &cfg.http_port);
  opts.add("console-host", "address of the operator console endpoint",
           &cfg.console_host);
  opts.add("console-port",
           "port of the operator console endpoint (0 = any free port)",
           &cfg.console_port);
  opts.add("rate", "generated events per second", &rate);
  opts.add("services", "number of services (at least 3 for incidents)",
           &services);
  opts.add("partitions", "partitions of the raw_events topic", &partitions);
  opts.add("seed", "generator seed", &seed);
  opts.add("history",
           "event time of history generated at start (warms up the detector)",
           &history);
  opts.add("first-incident", "when the first incident starts", &first_incident);
  opts.add("incident-every", "period of the incident schedule (0 = none)",
           &incident_every);
  opts.add("window", "tumbling window size", &cfg.window);
  opts.add("kind",
           "event kind: request, sensor (readings of 16 sensors) or "
           "trade (trades of 20 symbols)",
           &cfg.kind);
  auto err = opts.parse(argc - 1, argv + 1, environ);
  if (opts.help_requested) {
    std::fputs(opts.help().c_str(), stdout);
    return 0;
  }
  if (err.empty() && (rate == 0 || services == 0 || partitions == 0))
    err = "--rate, --services and --partitions must be at least 1";
  event_kind kind = event_kind::request;
  if (err.empty()) {
    if (cfg.kind == "sensor")
      kind = event_kind::sensor;
    else if (cfg.kind == "trade")
      kind = event_kind::trade;
    else if (cfg.kind != "request")
      err = "--kind must be request, sensor or trade (got '" + cfg.kind
            + "'); other declared kinds run with vigil run --kind PATH";
  }
  if (err.empty())
    err = db_setting_error(cfg.db);
  if (!err.empty()) {
    std::fprintf(stderr, "vigil demo: %s\n", err.c_str());
    return 2;
  }
  install_stop_signals();

  broker_options bo;
  bo.topics.push_back({cfg.topic, static_cast<int32_t>(partitions)});
  bo.topics.push_back({cfg.topic + ".dlq", 1});
  auto broker = embedded_broker::start(bo);
  if (!broker) {
    std::fprintf(stderr, "vigil demo: cannot start the embedded broker: %s\n",
                 broker.error().c_str());
    return 1;
  }
  cfg.brokers = broker.value().bootstrap();
  // One registry: the generator's counters appear on the node's /metrics.
  cfg.metrics = std::make_shared<metric_factory>(node_label_sets());

  generate_options gen;
  gen.metrics = cfg.metrics;
  gen.brokers = cfg.brokers;
  gen.topic = cfg.topic;
  gen.services = services;
  gen.kind = kind;
  gen.seed = seed;
  gen.verbose = false;
  // History first, as fast as possible, so the detector has a baseline.
  auto now = wall_clock_ms();
  auto history_s = static_cast<uint64_t>(history.count() / 1000);
  std::atomic<bool> gen_stop{false};
  if (history_s > 0 && kind == event_kind::request) {
    auto backfill = gen;
    backfill.rate = 0;
    backfill.nominal_rate = static_cast<double>(rate);
    backfill.count = history_s * rate;
    backfill.start_ms = now - static_cast<int64_t>(history_s) * 1000;
    generate_report report;
    if (run_generator(backfill, gen_stop, &report) != 0) {
      std::fprintf(stderr, "vigil demo: generating history failed: %s\n",
                   report.error.c_str());
      return 1;
    }
  }
  auto live = gen;
  live.rate = static_cast<double>(rate);
  live.seed = seed + 1;
  if (kind != event_kind::request) {
    // Sensors and prices have state: one generator writes the history and
    // goes on live from where it ended.
    live.seed = seed;
    live.backfill = history_s * rate;
    live.start_ms = now - static_cast<int64_t>(history_s) * 1000;
  }
  if (kind == event_kind::request)
    live.incidents = demo_incidents(
        static_cast<uint64_t>(first_incident.count() / 1000),
        static_cast<uint64_t>(incident_every.count() / 1000), services);
  else
    // Fault times count from the generator's start, the history's.
    live.faults = demo_faults(
        kind, history_s + static_cast<uint64_t>(first_incident.count() / 1000),
        static_cast<uint64_t>(incident_every.count() / 1000));
  int gen_rc = 0;
  generate_report live_report;
  std::thread generator{
      [&] { gen_rc = run_generator(live, gen_stop, &live_report); }};

  // How to look at the results, in the database's own client; the password
  // of a PostgreSQL URL is never printed.
  auto shown = redact_db_url(cfg.db);
  std::string look;
  if (is_postgres_url(cfg.db))
    look = "  psql '" + shown
           + "' -c \"SELECT service, window_start, request_count, "
             "error_count, round(error_rate::numeric,3), "
             "round(p95_latency_ms::numeric,1) FROM service_metrics ORDER BY "
             "window_start DESC LIMIT 16\"\n"
             "  psql '"
           + shown
           + "' -c \"SELECT service, window_start, metric, severity FROM "
             "anomalies ORDER BY window_start DESC LIMIT 10\"\n";
  else
    look = "  sqlite3 -readonly " + cfg.db
           + " \"SELECT service, datetime(window_start/1000, 'unixepoch') AS "
             "w, request_count, error_count, round(error_rate,3), "
             "round(p95_latency_ms,1) FROM service_metrics ORDER BY "
             "window_start DESC LIMIT 16\"\n"
             "  sqlite3 -readonly "
           + cfg.db
           + " \"SELECT service, datetime(window_start/1000, 'unixepoch'), "
             "metric, round(observed,3), round(expected,3), severity FROM "
             "anomalies ORDER BY window_start DESC LIMIT 10\"\n";
  if (kind != event_kind::request) {
    auto table
        = kind == event_kind::sensor ? "sensor_metrics" : "trade_candles";
    auto columns = kind == event_kind::sensor
                       ? "sensor_id, site, event_count, ph_mean, ph_max, "
                         "temperature_c_mean, humidity_pct_mean, ec_ms_cm_mean"
                       : "symbol, exchange, event_count, price_open, "
                         "price_high, price_low, price_close, price_vwap, "
                         "size_sum";
    auto client = is_postgres_url(cfg.db)
                      ? "  psql '" + shown + "' -c \""
                      : "  sqlite3 -readonly " + cfg.db + " \"";
    look = client + "SELECT " + columns + " FROM " + table
           + " ORDER BY window_start DESC LIMIT 16\"\n" + client
           + "SELECT service, window_start, metric, detector, observed, "
             "expected, severity FROM anomalies ORDER BY window_start DESC "
             "LIMIT 10\"\n";
  }
  auto first_s = static_cast<long long>(first_incident.count() / 1000);
  auto every_s = static_cast<long long>(incident_every.count() / 1000);
  std::string stream;
  if (kind == event_kind::request)
    stream = std::to_string(rate) + " events/s over " + std::to_string(services)
             + " services; " + std::to_string(history_s)
             + " s of history;\n             incidents: errors on '"
             + (services >= 3 ? event_generator::service_name(1) : "-")
             + "' at +" + std::to_string(first_s) + "s, latency on '"
             + (services >= 3 ? event_generator::service_name(2) : "-")
             + "' at +" + std::to_string(first_s + 90) + "s, every "
             + std::to_string(every_s) + "s";
  else
    stream = std::to_string(rate)
             + (kind == event_kind::sensor ? " readings/s of 16 sensors; "
                                           : " trades/s of 20 symbols; ")
             + std::to_string(history_s) + " s of history;\n             "
             + (kind == event_kind::sensor
                    ? "faults: sensor-0003's pH drifts out of its band"
                    : "faults: SYM0002 jumps 8 %")
             + " at +" + std::to_string(first_s) + "s, every "
             + std::to_string(every_s) + "s";
  std::printf(
      "vigil demo is running (Ctrl-C stops it)\n"
      "  broker     %s (topics %s with %llu partitions, %s.dlq)\n"
      "  generator  %s\n"
      "  database   %s (%s windows of %llds; rows appear within seconds)\n\n"
      "Look at it:\n"
      "%s"
      "  kcat -b %s -t %s -C -o -5 -e\n\n",
      cfg.brokers.c_str(), cfg.topic.c_str(),
      static_cast<unsigned long long>(partitions), cfg.topic.c_str(),
      stream.c_str(), shown.c_str(), cfg.kind.c_str(),
      static_cast<long long>(cfg.window.count() / 1000), look.c_str(),
      cfg.brokers.c_str(), cfg.topic.c_str());
  std::fflush(stdout);

  auto rc = run_node(cfg, stop_requested);
  gen_stop = true;
  generator.join();
  if (rc == 0 && gen_rc != 0)
    std::fprintf(stderr, "vigil demo: generator failed: %s\n",
                 live_report.error.c_str());
  std::fprintf(stderr, "vigil demo: stopped\n");
  return rc != 0 ? rc : gen_rc;
}

} // namespace vigil
