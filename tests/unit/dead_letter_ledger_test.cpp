#define BOOST_TEST_MODULE dead_letter_ledger
#include <boost/test/unit_test.hpp>

#include <random>
#include <set>
#include <utility>
#include <vector>

#include "actors/dead_letter_ledger.hpp"

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
  ledger.found(0, 120);
  ledger.found(1, 50);
  BOOST_CHECK(!ledger.admit(0, 120));
  BOOST_CHECK(!ledger.admit(1, 50));
  BOOST_CHECK(ledger.admit(0, 121));
  BOOST_CHECK(ledger.admit(2, 7)); // a partition without a checkpoint
  BOOST_CHECK_EQUAL(ledger.size(), 4u);
}

BOOST_AUTO_TEST_CASE(letters_found_below_the_replay_start_are_not_kept) {
  dead_letter_ledger ledger{offsets({{0, 100}})};
  ledger.found(0, 99);
  ledger.found(0, 3);
  BOOST_CHECK_EQUAL(ledger.size(), 0u);
  ledger.found(3, 3); // no checkpoint for partition 3: replayed from 0
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
  auto second = ledger.checkpoint(ledger.positions());
  BOOST_REQUIRE_EQUAL(second.size(), 1u);
  BOOST_CHECK_EQUAL(second[0].next_offset, 41);
}

BOOST_AUTO_TEST_CASE(replays_after_random_crashes_produce_each_letter_once) {
  // A model of the node: one partition, every 7th record invalid, crashes at
  // seeded moments. The topic gets each letter exactly once when every new
  // ledger starts from what the topic holds after the stored positions.
  std::mt19937_64 rng{77};
  const int64_t end = 2000;
  std::vector<std::pair<int64_t, int64_t>> topic; // (position, source offset)
  int64_t checkpoint = 0;                         // durable source offset
  size_t stored_position = 0;
  while (true) {
    dead_letter_ledger ledger{offsets({{0, static_cast<int>(checkpoint)}})};
    for (size_t i = stored_position; i < topic.size(); ++i)
      ledger.found(0, topic[i].second);
    ledger.start_positions(offsets({{0, static_cast<int>(topic.size())}}));
    std::uniform_int_distribution<int64_t> crash_at{checkpoint, end + 300};
    auto crash = crash_at(rng);
    bool crashed = false;
    for (int64_t o = checkpoint; o < end; ++o) {
      if (o == crash) {
        crashed = true;
        break;
      }
      if (o % 7 == 3 && ledger.admit(0, o))
        topic.emplace_back(static_cast<int64_t>(topic.size()), o);
      if (o % 100 == 99) { // a checkpoint at o + 1: flush, then commit
        auto positions
            = ledger.checkpoint(offsets({{0, static_cast<int>(topic.size())}}));
        checkpoint = o + 1;
        stored_position = static_cast<size_t>(positions[0].next_offset);
        ledger.durable(offsets({{0, static_cast<int>(checkpoint)}}));
      }
    }
    if (!crashed)
      break;
  }
  std::set<int64_t> seen;
  for (auto& [pos, o] : topic)
    BOOST_CHECK_MESSAGE(seen.insert(o).second, "duplicate letter " << o);
  BOOST_CHECK_EQUAL(seen.size(), static_cast<size_t>((end - 3 + 6) / 7));
}
