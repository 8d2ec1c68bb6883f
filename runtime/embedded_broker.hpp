#pragma once

// An in-process Kafka-protocol broker: librdkafka's mock cluster, for demos,
// tests and fault injection. See docs/broker.md for its limits.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/expected.hpp"
#include "runtime/kafka.hpp"

typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace vigil {

/// A topic to create when the broker starts.
struct topic_spec {
  /// Topic name.
  std::string name;
  /// Number of partitions, >= 1.
  int32_t partitions = 1;
};

/// Settings of an embedded broker.
struct broker_options {
  /// Listening port; 0 lets the system choose (the only supported value with
  /// librdkafka 2.0.2, see docs/broker.md).
  uint16_t port = 0;
  /// Topics created at start.
  std::vector<topic_spec> topics;
  /// Number of brokers in the mock cluster, >= 1.
  int brokers = 1;
};

/// A mock Kafka cluster listening on 127.0.0.1, alive as long as this object.
class embedded_broker {
public:
  /// Starts a cluster as described by `options`.
  static expected<embedded_broker> start(const broker_options& options);

  embedded_broker(embedded_broker&& other) noexcept;
  embedded_broker& operator=(embedded_broker&& other) noexcept;
  embedded_broker(const embedded_broker&) = delete;
  embedded_broker& operator=(const embedded_broker&) = delete;
  ~embedded_broker();

  /// The bootstrap address list, e.g. "127.0.0.1:39217".
  const std::string& bootstrap() const noexcept {
    return bootstrap_;
  }

  /// Creates a topic (the mock does not implement the CreateTopics API).
  status create_topic(const std::string& name, int32_t partitions);

  /// Takes every broker down (disconnects clients, refuses requests) or
  /// brings them back up.
  status set_down(bool down);

  /// Makes the next `count` requests with `api_key` fail with `err`
  /// (RD_KAFKA_RESP_ERR__TRANSPORT disconnects the client).
  void push_request_errors(int16_t api_key, size_t count,
                           rd_kafka_resp_err_t err);

  /// The raw mock cluster, for other rd_kafka_mock_* calls.
  rd_kafka_mock_cluster_t* mock() const noexcept {
    return mock_;
  }

private:
  embedded_broker(kafka::handle_ptr rk, rd_kafka_mock_cluster_t* mock);

  void reset() noexcept;

  kafka::handle_ptr rk_;
  rd_kafka_mock_cluster_t* mock_ = nullptr;
  std::string bootstrap_;
};

} // namespace vigil
