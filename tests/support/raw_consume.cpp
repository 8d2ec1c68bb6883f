#include "support/raw_consume.hpp"

#include <set>

#include <librdkafka/rdkafka.h>

namespace vigil::test {

uint64_t raw_consume(const std::string& brokers, const std::string& topic,
                     int32_t partitions) {
  char err[512];
  auto* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err,
                    sizeof(err));
  rd_kafka_conf_set(conf, "group.id", "raw-bench", err, sizeof(err));
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
  rd_kafka_conf_set(conf, "fetch.wait.max.ms", "20", err, sizeof(err));
  auto* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  rd_kafka_poll_set_consumer(rk);
  // Every partition assigned directly from the beginning, as vigil's drain
  // does: no group rebalance in either measurement.
  auto* list = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset
        = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  uint64_t n = 0;
  std::set<int32_t> at_end;
  while (static_cast<int32_t>(at_end.size()) < partitions) {
    auto* msg = rd_kafka_consumer_poll(rk, 100);
    if (msg == nullptr)
      continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
      at_end.insert(msg->partition);
    else if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR)
      ++n;
    rd_kafka_message_destroy(msg);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return n;
}

} // namespace vigil::test
