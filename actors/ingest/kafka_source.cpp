#include "actors/ingest/kafka_source.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include "actors/cluster/store_link.hpp"
#include "actors/ingest/request_event.hpp"
#include "actors/ingest/source_partitions.hpp"
#include "actors/messages.hpp"
#include "actors/node/metrics.hpp"
#include "runtime/fault_episode.hpp"
#include "runtime/kafka.hpp"
#include "runtime/log.hpp"
#include "runtime/partition_flow.hpp"
#include "runtime/spawn.hpp"
#include "runtime/stall_detector.hpp"

namespace vigil {

namespace {

/// How long one poll may block while the source is idle.
constexpr int idle_poll_ms = 20;

/// Most records taken from librdkafka per poll round.
constexpr size_t max_records_per_round = 20000;

/// Least time between two publications of lag and backpressure state.
constexpr auto publish_interval = std::chrono::milliseconds(250);

/// Source incarnations started in this process (restarts + 1).
std::atomic<uint64_t> incarnations{0};

/// How often an ingest node tells the store it is alive.
constexpr auto heartbeat_interval = std::chrono::milliseconds(1000);

using partition_info = source_partition;

struct kafka_source_state : source_partitions {
  static inline const char* name = "kafka_source";

  explicit kafka_source_state(caf::stateful_actor<kafka_source_state>* self)
      : self(self) {
    // nop
  }

  /// Takes the configuration and returns the behavior.
  caf::behavior make_behavior(kafka_source_config settings, caf::actor merger,
                              caf::actor dead_letters, task_factory make_task,
                              caf::actor listener);

  caf::stateful_actor<kafka_source_state>* self;
  kafka_source_config settings;
  caf::actor merger;
  caf::actor dead_letters;
  task_factory make_task;
  caf::actor listener;
  rd_kafka_t* rk = nullptr;
  /// Partitions with lag that make no progress.
  std::unique_ptr<stall_detector> stalls;
  uint64_t next_checkpoint = 1;
  uint64_t checkpoint_in_flight = 0;
  /// The last checkpoint known durable (stored in the database).
  uint64_t last_durable = 0;
  /// Set when partitions were revoked: the next assignment resumes from the
  /// last durable checkpoint.
  bool resume_pending = false;
  /// Set while the consumer leaves the group as the actor terminates.
  bool closing = false;
  /// Checkpoints below this one were begun before a rebalance: their
  /// offsets are not committed to Kafka (the group generation changed).
  uint64_t commit_from = 0;
  bool drained = false;
  /// Set by a graceful stop: reading has ended.
  bool stopping = false;
  /// The checkpoint whose durability ends a graceful stop.
  uint64_t stop_checkpoint = 0;
  /// Failure episodes of the broker; fetched records end them.
  std::shared_ptr<fault_episode_log> episodes;
  /// When the checkpoint in flight was started (checkpoint_duration).
  std::chrono::steady_clock::time_point checkpoint_started;
  /// When lag and backpressure state were last published.
  std::chrono::steady_clock::time_point last_publish;

  // -- cluster mode (settings.store set) --------------------------------------

  /// True in cluster mode.
  bool cluster = false;
  /// The store's coordinator while the link is up.
  caf::actor coordinator;
  /// The consumer group's latest assignment, and each partition's end
  /// offset at that moment.
  std::vector<int32_t> group_assigned;
  std::vector<int64_t> group_ends;
  /// True while the partitions wait for the store (no tasks run).
  bool holding = true;
  /// Set while a generation of the store starts the partitions.
  bool starting = false;
  /// Partitions of the topic, as last read from the broker's metadata.
  int32_t topic_size = -1;

  /// Tells the coordinator who this node is and what the group assigned.
  void introduce();

  /// Sends the group's assignment to the coordinator.
  void report();

  /// Stops every task and pauses every partition the group assigned.
  void hold_all();

  /// A new generation from the store.
  void on_resume(cluster_resume& msg);

  /// The store asks for the barriers of a checkpoint.
  void on_cluster_barrier(const cluster_barrier& msg);

  void on_link(store_link_event& ev);

  void send_heartbeat();

  /// The store asks this node to leave and join the consumer group again.
  void rejoin();

