#define BOOST_TEST_MODULE dead_letter_ledger
#include <boost/test/unit_test.hpp>

#include <optional>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "actors/ingest/dead_letter_ledger.hpp"

using namespace vigil;

namespace {

std::vector<partition_offset> offsets(std::vector<std::pair<int, int>> xs) {
  std::vector<partition_offset> out;
  for (auto [p, o] : xs)
    out.push_back({p, o});
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_letter_found_on_the_topic_is_not_produced_again) {
  dead_letter_ledger ledger{offsets({{0, 100}, {1, 50}})};
  ledger.found(0, 120, 0, 7);
  ledger.found(1, 50, 0, 8);
  BOOST_CHECK(!ledger.admit(0, 120));
  BOOST_CHECK(!ledger.admit(1, 50));
  BOOST_CHECK(ledger.admit(0, 121));
  BOOST_CHECK(ledger.admit(2, 7)); // a partition without a checkpoint
  BOOST_CHECK_EQUAL(ledger.size(), 4u);
}

BOOST_AUTO_TEST_CASE(letters_found_below_the_replay_start_are_not_kept) {
  dead_letter_ledger ledger{offsets({{0, 100}})};
  ledger.found(0, 99, 0, 1);
  ledger.found(0, 3, 0, 2);
  BOOST_CHECK_EQUAL(ledger.size(), 0u);
  ledger.found(3, 3, 0, 3); // no checkpoint for partition 3: from 0
  BOOST_CHECK_EQUAL(ledger.size(), 1u);
}

BOOST_AUTO_TEST_CASE(
    a_letter_produced_once_is_refused_when_its_record_replays) {
  // A source restarted inside the process replays from the checkpoint: the
  // ledger remembers what this producer wrote since.
  dead_letter_ledger ledger;
  BOOST_CHECK(ledger.admit(4, 10));
  BOOST_CHECK(ledger.admit(4, 11));
  BOOST_CHECK(!ledger.admit(4, 10));
  BOOST_CHECK(!ledger.admit(4, 11));
  BOOST_CHECK(ledger.admit(4, 12));
}

BOOST_AUTO_TEST_CASE(a_durable_checkpoint_forgets_the_letters_below_it) {
  dead_letter_ledger ledger;
  for (int64_t o = 0; o < 10; ++o) {
    ledger.admit(0, o);
    ledger.admit(1, o);
  }
  ledger.durable(offsets({{0, 6}, {1, 10}, {2, 5}}));
  BOOST_CHECK_EQUAL(ledger.size(), 4u); // partition 0: 6..9
  // Below a durable checkpoint a record is never replayed; a stale letter of
  // an earlier source incarnation is on the topic already.
  BOOST_CHECK(!ledger.admit(0, 5));
  BOOST_CHECK(!ledger.admit(2, 4));
  BOOST_CHECK(!ledger.admit(0, 6));
  BOOST_CHECK(ledger.admit(0, 10));
  // An older checkpoint does not lower the floor.
  ledger.durable(offsets({{0, 2}}));
  BOOST_CHECK(!ledger.admit(0, 3));
}

BOOST_AUTO_TEST_CASE(each_checkpoint_stores_the_positions_taken_before_it) {
  dead_letter_ledger ledger;
  ledger.start_positions(offsets({{0, 40}}));
  BOOST_CHECK(!ledger.moved());
  ledger.admit(0, 1);
  BOOST_CHECK(ledger.moved());
  // Checkpoint 1 stores the start positions; its flush's positions are for
  // checkpoint 2, whose barrier comes after that flush.
  auto first = ledger.checkpoint(offsets({{0, 41}}));
  BOOST_REQUIRE_EQUAL(first.size(), 1u);
  BOOST_CHECK_EQUAL(first[0].next_offset, 40);
  BOOST_CHECK(!ledger.moved());
  // Checkpoint 1 covers the letter's record: checkpoint 2 stores the
  // positions of checkpoint 1's flush.
  ledger.durable(offsets({{0, 5}}));
  auto second = ledger.checkpoint(ledger.positions());
  BOOST_REQUIRE_EQUAL(second.size(), 1u);
  BOOST_CHECK_EQUAL(second[0].next_offset, 41);
}

BOOST_AUTO_TEST_CASE(
    a_letter_no_checkpoint_covers_keeps_the_positions_before_it) {
  // A source restarted inside the process replays from checkpoint offset 0:
  // the letter of record 30, produced before the last flush, may lie beyond
  // the new source's checkpoints until one covers it.
  dead_letter_ledger ledger{offsets({{0, 0}})};
  ledger.start_positions(offsets({{0, 100}}));
  BOOST_CHECK(ledger.admit(0, 30));
  BOOST_CHECK_EQUAL(ledger.checkpoint(offsets({{0, 101}}))[0].next_offset, 100);
  BOOST_CHECK_EQUAL(ledger.checkpoint(offsets({{0, 102}}))[0].next_offset, 100);
  ledger.durable(offsets({{0, 20}}));
  BOOST_CHECK_EQUAL(ledger.checkpoint(offsets({{0, 103}}))[0].next_offset, 100);
  ledger.durable(offsets({{0, 31}}));
  BOOST_CHECK_EQUAL(ledger.checkpoint(offsets({{0, 104}}))[0].next_offset, 103);
}

BOOST_AUTO_TEST_CASE(letters_found_beyond_a_checkpoint_keep_its_positions) {
  // A killed incarnation dead-lettered offsets 10..50 of partition 0 at
  // topic positions 0..4, beyond the durable checkpoint (offset 0).
  dead_letter_ledger ledger{offsets({{0, 0}})};
  for (int i = 0; i < 5; ++i)
    ledger.found(0, 10 * (i + 1), 0, i);
  ledger.start_positions(offsets({{0, 5}}));
  BOOST_CHECK(!ledger.admit(0, 10));
  BOOST_CHECK(!ledger.admit(0, 20));
  // This incarnation's checkpoint at offset 25 must store a position before
  // the letters of 30, 40 and 50: a restart from it replays them.
  auto first = ledger.checkpoint(offsets({{0, 5}}));
  BOOST_REQUIRE_EQUAL(first.size(), 1u);
  BOOST_CHECK_LE(first[0].next_offset, 2);
  ledger.durable(offsets({{0, 25}}));
  auto second = ledger.checkpoint(offsets({{0, 5}}));
  BOOST_REQUIRE_EQUAL(second.size(), 1u);
  BOOST_CHECK_EQUAL(second[0].next_offset, 2); // the letter of 30
  ledger.durable(offsets({{0, 60}}));
  auto third = ledger.checkpoint(offsets({{0, 5}}));
  BOOST_REQUIRE_EQUAL(third.size(), 1u);
  BOOST_CHECK_EQUAL(third[0].next_offset, 5);
}

BOOST_AUTO_TEST_CASE(replays_after_random_crashes_produce_each_letter_once) {
  // A model of the node: one partition, every 7th record invalid. Each
  // incarnation of the source starts from the durable checkpoint, takes
  // barriers at seeded offsets, and makes a checkpoint durable only after
  // processing some records behind its barrier (alignment); it stops at a
  // seeded moment, often short of where an earlier incarnation had
  // dead-lettered records: the whole process killed, or the source alone
  // restarted while the producer keeps running.
  std::mt19937_64 rng{77};
  const int64_t end = 3000;
  std::vector<std::pair<int64_t, int64_t>> topic; // (position, source offset)
  int64_t checkpoint = 0;                         // durable source offset
  int64_t stored_position = 0;
  std::uniform_int_distribution<int64_t> gap{10, 120};
  std::uniform_int_distribution<int64_t> life{0, 400};
  std::bernoulli_distribution whole_process{0.6};
  int incarnations = 0;
  std::optional<dead_letter_ledger> kept;
  while (true) {
    ++incarnations;
    if (!kept || whole_process(rng)) {
      // A new process: the producer reads the topic after the positions.
      kept.emplace(offsets({{0, static_cast<int>(checkpoint)}}));
      for (auto i = stored_position; i < static_cast<int64_t>(topic.size());
           ++i)
        kept->found(0, topic[i].second, 0, i);
      kept->start_positions(offsets({{0, static_cast<int>(topic.size())}}));
    } // else only the source restarted: the producer keeps its ledger
    auto& ledger = *kept;
    auto crash = checkpoint + life(rng);
    auto barrier = checkpoint + gap(rng);
    auto flush_at = barrier + gap(rng);
    bool crashed = false;
    for (int64_t o = checkpoint; o < end; ++o) {
      if (o == crash) {
        crashed = true;
        break;
      }
      if (o % 7 == 3 && ledger.admit(0, o))
        topic.emplace_back(static_cast<int64_t>(topic.size()), o);
      if (o + 1 == flush_at) { // the checkpoint at `barrier` commits
        auto positions
            = ledger.checkpoint(offsets({{0, static_cast<int>(topic.size())}}));
        checkpoint = barrier;
        stored_position = positions[0].next_offset;
        ledger.durable(offsets({{0, static_cast<int>(checkpoint)}}));
        barrier = o + 1 + gap(rng);
        flush_at = barrier + gap(rng);
      }
    }
    if (!crashed)
      break;
  }
  BOOST_TEST_MESSAGE(incarnations << " incarnations");
  BOOST_CHECK_GT(incarnations, 10);
  std::set<int64_t> seen;
  for (auto& [pos, o] : topic)
    BOOST_CHECK_MESSAGE(seen.insert(o).second, "duplicate letter " << o);
  BOOST_CHECK_EQUAL(seen.size(), static_cast<size_t>((end - 3 + 6) / 7));
}
