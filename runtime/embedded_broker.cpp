#include "runtime/embedded_broker.hpp"

#include <utility>

#include <librdkafka/rdkafka_mock.h>

namespace vigil {

namespace {

std::string mock_error(const std::string& what, rd_kafka_resp_err_t err) {
  return what + ": " + rd_kafka_err2str(err);
}

} // namespace

expected<embedded_broker>
embedded_broker::start(const broker_options& options) {
  if (options.port != 0)
    return make_error_text(
        "librdkafka 2.0.2's mock cluster cannot bind a chosen port (asked for "
        + std::to_string(options.port)
        + "); use --port 0 and read the bootstrap address from the first line "
          "of output");
  if (options.brokers < 1)
    return make_error_text("the embedded broker needs at least 1 broker, got "
                           + std::to_string(options.brokers));
  for (const auto& topic : options.topics)
    if (topic.name.empty() || topic.partitions < 1)
      return make_error_text("invalid topic '" + topic.name + "' with "
                             + std::to_string(topic.partitions)
                             + " partitions: a topic needs a name and at "
                               "least 1 partition");
  // The mock cluster needs an rd_kafka_t for its bookkeeping only; this one
  // never connects anywhere, so it needs no bootstrap servers. Its log level
  // is lowered to keep the "no bootstrap.servers" notice off the console.
  kafka::config_builder builder;
  if (auto st = builder.set("log_level", "3"); !st)
    return make_error_text(st.error());
  auto conf = builder.release();
  char errstr[512];
  auto* raw
      = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
  if (raw == nullptr)
    return make_error_text(std::string{"cannot create the embedded broker's "
                                       "client handle: "}
                           + errstr);
  conf.release(); // rd_kafka_new took ownership
  kafka::handle_ptr rk{raw};
  auto* mock = rd_kafka_mock_cluster_new(rk.get(), options.brokers);
  if (mock == nullptr)
    return make_error_text("cannot start the embedded broker (librdkafka mock "
                           "cluster): no loopback port available?");
  embedded_broker result{std::move(rk), mock};
  for (const auto& topic : options.topics)
    if (auto st = result.create_topic(topic.name, topic.partitions); !st)
      return make_error_text(st.error());
  return result;
}

embedded_broker::embedded_broker(kafka::handle_ptr rk,
                                 rd_kafka_mock_cluster_t* mock)
    : rk_(std::move(rk)), mock_(mock),
      bootstrap_(rd_kafka_mock_cluster_bootstraps(mock)) {
  // nop
}

embedded_broker::embedded_broker(embedded_broker&& other) noexcept
    : rk_(std::move(other.rk_)), mock_(std::exchange(other.mock_, nullptr)),
      bootstrap_(std::move(other.bootstrap_)) {
  // nop
}

embedded_broker& embedded_broker::operator=(embedded_broker&& other) noexcept {
  if (this != &other) {
    reset();
    rk_ = std::move(other.rk_);
    mock_ = std::exchange(other.mock_, nullptr);
    bootstrap_ = std::move(other.bootstrap_);
  }
  return *this;
}

embedded_broker::~embedded_broker() {
  reset();
}

void embedded_broker::reset() noexcept {
  // The cluster must go before the handle it was created on.
  if (mock_ != nullptr)
    rd_kafka_mock_cluster_destroy(std::exchange(mock_, nullptr));
  rk_.reset();
}

status embedded_broker::create_topic(const std::string& name,
                                     int32_t partitions) {
  if (name.empty() || partitions < 1)
    return make_error_text("invalid topic '" + name + "' with "
                           + std::to_string(partitions)
                           + " partitions: a topic needs a name and at least "
                             "1 partition");
  auto err = rd_kafka_mock_topic_create(mock_, name.c_str(), partitions, 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return make_error_text(
        mock_error("cannot create topic '" + name + "'", err));
  return {};
}

status embedded_broker::set_down(bool down) {
  auto err = down ? rd_kafka_mock_broker_set_down(mock_, -1)
                  : rd_kafka_mock_broker_set_up(mock_, -1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return make_error_text(
        mock_error(down ? "cannot take the embedded broker down"
                        : "cannot bring the embedded broker up",
                   err));
  return {};
}

void embedded_broker::push_request_errors(int16_t api_key, size_t count,
                                          rd_kafka_resp_err_t err) {
  std::vector<rd_kafka_resp_err_t> errors(count, err);
  rd_kafka_mock_push_request_errors_array(mock_, api_key, count, errors.data());
}

} // namespace vigil