  ~kafka_source_state() {
    status = settings.status;
    unpublish(settings.metrics);
    if (rk != nullptr) {
      // Leaving the group revokes the partitions through the rebalance
      // callback: nothing to resume, and the actor is gone.
      closing = true;
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  }

  // -- setup ------------------------------------------------------------------

  caf::error start();

  /// Joins the consumer group for the topic.
  caf::error subscribe();

  /// Drain mode: assigns every partition of the topic directly.
  caf::error assign_all();

  /// After a rebalance: reloads the last durable checkpoint, rolls the
  /// merger back to it under a new epoch and drops the partitions still
  /// held; false if the source stopped (the checkpoint cannot be read).
  bool resume_after_rebalance();

  /// Partitions of the topic in the broker's metadata (-1 if unknown).
  int topic_partition_count();

  /// Follows the operator's hold (`settings.status->hold`): pauses every
  /// partition when it is set, resumes those with credit when it is cleared.
  void apply_hold();

  /// Stops a partition's task and forgets the partition.
  void drop_partition(std::unordered_map<int32_t, partition_info>::iterator it);

  // -- callbacks --------------------------------------------------------------

  void on_assign(rd_kafka_topic_partition_list_t* list);

  void on_revoke(rd_kafka_topic_partition_list_t* list);

  void on_poll();

  void on_ack(int32_t partition, uint64_t batch_epoch, uint32_t batches);

  void on_tick();

  /// Graceful stop: no more reading; the next durable checkpoint covers
  /// everything read, then `listener` gets `drained`.
  void on_shutdown();

  /// Injects the barriers of a new checkpoint.
  void begin_checkpoint();

  void on_durable(const checkpoint_durable& msg);

  // -- helpers ----------------------------------------------------------------

  void send_pending(int32_t partition, partition_info& info);

  void check_finished(int32_t partition, partition_info& info);

  /// Makes the consumer's pause flags match `flow`.
  void apply_flow();

  /// Reports partitions that began or ended a stall (log, metrics).
  void detect_stalls(std::chrono::steady_clock::time_point now,
                     const std::map<int32_t, int64_t>& lag);

  /// Publishes lag, in-flight batches and paused partitions (metrics and
  /// status); at most once per `publish_interval` unless `force`.
  void publish(bool force);
};

using kafka_source_actor = caf::stateful_actor<kafka_source_state>;

void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                  rd_kafka_topic_partition_list_t* list, void* opaque) {
  auto* st = static_cast<kafka_source_state*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    st->on_assign(list);
  } else {
    st->on_revoke(list);
    rd_kafka_assign(rk, nullptr);
  }
}

void commit_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
               rd_kafka_topic_partition_list_t*, void* opaque) {
  // Queued behind the consumer's error events: a commit answered after a
  // connection error proves the broker is back.
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
    static_cast<kafka_source_state*>(opaque)->episodes->success(rk);
}

caf::error kafka_source_state::start() {
  char errstr[512];
  auto* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& key, const std::string& value) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr,
                          sizeof(errstr))
        != RD_KAFKA_CONF_OK)
      return std::string{"invalid Kafka setting "} + key + ": " + errstr;
    return std::string{};
  };
  std::map<std::string, std::string> props{
      {"bootstrap.servers", settings.brokers},
      {"group.id", settings.group},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset",
       settings.start == start_position::earliest ? "earliest" : "latest"},
      {"fetch.wait.max.ms", "20"},
      // librdkafka prefetches up to this much per consumer: part of the
      // memory bound, together with --credit x --batch-size per partition.
      {"queued.max.messages.kbytes", "16384"},
      // queued.min.messages stays at librdkafka's 100,000 per partition: the
      // byte limit above bounds the prefetch of the whole consumer. 20,000
      // made fetching stall on message sets of 10,000 records (a producer
      // with linger.ms=100): drain_bench 4.86 s against 1.42 s, same peak
      // RSS (73 and 67 MiB).
      {"client.id", "vigil-source"},
  };
  for (const auto& [k, v] : settings.kafka)
    props[k] = v;
  episodes = kafka::episode_log(props["bootstrap.servers"]);
  for (const auto& [k, v] : props) {
    if (auto err = set(k, v); !err.empty()) {
      rd_kafka_conf_destroy(conf);
      return caf::make_error(caf::sec::invalid_argument, err);
    }
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
  rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
  kafka::route_logs(conf);
  rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return caf::make_error(caf::sec::invalid_argument,
                           std::string{"cannot create consumer: "} + errstr);
  }
  rd_kafka_poll_set_consumer(rk);
  next_checkpoint = settings.resume.checkpoint + 1;
  last_durable = settings.resume.checkpoint;
  flow = partition_flow{settings.credit};
  // The operator's hold outlives source restarts: partitions assigned to
  // this incarnation start held, without a moment of fetching.
  flow.hold(settings.status && settings.status->hold.load());
  if (settings.stall_timeout.count() > 0)
    stalls = std::make_unique<stall_detector>(settings.stall_timeout);
  if (settings.drain && !cluster) {
    // A drain reads every partition to its end: it takes them all at once
    // instead of waiting for a consumer-group rebalance (a cluster drains
    // through the group, which spreads the partitions over its nodes).
    return assign_all();
  }
  return subscribe();
}

