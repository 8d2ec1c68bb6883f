#include "actors/dlq_producer.hpp"

#include <chrono>
#include <cstdio>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "runtime/error.hpp"
#include "runtime/kafka.hpp"
#include "runtime/messages.hpp"
#include "runtime/metrics.hpp"

namespace vigil {

namespace {

/// How often delivery reports are served while dead letters are in flight.
constexpr auto poll_interval = std::chrono::milliseconds(100);

/// The header that carries a dead letter's reason.
constexpr const char* reason_header = "vigil.reason";

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

struct dlq_state {
  static inline const char* name = "dlq_producer";

  std::optional<kafka::producer> out;
  std::string topic;
  uint64_t produced = 0;
  /// A delayed `poll` is pending.
  bool poll_scheduled = false;
};

using dlq_actor = caf::stateful_actor<dlq_state>;

caf::behavior dlq_producer(dlq_actor* self, std::string brokers,
                           std::string topic,
                           std::shared_ptr<metric_factory> metrics) {
  auto p = kafka::producer::make(brokers, {{"linger.ms", "20"}},
                                 count_delivered(std::move(metrics)));
  if (!p) {
    self->quit(caf::make_error(ec::broker_unreachable, p.error()));
    return {};
  }
  self->state.out.emplace(std::move(p.value()));
  self->state.topic = std::move(topic);
  return {
      [self](const dead_letter_batch& batch) {
        auto& st = self->state;
        for (const auto& letter : batch.letters) {
          kafka::header_list headers{
              {reason_header, letter.reason},
              {"vigil.source.partition", std::to_string(letter.partition)},
              {"vigil.source.offset", std::to_string(letter.offset)}};
          auto status = st.out->produce(st.topic, RD_KAFKA_PARTITION_UA, {},
                                        letter.payload, headers);
          if (!status) {
            // Failing here restarts the producer: the checkpoint that covers
            // these records is not durable yet, so they are replayed.
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
      [self](atom::poll) {
        auto& st = self->state;
        st.out->poll();
        st.poll_scheduled = st.out->in_flight() > 0;
        if (st.poll_scheduled)
          self->delayed_send(self, poll_interval, atom::poll_v);
      },
      [self](atom::flush) -> caf::result<uint64_t> {
        auto& st = self->state;
        auto status = st.out->flush(std::chrono::seconds(30));
        if (!status)
          return caf::make_error(ec::broker_unreachable, status.error());
        if (st.out->failed() > 0)
          return caf::make_error(ec::broker_unreachable,
                                 "dead letters failed: "
                                     + st.out->last_error());
        return st.produced;
      },
  };
}

} // namespace

caf::actor spawn_dlq_producer(caf::actor_system& sys, std::string brokers,
                              std::string topic,
                              std::shared_ptr<metric_factory> metrics) {
  return sys.spawn(dlq_producer, std::move(brokers), std::move(topic),
                   std::move(metrics));
}

} // namespace vigil
