#include "actors/ingest/dlq_producer.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/ingest/dead_letter_ledger.hpp"
#include "actors/node/metrics.hpp"
#include "runtime/error.hpp"
#include "runtime/kafka.hpp"
#include "runtime/log.hpp"
#include "runtime/spawn.hpp"

namespace vigil {

namespace {

/// How often delivery reports are served while dead letters are in flight.
constexpr auto poll_interval = std::chrono::milliseconds(100);

/// The header that carries a dead letter's reason.
constexpr const char* reason_header = dead_letter_reason_header;

/// Counts an acknowledged dead letter under the reason in its header.
kafka::delivery_hook count_delivered(std::shared_ptr<metric_factory> metrics) {
  if (!metrics)
    return {};
  return [metrics](const rd_kafka_message_t& msg) {
    rd_kafka_headers_t* headers = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    std::string_view reason;
    if (rd_kafka_message_headers(&msg, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR
        && rd_kafka_header_get_last(headers, reason_header, &value, &size)
               == RD_KAFKA_RESP_ERR_NO_ERROR)
      reason = {static_cast<const char*>(value), size};
    metrics->dead_letters(reason).Increment();
  };
}

/// How long a broker request of the dead-letter producer may take.
constexpr auto broker_timeout = std::chrono::seconds(10);

/// How long a checkpoint's flush keeps asking for the topic's end offsets.
constexpr auto end_deadline = std::chrono::seconds(45);

/// How long reading the dead-letter topic's tail at start may take.
constexpr auto flush_timeout = std::chrono::seconds(30);

/// How long the producer keeps a dead letter it cannot deliver (librdkafka's
/// message.timeout.ms): a broker outage shorter than this delays
/// checkpoints instead of failing them.
constexpr auto delivery_timeout = std::chrono::minutes(5);

/// How long a checkpoint's flush waits for acknowledgements: until every
/// dead letter is delivered or has failed for good (then the producer
/// reports it), plus a margin.
constexpr auto deliver_wait = delivery_timeout + std::chrono::seconds(30);

/// Value of header `name` as an integer, if present and numeric.
std::optional<int64_t> header_value(rd_kafka_headers_t* headers,
                                    const char* name) {
  const void* value = nullptr;
  size_t size = 0;
  if (headers == nullptr
      || rd_kafka_header_get_last(headers, name, &value, &size)
             != RD_KAFKA_RESP_ERR_NO_ERROR
      || size == 0 || size > 20)
    return std::nullopt;
  std::string text{static_cast<const char*>(value), size};
  char* end = nullptr;
  auto result = std::strtoll(text.c_str(), &end, 10);
  if (end != text.c_str() + text.size())
    return std::nullopt;
  return result;
}

/// The end offset of every partition of `topic` (an empty list if the topic
/// has no partitions yet).
expected<std::vector<partition_offset>> end_offsets(rd_kafka_t* rk,
                                                    const std::string& brokers,
                                                    const std::string& topic) {
  auto count = kafka::partition_count(rk, brokers, topic, broker_timeout);
  if (!count)
    return make_error_text(count.error());
  std::vector<partition_offset> result;
  for (int32_t p = 0; p < count.value(); ++p) {
    auto wm = kafka::query_watermarks(rk, topic, p, broker_timeout);
    if (!wm)
      return make_error_text(wm.error());
    result.push_back({p, wm.value().high});
  }
  return result;
}

/// Reads `topic` from `positions` (a partition without one from its
/// beginning) up to `end`, telling `ledger` each dead letter found; returns
/// how many it read.
expected<size_t> read_tail(const dlq_producer_config& settings,
                           const std::vector<partition_offset>& end,
                           dead_letter_ledger& ledger) {
  std::map<int32_t, int64_t> from;
  for (const auto& po : settings.positions)
    from[po.partition] = po.next_offset;
  std::map<int32_t, int64_t> left; // partition -> end offset still to reach
  auto client = kafka::make_client(RD_KAFKA_CONSUMER, settings.brokers,
                                   {{"group.id", "vigil-dead-letter-ledger"},
                                    {"enable.auto.commit", "false"},
                                    {"enable.partition.eof", "true"},
                                    {"auto.offset.reset", "earliest"}});
  if (!client)
    return make_error_text(client.error());
  auto* rk = client.value().get();
  rd_kafka_poll_set_consumer(rk);
  kafka::partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
  for (const auto& po : end) {
    auto it = from.find(po.partition);
    auto start = it != from.end() ? it->second : int64_t{0};
    if (start >= po.next_offset)
      continue;
    left[po.partition] = po.next_offset;
    rd_kafka_topic_partition_list_add(list.get(), settings.topic.c_str(),
                                      po.partition)
        ->offset
        = it != from.end() ? start : RD_KAFKA_OFFSET_BEGINNING;
  }
  if (left.empty())
    return size_t{0};
  rd_kafka_assign(rk, list.get());
  size_t read = 0;
  auto deadline = std::chrono::steady_clock::now() + flush_timeout;
  while (!left.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      rd_kafka_consumer_close(rk);
      return make_error_text("cannot read the dead-letter topic "
                             + settings.topic + " to its end within "
                             + std::to_string(flush_timeout.count()) + " s");
    }
    kafka::message_ptr msg{rd_kafka_consumer_poll(rk, 100)};
    if (!msg)
      continue;
    auto it = left.find(msg->partition);
    if (it == left.end())
      continue;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++read;
      rd_kafka_headers_t* headers = nullptr;
      rd_kafka_message_headers(msg.get(), &headers);
      auto p = header_value(headers, dead_letter_partition_header);
      auto o = header_value(headers, dead_letter_offset_header);
      if (p && o)
        ledger.found(static_cast<int32_t>(*p), *o, msg->partition, msg->offset);
    } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      continue; // transient errors: librdkafka retries
    }
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF
        || msg->offset + 1 >= it->second)
      left.erase(it);
  }
  rd_kafka_consumer_close(rk);
  return read;
}