caf::error kafka_source_state::subscribe() {
  auto* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, settings.topic.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  auto err = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return caf::make_error(caf::sec::invalid_argument,
                           std::string{"cannot subscribe to "} + settings.topic
                               + ": " + rd_kafka_err2str(err));
  return caf::none;
}

caf::error kafka_source_state::assign_all() {
  rd_kafka_topic_t* rkt
      = rd_kafka_topic_new(rk, settings.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return caf::make_error(caf::sec::invalid_argument,
                           "cannot read metadata of topic " + settings.topic
                               + " from " + settings.brokers + ": "
                               + rd_kafka_err2str(err));
  std::unique_ptr<const rd_kafka_metadata_t,
                  void (*)(const rd_kafka_metadata_t*)>
      guard{md, rd_kafka_metadata_destroy};
  if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR
      || md->topics[0].partition_cnt == 0)
    return caf::make_error(
        caf::sec::invalid_argument,
        "topic " + settings.topic + " does not exist on " + settings.brokers
            + (md->topic_cnt == 1
                   ? std::string{" ("} + rd_kafka_err2str(md->topics[0].err)
                         + ")"
                   : std::string{}));
  auto* list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i)
    rd_kafka_topic_partition_list_add(list, settings.topic.c_str(),
                                      md->topics[0].partitions[i].id);
  on_assign(list);
  rd_kafka_topic_partition_list_destroy(list);
  return caf::none;
}

void kafka_source_state::apply_hold() {
  bool wanted = settings.status && settings.status->hold.load();
  if (wanted == flow.held())
    return;
  flow.hold(wanted);
  apply_flow();
  logf(log_level::info, "kafka_source",
       wanted ? "consumption paused by the operator "
                "(%zu partitions kept)"
              : "consumption resumed by the operator "
                "(%zu partitions)",
       partitions.size());
  publish(true);
}

int kafka_source_state::topic_partition_count() {
  auto count = kafka::partition_count(rk, settings.brokers, settings.topic,
                                      std::chrono::seconds(5));
  return count ? *count : -1;
}

