#include "actors/generator/generator.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <utility>

#include "actors/generator/sensor_generator.hpp"
#include "actors/generator/trade_generator.hpp"
#include "actors/ingest/line_reader.hpp"
#include "actors/node/metrics.hpp"
#include "runtime/kafka.hpp"

namespace vigil {

namespace {

using steady = std::chrono::steady_clock;

/// Checks settings that the flag parser may not have seen (demo use).
status validate(const generate_options& opts) {
  if (!(opts.rate >= 0))
    return make_error_text("the rate must be >= 0 events per second");
  if (!(opts.nominal_rate > 0))
    return make_error_text("the nominal rate must be > 0 events per second");
  if (opts.services < 1 || opts.sensors < 1 || opts.symbols < 1)
    return make_error_text("at least 1 service, sensor and symbol is needed");
  if (opts.kind != event_kind::request)
    return check_fault_targets(opts.kind, opts.faults,
                               opts.kind == event_kind::sensor ? opts.sensors
                                                               : opts.symbols);
  for (const auto& inc : opts.incidents) {
    bool known = false;
    for (size_t i = 0; i < opts.services && !known; ++i)
      known = event_generator::service_name(i) == inc.service;
    if (!known)
      return make_error_text(
          "incident on unknown service '" + inc.service + "'; with "
          + std::to_string(opts.services) + " services the names are "
          + event_generator::service_name(0) + " ... "
          + event_generator::service_name(opts.services - 1));
  }
  return {};
}

/// Adds the generator's progress since the last call to its metrics.
class generator_metrics {
public:
  explicit generator_metrics(std::shared_ptr<metric_factory> metrics)
      : metrics_(std::move(metrics)) {
    // nop
  }

  /// Publishes `sent` messages and `failed` delivery failures (totals).
  void update(uint64_t sent, uint64_t failed) {
    if (!metrics_)
      return;
    if (sent > sent_)
      metrics_->generator_messages_sent().Increment(
          static_cast<double>(sent - sent_));
    if (failed > failed_)
      metrics_->generator_delivery_failures().Increment(
          static_cast<double>(failed - failed_));
    sent_ = std::max(sent_, sent);
    failed_ = std::max(failed_, failed);
  }

private:
  std::shared_ptr<metric_factory> metrics_;
  uint64_t sent_ = 0;
  uint64_t failed_ = 0;
};

/// The messages of one kind, at given event times.
class message_source {
public:
  virtual ~message_source() = default;

  /// Nominal event time of message `i`.
  virtual int64_t nominal_time_ms(uint64_t i) const = 0;

  /// Sets the text and key (empty: none) of message `i` at `base_time_ms`.
  virtual void next(uint64_t i, int64_t base_time_ms, std::string& payload,
                    std::string& key)
      = 0;
};

/// Request events (with --malformed-every), keyless.
class request_source : public message_source {
public:
  request_source(generator_config settings, uint64_t malformed_every)
      : gen_(std::move(settings)), malformed_every_(malformed_every) {
    // nop
  }

  int64_t nominal_time_ms(uint64_t i) const override {
    return gen_.nominal_time_ms(i);
  }

  void next(uint64_t i, int64_t base_time_ms, std::string& payload,
            std::string& key) override {
    gen_.next(event_, base_time_ms);
    if (malformed_every_ > 0 && (i + 1) % malformed_every_ == 0)
      payload = malformed_json(i / malformed_every_, event_.core.time_ms).json;
    else
      payload = to_json(event_);
    key.clear();
  }

private:
  event_generator gen_;
  uint64_t malformed_every_;
  generated_event event_;
};

/// Sensor readings or trades, keyed by sensor id or symbol.
template <class Generator>
class keyed_source : public message_source {
public:
  template <class Config>
  explicit keyed_source(Config settings) : gen_(std::move(settings)) {
    // nop
  }

  int64_t nominal_time_ms(uint64_t i) const override {
    return gen_.nominal_time_ms(i);
  }

