#include "actors/generator/generator.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

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
  if (opts.services < 1)
    return make_error_text("at least 1 service is needed");
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

} // namespace

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
  // Either a file of JSON lines (--output) or the topic.
  std::optional<line_writer> file;
  std::optional<kafka::producer> prod;
  int32_t partitions = 1;
  if (!opts.output.empty()) {
    auto made = line_writer::create(opts.output);
    if (!made) {
      result.error = made.error();
      return finish(1);
    }
    file.emplace(std::move(made.value()));
  } else {
    kafka::config_map config{{"linger.ms", "5"},
                             {"message.timeout.ms", "30000"},
                             {"socket.connection.setup.timeout.ms", "10000"}};
    config.insert(config.end(), opts.producer_config.begin(),
                  opts.producer_config.end());
    auto made = kafka::producer::make(opts.brokers, config);
    if (!made) {
      result.error = made.error();
      return finish(1);
    }
    prod.emplace(std::move(made.value()));
    auto probe = std::chrono::milliseconds{opts.probe_timeout_ms};
    if (auto st = prod->wait_connected(probe); !st) {
      result.error = st.error();
      return finish(1);
    }
    auto count = prod->partition_count(opts.topic, probe);
    if (!count) {
      result.error = count.error();
      return finish(1);
    }
    partitions = *count;
  }
  generator_config settings;
  settings.services = opts.services;
  settings.incidents = opts.incidents;
  settings.start_ms = opts.start_ms >= 0 ? opts.start_ms : wall_clock_ms();
  settings.rate = opts.rate > 0 ? opts.rate : opts.nominal_rate;
  settings.seed = opts.seed;
  event_generator gen{settings};
  generator_metrics published{opts.metrics};
  generated_event event;
  std::string payload;
  auto start = steady::now();
  for (uint64_t i = 0;; ++i) {
    if (stop.load() || (opts.count > 0 && i >= opts.count)
        || (opts.duration_s > 0 && elapsed_s() >= opts.duration_s))
      break;
    int64_t base_time = gen.nominal_time_ms(gen.index());
    if (opts.rate > 0) {
      // Real-time mode: event i is due at start + i / rate, and its event
      // time follows the wall clock from the start time on.
      auto due = start
                 + std::chrono::duration_cast<steady::duration>(
                     std::chrono::duration<double>(static_cast<double>(i)
                                                   / opts.rate));
      for (auto now = steady::now(); now < due && !stop.load();
           now = steady::now()) {
        auto wait
            = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
        auto slice = std::clamp(wait, std::chrono::milliseconds{1},
                                std::chrono::milliseconds{100});
        if (prod)
          prod->poll(slice);
        else
          std::this_thread::sleep_for(slice);
      }
      if (stop.load())
        break;
      base_time = settings.start_ms
                  + std::chrono::duration_cast<std::chrono::milliseconds>(
                        steady::now() - start)
                        .count();
    }
    gen.next(event, base_time);
    if (opts.malformed_every > 0 && (i + 1) % opts.malformed_every == 0)
      payload
          = malformed_json(i / opts.malformed_every, event.core.time_ms).json;
    else
      payload = to_json(event);
    if (file) {
      if (auto st = file->write(payload); !st) {
        result.error = st.error();
        break;
      }
      ++result.generated;
      if (i % 65536 == 0)
        published.update(result.generated, 0);
      continue;
    }
    auto partition
        = static_cast<int32_t>(i % static_cast<uint64_t>(partitions));
    if (auto st = prod->produce(opts.topic, partition, {}, payload); !st) {
      result.error = st.error();
      break;
    }
    ++result.generated;
    if (i % 256 == 0) {
      prod->poll();
      published.update(result.generated, prod->failed());
    }
  }
  if (file) {
    if (auto st = file->close(); !st && result.error.empty())
      result.error = st.error();
    result.delivered = result.error.empty() ? result.generated : 0;
    result.failed = result.generated - result.delivered;
    published.update(result.generated, result.failed);
    return finish(result.error.empty() ? 0 : 1);
  }
  if (auto st = prod->flush(std::chrono::seconds{30});
      !st && result.error.empty())
    result.error = st.error();
  result.delivered = prod->delivered();
  result.failed = prod->failed()
                  + (result.generated - prod->delivered() - prod->failed());
  published.update(result.generated, result.failed);
  if (prod->failed() > 0 && result.error.empty())
    result.error = "delivery failed for " + std::to_string(prod->failed())
                   + " events; last error: " + prod->last_error();
  return finish(result.error.empty() && result.failed == 0 ? 0 : 1);
}

} // namespace vigil