void kafka_source_state::on_assign(rd_kafka_topic_partition_list_t* list) {
  if (cluster && !starting) {
    // The group's assignment: accepted, but nothing is read until the
    // store starts a generation with it.
    // The assign call comes first: until the consumer answers the group's
    // assignment it ignores every later rebalance of the group, and the
    // end-offset queries below can take seconds on a loaded broker.
    hold_all();
    group_assigned.clear();
    group_ends.clear();
    for (int i = 0; i < list->cnt; ++i) {
      auto& tp = list->elems[i];
      int64_t low = 0;
      int64_t high = -1;
      if (rd_kafka_query_watermark_offsets(rk, tp.topic, tp.partition, &low,
                                           &high, 10000)
          != RD_KAFKA_RESP_ERR_NO_ERROR)
        high = -1;
      group_assigned.push_back(tp.partition);
      group_ends.push_back(high);
    }
    logf(log_level::info, "kafka_source",
         "the consumer group assigned %d partitions of %s to this node; "
         "waiting for the store to start them",
         list->cnt, settings.topic.c_str());
    report();
    publish(true);
    return;
  }
  if (resume_pending && !resume_after_rebalance())
    return;
  for (int i = 0; i < list->cnt; ++i) {
    auto& tp = list->elems[i];
    int64_t low = 0;
    int64_t high = 0;
    auto err = rd_kafka_query_watermark_offsets(rk, tp.topic, tp.partition,
                                                &low, &high, 10000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      logf(log_level::warning, "kafka_source",
           "cannot read offsets of %s[%d]: %s", tp.topic, tp.partition,
           rd_kafka_err2str(err));
    partition_info info;
    auto stored = settings.resume.offsets.find(tp.partition);
    if (stored != settings.resume.offsets.end()) {
      tp.offset = stored->second;
      info.next_offset = stored->second;
    } else if (settings.start == start_position::earliest) {
      tp.offset = RD_KAFKA_OFFSET_BEGINNING;
      info.next_offset = low;
    } else {
      tp.offset = RD_KAFKA_OFFSET_END;
      info.next_offset = high;
    }
    info.end_offset = high;
    info.pending.partition = tp.partition;
    info.pending.epoch = epoch;
    info.task = make_task(tp.partition, merger, dead_letters);
    self->link_to(info.task);
    if (!cluster)
      self->send(merger, atom::assign_v, tp.partition);
    partitions[tp.partition] = std::move(info);
    flow.assign(tp.partition);
  }
  rd_kafka_assign(rk, list);
  // The consumer keeps a partition's pause flag across revocation and
  // assignment: every assigned partition is paused or resumed explicitly
  // (the operator's hold covers partitions assigned during it).
  apply_flow();
  logf(log_level::info, "kafka_source", "assigned %d partitions of %s",
       list->cnt, settings.topic.c_str());
  if (!settings.drain && !cluster) {
    // Each node's merger sees only its own partitions: a group shared with
    // another member means each stores partial windows.
    auto total = topic_partition_count();
    if (total > list->cnt)
      logf(log_level::warning, "kafka_source",
           "warning: %d of the %d partitions of %s are "
           "held by other members of consumer group %s; this node's "
           "windows count only its own partitions (give each node "
           "its own --group)",
           total - list->cnt, total, settings.topic.c_str(),
           settings.group.c_str());
  }
  for (auto& [p, info] : partitions)
    check_finished(p, info);
  publish(true);
}

void kafka_source_state::on_revoke(rd_kafka_topic_partition_list_t* list) {
  if (closing)
    return;
  if (cluster) {
    if (settings.metrics && !group_assigned.empty())
      settings.metrics->rebalances().Increment();
    while (!partitions.empty())
      drop_partition(partitions.begin());
    group_assigned.clear();
    group_ends.clear();
    holding = true;
    logf(log_level::info, "kafka_source",
         "%d partitions revoked by a consumer-group rebalance", list->cnt);
    report();
    publish(true);
    return;
  }
  int revoked = 0;
  for (int i = 0; i < list->cnt; ++i) {
    auto p = list->elems[i].partition;
    auto it = partitions.find(p);
    if (it == partitions.end())
      continue;
    drop_partition(it);
    ++revoked;
  }
  publish(true);
  if (revoked == 0)
    return;
  // The merger's state mixes every partition's records since the last
  // durable checkpoint, and the checkpoint in flight can no longer align
  // over the revoked partitions: both are abandoned, and the next
  // assignment resumes from the last durable checkpoint.
  resume_pending = true;
  auto abandoned = checkpoint_in_flight;
  checkpoint_in_flight = 0;
  if (settings.metrics)
    settings.metrics->rebalances().Increment();
  commit_from = next_checkpoint;
  std::string in_flight = abandoned == 0
                              ? std::string{}
                              : " (checkpoint " + std::to_string(abandoned)
                                    + ", in flight, is abandoned)";
  logf(log_level::info, "kafka_source",
       "%d partitions revoked by a consumer-group "
       "rebalance; what was read after checkpoint %llu is read again "
       "once partitions are assigned%s",
       revoked, static_cast<unsigned long long>(last_durable),
       in_flight.c_str());
  if (stopping && !drained) {
    // A graceful stop ends here: nothing read after the last durable
    // checkpoint will become durable in this run.
    drained = true;
    self->send(listener, atom::drained_v, last_durable);
  }
}

void kafka_source_state::drop_partition(
    std::unordered_map<int32_t, partition_info>::iterator it) {
  self->unlink_from(it->second.task);
  self->send_exit(it->second.task, caf::exit_reason::user_shutdown);
  // In a cluster the store rolls its merger back at every change instead.
  if (!cluster)
    self->send(merger, atom::revoke_v, it->first);
  if (settings.metrics)
    settings.metrics->release_partition(it->first);
  flow.revoke(it->first);
  if (stalls)
    stalls->forget(it->first);
  partitions.erase(it);
}

bool kafka_source_state::resume_after_rebalance() {
  source_resume fresh;
  std::string error = "the source cannot reload checkpoints";
  if (!settings.reload || !settings.reload(fresh, error)) {
    self->quit(caf::make_error(
        caf::sec::runtime_error,
        "kafka_source: cannot resume after a consumer-group rebalance: "
            + error));
    return false;
  }
  // Partitions kept through the rebalance go back to the checkpoint too.
  while (!partitions.empty())
    drop_partition(partitions.begin());
  resume_pending = false;
  settings.resume = std::move(fresh);
  epoch = next_source_epoch();
  next_checkpoint = std::max(next_checkpoint, settings.resume.checkpoint + 1);
  self->send(merger, atom::rollback_v, settings.resume.merger_state,
             settings.resume.checkpoint, epoch);
  logf(log_level::info, "kafka_source",
       "resuming from checkpoint %llu after the "
       "rebalance",
       static_cast<unsigned long long>(settings.resume.checkpoint));
  return true;
}

void kafka_source_state::publish(bool force) {
  if (!settings.metrics && !settings.status)
    return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_publish < publish_interval)
    return;
  last_publish = now;
  std::map<int32_t, int64_t> lag;
  int64_t in_flight = 0;
  for (auto& [p, info] : partitions) {
    in_flight += flow.in_flight(p);
    // Cached by librdkafka from fetch responses: no broker round trip.
    int64_t low = 0;
    int64_t high = -1;
    if (rd_kafka_get_watermark_offsets(rk, settings.topic.c_str(), p, &low,
                                       &high)
            == RD_KAFKA_RESP_ERR_NO_ERROR
        && high >= 0)
      lag[p] = std::max<int64_t>(0, high - info.next_offset);
  }
  detect_stalls(now, lag);
  std::map<int32_t, partition_position> positions;
  for (auto& [p, info] : partitions) {
    auto& pos = positions[p] = describe(p, info, settings.credit);
    if (auto it = lag.find(p); it != lag.end())
      pos.end_offset = info.next_offset + it->second;
    pos.stalled = stalls && stalls->is_stalled(p);
    pos.waiting_ms
        = stalls ? std::chrono::duration_cast<std::chrono::milliseconds>(
                       stalls->waiting_for(p, now))
                       .count()
                 : 0;
  }
  if (settings.metrics) {
    auto& m = *settings.metrics;
    m.inflight_batches().Set(static_cast<double>(in_flight));
    m.paused_partitions().Set(
        static_cast<double>(flow.count(flow_state::backpressure)));
    m.held_partitions().Set(static_cast<double>(flow.count(flow_state::held)));
    m.assigned_partitions().Set(static_cast<double>(partitions.size()));
    m.stalled_partitions().Set(
        static_cast<double>(stalls ? stalls->stalled() : 0));
    for (auto& [p, n] : lag)
      m.consumer_lag(p).Set(static_cast<double>(n));
  }
  if (settings.status) {
    settings.status->assigned = static_cast<int32_t>(partitions.size());
    settings.status->stalled
        = static_cast<int32_t>(stalls ? stalls->stalled() : 0);
    std::lock_guard<std::mutex> guard{settings.status->mtx};
    settings.status->lag = std::move(lag);
    settings.status->positions = std::move(positions);
  }
}