  void next(uint64_t, int64_t base_time_ms, std::string& payload,
            std::string& key) override {
    gen_.next(message_, base_time_ms);
    payload.swap(message_.json);
    key.swap(message_.key);
  }

private:
  Generator gen_;
  generated_message message_;
};

std::unique_ptr<message_source> make_source(const generate_options& opts,
                                            int64_t start_ms) {
  double rate = opts.rate > 0 ? opts.rate : opts.nominal_rate;
  switch (opts.kind) {
  case event_kind::sensor: {
    sensor_config settings;
    settings.sensors = opts.sensors;
    settings.faults = opts.faults;
    settings.start_ms = start_ms;
    settings.rate = rate;
    settings.malformed_every = opts.malformed_every;
    settings.seed = opts.seed;
    return std::make_unique<keyed_source<sensor_generator>>(settings);
  }
  case event_kind::trade: {
    trade_config settings;
    settings.symbols = opts.symbols;
    settings.faults = opts.faults;
    settings.start_ms = start_ms;
    settings.rate = rate;
    settings.malformed_every = opts.malformed_every;
    settings.seed = opts.seed;
    return std::make_unique<keyed_source<trade_generator>>(settings);
  }
  case event_kind::request:
    break;
  }
  generator_config settings;
  settings.services = opts.services;
  settings.incidents = opts.incidents;
  settings.start_ms = start_ms;
  settings.rate = rate;
  settings.seed = opts.seed;
  return std::make_unique<request_source>(settings, opts.malformed_every);
}

/// Where the messages go.
class message_sink {
public:
  virtual ~message_sink() = default;

  /// Sends message `i`.
  virtual status send(uint64_t i, const std::string& key,
                      const std::string& payload)
      = 0;

  /// Waits about `d` (serving the sink meanwhile).
  virtual void wait(std::chrono::milliseconds d) = 0;

  /// Called every 256 messages: serves the sink, publishes progress.
  virtual void tick(uint64_t generated) = 0;

  /// Finishes; sets delivered, failed and (if empty) error of `result`.
  virtual void finish(generate_report& result) = 0;
};

/// Produces to Kafka: request events round-robin, keyed events to the
/// partition of their key.
class kafka_sink : public message_sink {
public:
  kafka_sink(kafka::producer prod, std::string topic, int32_t partitions,
             std::shared_ptr<metric_factory> metrics)
      : prod_(std::move(prod)), topic_(std::move(topic)),
        partitions_(partitions), published_(std::move(metrics)) {
    // nop
  }

  status send(uint64_t i, const std::string& key,
              const std::string& payload) override {
    auto partition
        = key.empty()
              ? static_cast<int32_t>(i % static_cast<uint64_t>(partitions_))
              : key_partition(key, partitions_);
    return prod_.produce(topic_, partition, key, payload);
  }

  void wait(std::chrono::milliseconds d) override {
    prod_.poll(d);
  }

  void tick(uint64_t generated) override {
    prod_.poll();
    published_.update(generated, prod_.failed());
  }

  void finish(generate_report& result) override {
    if (auto st = prod_.flush(std::chrono::seconds{30});
        !st && result.error.empty())
      result.error = st.error();
    result.delivered = prod_.delivered();
    result.failed = prod_.failed()
                    + (result.generated - prod_.delivered() - prod_.failed());
    published_.update(result.generated, result.failed);
    if (prod_.failed() > 0 && result.error.empty())
      result.error = "delivery failed for " + std::to_string(prod_.failed())
                     + " events; last error: " + prod_.last_error();
  }

private:
  kafka::producer prod_;
  std::string topic_;
  int32_t partitions_;
  generator_metrics published_;
};

/// Writes JSON lines to a file (gzip if it ends in .gz) or standard output.
class file_sink : public message_sink {
public:
  explicit file_sink(line_writer writer) : writer_(std::move(writer)) {
    // nop
  }

  status send(uint64_t, const std::string&,
              const std::string& payload) override {
    if (auto st = writer_.write(payload); !st)
      return st;
    ++written_;
    return {};
  }

  void wait(std::chrono::milliseconds d) override {
    std::this_thread::sleep_for(d);
  }

  void tick(uint64_t) override {
    // nop
  }