struct dlq_state {
  static inline const char* name = "dlq_producer";

  explicit dlq_state(caf::stateful_actor<dlq_state>* self) : self(self) {
    // nop
  }

  /// Takes the configuration and returns the behavior.
  caf::behavior make_behavior(dlq_producer_config settings);

  caf::stateful_actor<dlq_state>* self;

  dlq_producer_config settings;
  std::optional<kafka::producer> out;
  std::optional<dead_letter_ledger> ledger;
  uint64_t produced = 0;
  /// A delayed `poll` is pending.
  bool poll_scheduled = false;
  /// Dead letters not produced because they are on the topic already.
  uint64_t skipped = 0;

  /// Reads what the topic holds after the stored positions.
  caf::error start() {
    ledger.emplace(settings.replay_from);
    auto end = end_offsets(out->handle(), settings.brokers, settings.topic);
    if (!end)
      return caf::make_error(ec::broker_unreachable, end.error());
    auto read = read_tail(settings, end.value(), *ledger);
    if (!read)
      return caf::make_error(ec::broker_unreachable, read.error());
    if (ledger->size() > 0)
      logf(log_level::info, "dlq_producer",
           "%zu dead letters of replayed records are already on %s (of %zu "
           "read): not producing them again",
           ledger->size(), settings.topic.c_str(), read.value());
    ledger->start_positions(std::move(end.value()));
    return caf::none;
  }

  /// Waits until every dead letter is acknowledged.
  caf::error flush() {
    auto status = out->flush(deliver_wait);
    if (!status)
      return caf::make_error(ec::broker_unreachable, status.error());
    if (out->failed() > 0)
      return caf::make_error(ec::broker_unreachable,
                             "dead letters failed: " + out->last_error());
    return caf::none;
  }
};

using dlq_actor = caf::stateful_actor<dlq_state>;

caf::behavior dlq_state::make_behavior(dlq_producer_config settings) {
  auto& st = *this;
  st.settings = std::move(settings);
  auto p = kafka::producer::make(
      st.settings.brokers,
      {{"linger.ms", "20"},
       {"message.timeout.ms",
        std::to_string(std::chrono::milliseconds(delivery_timeout).count())}},
      count_delivered(st.settings.metrics));
  if (!p) {
    self->quit(caf::make_error(ec::broker_unreachable, p.error()));
    return {};
  }
  st.out.emplace(std::move(p.value()));
  if (auto err = st.start()) {
    self->quit(std::move(err));
    return {};
  }
  return {
      [this](const dead_letter_batch& batch) {
        auto& st = *this;
        for (const auto& letter : batch.letters) {
          if (!st.ledger->admit(letter.partition, letter.offset)) {
            ++st.skipped;
            continue;
          }
          kafka::header_list headers{
              {reason_header, letter.reason},
              {dead_letter_partition_header, std::to_string(letter.partition)},
              {dead_letter_offset_header, std::to_string(letter.offset)}};
          auto status
              = st.out->produce(st.settings.topic, RD_KAFKA_PARTITION_UA, {},
                                letter.payload, headers);
          if (!status) {
            // Failing here restarts the producer and everything after it:
            // the checkpoint that covers these records is not durable yet,
            // so they are replayed.
            self->quit(caf::make_error(ec::broker_unreachable, status.error()));
            return;
          }
          ++st.produced;
        }
        st.out->poll();
        if (!st.poll_scheduled) {
          st.poll_scheduled = true;
          self->delayed_send(self, poll_interval, atom::poll_v);
        }
      },
      [this](atom::poll) {
        auto& st = *this;
        st.out->poll();
        st.poll_scheduled = st.out->in_flight() > 0;
        if (st.poll_scheduled)
          self->delayed_send(self, poll_interval, atom::poll_v);
      },
      [this](atom::flush) -> caf::result<uint64_t> {
        if (auto err = this->flush())
          return err;
        return this->produced;
      },
      [this](atom::flush, uint64_t) -> caf::result<dead_letter_positions> {
        // A checkpoint: its dead letters are all in the mailbox before this
        // request. Once they are acknowledged, the checkpoint stores the
        // positions taken before its barrier; the positions after this
        // flush are for the next one.
        auto& st = *this;
        auto fail = [this](caf::error err) {
          self->quit(err);
          return err;
        };
        if (auto err = st.flush())
          return fail(std::move(err));
        auto end = st.ledger->positions();
        if (st.ledger->moved()) {
          // A broker outage delays the checkpoint instead of failing it:
          // ask again until the broker answers or the deadline passes (the
          // writer waits for this reply longer than both waits together).
          auto deadline = std::chrono::steady_clock::now() + end_deadline;
          auto now = end_offsets(st.out->handle(), st.settings.brokers,
                                 st.settings.topic);
          while (!now && std::chrono::steady_clock::now() < deadline) {
            // An error that comes back at once must not spin this thread.
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            now = end_offsets(st.out->handle(), st.settings.brokers,
                              st.settings.topic);
          }
          if (!now)
            return fail(caf::make_error(ec::broker_unreachable, now.error()));
          end = std::move(now.value());
        }
        return dead_letter_positions{st.ledger->checkpoint(std::move(end))};
      },
      [this](const checkpoint_durable& msg) {
        this->ledger->durable(msg.offsets);
      },
  };
}

} // namespace

caf::actor spawn_dlq_producer_actor(caf::actor_system& sys,
                                    dlq_producer_config settings) {
  return spawn_stateful<dlq_state, caf::detached>(sys, std::move(settings));
}

} // namespace vigil