void kafka_source_state::send_pending(int32_t partition, partition_info& info) {
  if (source_partitions::send_pending(self, partition, info))
    apply_flow();
}

void kafka_source_state::apply_flow() {
  auto changes = flow.reconcile();
  if (changes.empty())
    return;
  auto* pause
      = rd_kafka_topic_partition_list_new(static_cast<int>(changes.size()));
  auto* resume
      = rd_kafka_topic_partition_list_new(static_cast<int>(changes.size()));
  for (const auto& c : changes)
    rd_kafka_topic_partition_list_add(c.pause ? pause : resume,
                                      settings.topic.c_str(), c.partition);
  if (pause->cnt > 0)
    rd_kafka_pause_partitions(rk, pause);
  if (resume->cnt > 0)
    rd_kafka_resume_partitions(rk, resume);
  rd_kafka_topic_partition_list_destroy(pause);
  rd_kafka_topic_partition_list_destroy(resume);
}

void kafka_source_state::detect_stalls(
    std::chrono::steady_clock::time_point now,
    const std::map<int32_t, int64_t>& lag) {
  if (!stalls)
    return;
  // While the broker is unreachable nothing can move: that is reported once
  // as the broker's outage (its own log line, /ready), not as a stall of
  // every partition with lag.
  bool broker_down = episodes->in_episode();
  std::vector<stall_detector::observation> readings;
  readings.reserve(partitions.size());
  for (auto& [p, info] : partitions) {
    auto it = lag.find(p);
    auto state = flow.state(p);
    readings.push_back(stall_detector::observation{
        p, static_cast<uint64_t>(info.next_offset) + info.acked,
        it == lag.end() ? -1 : it->second,
        broker_down || state == flow_state::held
            || state == flow_state::finished});
  }
  for (const auto& ep : stalls->observe(now, readings)) {
    auto secs = std::chrono::duration<double>(ep.duration).count();
    auto it = partitions.find(ep.partition);
    if (ep.stalled) {
      if (settings.metrics)
        settings.metrics->partition_stalls().Increment();
      logf(log_level::warning, "kafka_source",
           "partition %d of %s stalled: lag %lld, no progress "
           "for %.0f s (state %s, consumer %s, %u of %u batches "
           "unacknowledged, epoch %llu, %s); see docs/operations.md, "
           "\"Stalled partitions\"",
           ep.partition, settings.topic.c_str(), static_cast<long long>(ep.lag),
           secs, to_string(flow.state(ep.partition)),
           flow.consumer_paused(ep.partition) ? "paused" : "fetching",
           flow.in_flight(ep.partition), settings.credit,
           static_cast<unsigned long long>(epoch),
           it != partitions.end() && it->second.fetched
               ? "fetched since its assignment"
               : "nothing fetched since its assignment");
    } else {
      logf(log_level::info, "kafka_source",
           "partition %d of %s moves again after %.0f s "
           "stalled",
           ep.partition, settings.topic.c_str(), secs);
    }
  }
}