  void finish(generate_report& result) override {
    auto st = writer_.close();
    if (!st && result.error.empty())
      result.error = st.error();
    result.delivered = st ? written_ : 0;
    result.failed = result.generated - result.delivered;
  }

private:
  line_writer writer_;
  uint64_t written_ = 0;
};

/// Opens the sink `opts` names; sets `error` on failure.
std::unique_ptr<message_sink> make_sink(const generate_options& opts,
                                        std::string& error) {
  if (!opts.output.empty()) {
    auto writer = line_writer::create(opts.output);
    if (!writer) {
      error = "cannot open --output " + opts.output + " for writing ("
              + writer.error()
              + "); check that its directory exists and is writable";
      return nullptr;
    }
    return std::make_unique<file_sink>(std::move(writer.value()));
  }
  kafka::config_map config{{"linger.ms", "5"},
                           {"message.timeout.ms", "30000"},
                           {"socket.connection.setup.timeout.ms", "10000"}};
  config.insert(config.end(), opts.producer_config.begin(),
                opts.producer_config.end());
  auto prod = kafka::producer::make(opts.brokers, config);
  if (!prod) {
    error = prod.error();
    return nullptr;
  }
  auto probe = std::chrono::milliseconds{opts.probe_timeout_ms};
  if (auto st = prod->wait_connected(probe); !st) {
    error = st.error();
    return nullptr;
  }
  auto partitions = prod->partition_count(opts.topic, probe);
  if (!partitions) {
    error = partitions.error();
    return nullptr;
  }
  return std::make_unique<kafka_sink>(std::move(*prod), opts.topic, *partitions,
                                      opts.metrics);
}

} // namespace

status check_fault_targets(event_kind kind, const std::vector<fault>& faults,
                           size_t count) {
  bool sensor = kind == event_kind::sensor;
  auto name = [sensor](size_t i) {
    return sensor ? sensor_generator::sensor_name(i)
                  : trade_generator::symbol_name(i);
  };
  for (const auto& f : faults) {
    bool known = f.target == "*";
    for (size_t i = 0; i < count && !known; ++i)
      known = name(i) == f.target;
    if (!known)
      return make_error_text(
          "--fault names " + std::string{sensor ? "sensor" : "symbol"} + " '"
          + f.target + "', which is not among the " + std::to_string(count)
          + " generated " + (sensor ? "sensors (" : "symbols (") + name(0)
          + " ... " + name(count - 1) + "); raise "
          + (sensor ? "--sensors" : "--symbols")
          + ", fix the name or use * for all");
  }
  return {};
}

int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

int run_generator(const generate_options& opts, std::atomic<bool>& stop,
                  generate_report* report) {
  generate_report result;
  auto t0 = steady::now();
  auto elapsed_s = [&t0] {
    return std::chrono::duration<double>(steady::now() - t0).count();
  };
  auto finish = [&](int rc) {
    result.seconds = elapsed_s();
    if (opts.verbose) {
      if (!result.error.empty())
        std::fprintf(stderr, "vigil generate: error: %s\n",
                     result.error.c_str());
      std::fprintf(stderr,
                   "generated %llu events (%llu delivered, %llu failed) in "
                   "%.1f s\n",
                   static_cast<unsigned long long>(result.generated),
                   static_cast<unsigned long long>(result.delivered),
                   static_cast<unsigned long long>(result.failed),
                   result.seconds);
    }
    if (report != nullptr)
      *report = result;
    return rc;
  };
  if (auto st = validate(opts); !st) {
    result.error = st.error();
    return finish(1);
  }
  auto sink = make_sink(opts, result.error);
  if (!sink)
    return finish(1);
  auto start_ms = opts.start_ms >= 0 ? opts.start_ms : wall_clock_ms();
  auto source = make_source(opts, start_ms);
  std::string payload;
  std::string key;
  auto start = steady::now();
  for (uint64_t i = 0;; ++i) {
    if (stop.load() || (opts.count > 0 && i >= opts.count)
        || (opts.duration_s > 0 && elapsed_s() >= opts.duration_s))
      break;
    int64_t base_time = source->nominal_time_ms(i);
    if (opts.rate > 0 && i >= opts.backfill) {
      if (i == opts.backfill && i > 0) {
        // The history is out: the clock starts now.
        start = steady::now();
        start_ms = wall_clock_ms();
      }
      // Real-time mode: event i is due at start + i / rate, and its event
      // time follows the wall clock from the start time on.
      auto due = start
                 + std::chrono::duration_cast<steady::duration>(
                     std::chrono::duration<double>(
                         static_cast<double>(i - opts.backfill) / opts.rate));
      for (auto now = steady::now(); now < due && !stop.load();
           now = steady::now()) {
        auto wait
            = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
        sink->wait(std::clamp(wait, std::chrono::milliseconds{1},
                              std::chrono::milliseconds{100}));
      }
      if (stop.load())
        break;
      base_time = start_ms
                  + std::chrono::duration_cast<std::chrono::milliseconds>(
                        steady::now() - start)
                        .count();
    }
    source->next(i, base_time, payload, key);
    if (auto st = sink->send(i, key, payload); !st) {
      result.error = st.error();
      break;
    }
    ++result.generated;
    if (i % 256 == 0)
      sink->tick(result.generated);
  }
  sink->finish(result);
  return finish(result.error.empty() && result.failed == 0 ? 0 : 1);
}

} // namespace vigil