void kafka_source_state::check_finished(int32_t partition,
                                        partition_info& info) {
  if (settings.drain && finish_if_done(self, partition, info))
    apply_flow();
}

void kafka_source_state::on_poll() {
  if (drained || stopping)
    return;
  apply_hold();
  size_t taken = 0;
  int timeout = idle_poll_ms;
  while (taken < max_records_per_round) {
    auto* msg = rd_kafka_consumer_poll(rk, timeout);
    if (msg == nullptr)
      break;
    timeout = 0;
    std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)>
        guard{msg, rd_kafka_message_destroy};
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR
        && msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      kafka::report_error(rk, msg->err, rd_kafka_message_errstr(msg));
      continue;
    }
    auto it = partitions.find(msg->partition);
    if (it == partitions.end())
      continue;
    auto& info = it->second;
    info.fetched = true;
    // In queue order after any error event: ends an episode only if this
    // client's error event came first (cheap while there is none).
    episodes->success(rk);
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      send_pending(msg->partition, info);
      info.next_offset = std::max(info.next_offset, msg->offset);
      if (settings.drain)
        check_finished(msg->partition, info);
      else
        self->send(info.task, partition_end{msg->partition, info.next_offset,
                                            false, epoch});
      continue;
    }
    if (finished(msg->partition) || msg->offset < info.next_offset)
      continue; // beyond the drain end, or a duplicate after a seek
    ++taken;
    auto& batch = info.pending;
    append_record(batch, msg->offset, static_cast<const char*>(msg->payload),
                  msg->len);
    if (settings.drain && msg->offset + 1 >= info.end_offset) {
      send_pending(msg->partition, info);
      check_finished(msg->partition, info);
    } else if (batch.offsets.size() >= settings.max_batch) {
      send_pending(msg->partition, info);
    }
  }
  for (auto& [p, info] : partitions)
    send_pending(p, info);
  publish(false);
  if (!drained)
    self->send(self, atom::poll_v);
}

void kafka_source_state::on_ack(int32_t partition, uint64_t batch_epoch,
                                uint32_t batches) {
  if (batch_epoch != epoch)
    return; // a batch of a partition task dropped at a rebalance
  auto it = partitions.find(partition);
  if (it == partitions.end())
    return;
  it->second.acked += batches;
  flow.acked(partition, batches);
  apply_flow();
}

void kafka_source_state::on_tick() {
  if (cluster) {
    // The store starts checkpoints; the node only says it is alive.
    self->delayed_send(self, heartbeat_interval, atom::tick_v);
    send_heartbeat();
    return;
  }
  self->delayed_send(self, settings.checkpoint_interval, atom::tick_v);
  if (checkpoint_in_flight != 0 || partitions.empty() || all_finished()
      || stopping)
    return;
  begin_checkpoint();
}

void kafka_source_state::begin_checkpoint() {
  auto id = next_checkpoint++;
  if (inject_barriers(self, merger, id))
    apply_flow();
  checkpoint_in_flight = id;
  checkpoint_started = std::chrono::steady_clock::now();
}

void kafka_source_state::on_shutdown() {
  if (stopping || drained)
    return;
  if (cluster) {
    // Nothing is durable on an ingest node: the store replays what this
    // node read after its last checkpoint, on whichever node owns it next.
    stopping = true;
    drained = true;
    self->send(listener, atom::drained_v, last_durable);
    return;
  }
  // Stop reading, then make everything read so far durable: the checkpoint
  // in flight if there is one, else a new one.
  stopping = true;
  if (partitions.empty()) {
    drained = true;
    self->send(listener, atom::drained_v, last_durable);
    return;
  }
  if (checkpoint_in_flight == 0)
    begin_checkpoint();
  stop_checkpoint = checkpoint_in_flight;
}

void kafka_source_state::on_durable(const checkpoint_durable& msg) {
  next_checkpoint = std::max(next_checkpoint, msg.checkpoint + 1);
  last_durable = std::max(last_durable, msg.checkpoint);
  if (msg.checkpoint == checkpoint_in_flight) {
    checkpoint_in_flight = 0;
    if (settings.metrics)
      settings.metrics->checkpoint_duration().Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now()
                                        - checkpoint_started)
              .count());
  }
  if (settings.status)
    settings.status->last_durable_ms
        = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  std::vector<partition_offset> mine;
  for (const auto& po : msg.offsets)
    if (!cluster || partitions.count(po.partition) > 0)
      mine.push_back(po);
  if (!mine.empty() && msg.checkpoint >= commit_from) {
    auto* list
        = rd_kafka_topic_partition_list_new(static_cast<int>(mine.size()));
    for (const auto& po : mine)
      rd_kafka_topic_partition_list_add(list, settings.topic.c_str(),
                                        po.partition)
          ->offset
          = po.next_offset;
    bool final = settings.drain && all_finished();
    auto err = rd_kafka_commit(rk, list, final ? 0 : 1);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      episodes->notice("commit", "offset commit of checkpoint "
                                     + std::to_string(msg.checkpoint)
                                     + " failed: " + rd_kafka_err2str(err)
                                     + " (the database holds the offsets; "
                                       "only lag tools lag)");
  }
  if (stopping && !drained && msg.checkpoint >= stop_checkpoint) {
    drained = true;
    self->send(listener, atom::drained_v, msg.checkpoint);
    return;
  }
  if (settings.drain && all_finished() && !drained && !cluster) {
    // The merger only closes a checkpoint with every partition finished
    // once it flushed everything: this is the final one.
    if (covers_ends(msg)) {
      drained = true;
      self->send(listener, atom::drained_v, msg.checkpoint);
    }
  }
}

caf::behavior kafka_source_state::make_behavior(kafka_source_config settings,
                                                caf::actor merger,
                                                caf::actor dead_letters,
                                                task_factory make_task,
                                                caf::actor listener) {
  auto& st = *this;
  st.settings = std::move(settings);
  st.status = st.settings.status;
  st.merger = std::move(merger);
  st.dead_letters = std::move(dead_letters);
  st.make_task = std::move(make_task);
  st.listener = std::move(listener);
  st.epoch = next_source_epoch();
  st.cluster = !st.settings.store.empty();
  ++incarnations;
  // Whatever the merger applied after this checkpoint is replayed from the
  // stored offsets: roll it back first (same sender, so this arrives before
  // the partition assignments and batches). In a cluster the store does.
  if (!st.cluster)
    self->send(st.merger, atom::rollback_v, st.settings.resume.merger_state,
               st.settings.resume.checkpoint, st.epoch);
  if (auto err = st.start()) {
    self->quit(err);
    return {};
  }
  if (st.cluster) {
    store_link_config link;
    auto colon = st.settings.store.rfind(':');
    link.host = st.settings.store.substr(0, colon);
    link.port = static_cast<uint16_t>(
        std::stoul(st.settings.store.substr(colon + 1)));
    link.node_name = st.settings.node_name;
    link.connect = st.settings.connect_store;
    spawn_store_link(self->system(), std::move(link),
                     caf::actor_cast<caf::actor>(self));
  }
  self->send(self, atom::poll_v);
  self->delayed_send(self, st.settings.checkpoint_interval, atom::tick_v);
  return {
      [this](atom::poll) { on_poll(); },
      [this](atom::ack, int32_t partition, uint64_t epoch, uint32_t batches) {
        on_ack(partition, epoch, batches);
      },
      [this](atom::tick) { on_tick(); },
      [this](atom::shutdown) { on_shutdown(); },
      [this](const checkpoint_durable& msg) { on_durable(msg); },
      [](atom::final, uint64_t) {
        // The merger's final checkpoint of a drain: the source learns it
        // is durable from the writer (on_durable).
      },
      [this](store_link_event& ev) { on_link(ev); },
      [this](cluster_resume& msg) { on_resume(msg); },
      [this](atom::rejoin) { rejoin(); },
      [this](const cluster_barrier& msg) { on_cluster_barrier(msg); },
      [this](atom::drained, uint64_t checkpoint) {
        // A cluster drain is complete (the store says so).
        if (drained)
          return;
        drained = true;
        self->send(this->listener, atom::drained_v, checkpoint);
      },
  };
}

// -- cluster mode -------------------------------------------------------------

void kafka_source_state::introduce() {
  if (!coordinator)
    return;
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  node_hello hello;
  hello.name = settings.node_name;
  hello.role = settings.role;
  hello.address
      = std::string{host.data()} + " pid " + std::to_string(::getpid());
  topic_size = topic_partition_count();
  hello.topic_partitions = topic_size;
  self->send(coordinator, std::move(hello));
}

void kafka_source_state::rejoin() {
  if (!cluster || rk == nullptr)
    return;
  // The store saw this node claim partitions another node owns for longer
  // than a rebalance takes: this node's view of the group is stale (a
  // rebalance it was not told about). Leaving and joining again makes the
  // group send it its real assignment.
  logf(log_level::warning, "kafka_source",
       "the store sees partitions of this node owned by another node too; "
       "leaving and joining consumer group %s again",
       settings.group.c_str());
  hold_all();
  group_assigned.clear();
  group_ends.clear();
  report();
  rd_kafka_unsubscribe(rk);
  if (auto err = subscribe())
    self->quit(std::move(err));
}

void kafka_source_state::report() {
  if (!coordinator)
    return;
  if (topic_size < 0)
    topic_size = topic_partition_count();
  self->send(coordinator,
             assignment_report{group_assigned, group_ends, topic_size});
}

void kafka_source_state::hold_all() {
  while (!partitions.empty())
    drop_partition(partitions.begin());
  holding = true;
  checkpoint_in_flight = 0;
  // The consumer fetches nothing while the partitions wait: its assignment
  // is emptied (the group's stays), and the next generation assigns them
  // again at the store's offsets. Pausing instead would leave pause flags
  // that outlive the reassignment.
  //
  // An empty list, not none: inside the group's assign callback librdkafka
  // (2.0.2) takes assign(empty) as the answer to the group's assignment
  // and returns to its steady state, while unassign (none) leaves it
  // waiting for an assign call, a state in which it ignores the group's
  // next rebalances: a node then kept partitions the group had given to
  // another node, until the store started its generation.
  auto* empty = rd_kafka_topic_partition_list_new(0);
  rd_kafka_assign(rk, empty);
  rd_kafka_topic_partition_list_destroy(empty);
}

void kafka_source_state::on_resume(cluster_resume& msg) {
  if (msg.generation == 0) {
    // The store dropped this node (a heartbeat timeout): join again.
    hold_all();
    introduce();
    report();
    return;
  }
  hold_all();
  epoch = msg.generation;
  merger = std::move(msg.merger);
  dead_letters = std::move(msg.dead_letters);
  last_durable = std::max(last_durable, msg.checkpoint);
  if (!msg.run) {
    publish(true);
    return;
  }
  settings.resume.checkpoint = msg.checkpoint;
  settings.resume.merger_state.clear();
  settings.resume.offsets.clear();
  for (const auto& po : msg.offsets)
    settings.resume.offsets[po.partition] = po.next_offset;
  std::vector<int32_t> start;
  for (auto p : msg.partitions)
    if (std::find(group_assigned.begin(), group_assigned.end(), p)
        != group_assigned.end())
      start.push_back(p);
  holding = false;
  if (start.empty()) {
    publish(true);
    return;
  }
  auto* list
      = rd_kafka_topic_partition_list_new(static_cast<int>(start.size()));
  for (auto p : start)
    rd_kafka_topic_partition_list_add(list, settings.topic.c_str(), p);
  starting = true;
  on_assign(list);
  starting = false;
  rd_kafka_topic_partition_list_destroy(list);
}

void kafka_source_state::on_cluster_barrier(const cluster_barrier& msg) {
  if (msg.generation != epoch || holding || partitions.empty())
    return; // a new generation is on its way
  // The store's merger begins the checkpoint itself.
  if (inject_barriers(self, caf::actor{}, msg.checkpoint))
    apply_flow();
  checkpoint_in_flight = msg.checkpoint;
  checkpoint_started = std::chrono::steady_clock::now();
}

void kafka_source_state::on_link(store_link_event& ev) {
  if (ev.coordinator) {
    coordinator = std::move(ev.coordinator);
    introduce();
    report();
    return;
  }
  coordinator = caf::actor{};
  if (settings.metrics)
    settings.metrics->store_disconnects().Increment();
  // Bounded memory while the store is away: no task runs, the consumer
  // fetches nothing; the store's next generation restarts the partitions
  // from its last durable checkpoint.
  hold_all();
  publish(true);
}

void kafka_source_state::send_heartbeat() {
  if (!coordinator)
    return;
  if (topic_size < 0) {
    // The metadata request of the hello or the report failed (a busy
    // broker): the store cannot tell whether every partition has an owner
    // until it knows the topic's size, so ask again and report it.
    topic_size = topic_partition_count();
    if (topic_size >= 0)
      report();
  }
  node_heartbeat hb;
  int64_t lag = 0;
  bool known = false;
  for (auto& [p, info] : partitions) {
    hb.partitions.push_back(p);
    int64_t low = 0;
    int64_t high = -1;
    if (rd_kafka_get_watermark_offsets(rk, settings.topic.c_str(), p, &low,
                                       &high)
            == RD_KAFKA_RESP_ERR_NO_ERROR
        && high >= 0) {
      lag += std::max<int64_t>(0, high - info.next_offset);
      known = true;
    }
  }
  std::sort(hb.partitions.begin(), hb.partitions.end());
  hb.lag = known ? lag : -1;
  hb.restarts = incarnations.load() - 1;
  hb.generation = holding ? 0 : epoch;
  self->send(coordinator, std::move(hb));
}

} // namespace

caf::actor spawn_kafka_source_actor(caf::actor_system& sys,
                                    kafka_source_config settings,
                                    caf::actor merger, caf::actor dead_letters,
                                    task_factory make_task,
                                    caf::actor listener) {
  return spawn_stateful<kafka_source_state, caf::detached>(
      sys, std::move(settings), std::move(merger), std::move(dead_letters),
      std::move(make_task), std::move(listener));
}

} // namespace vigil
