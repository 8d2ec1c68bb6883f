#define BOOST_TEST_MODULE partial_coalescer
#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "actors/ingest/partial_coalescer.hpp"
#include "actors/ingest/partition_processor.hpp"
#include "support/records.hpp"

using namespace vigil;

namespace {

/// `n` seeded events over 5 services and about 40 s, some malformed, some
/// errors, latencies spread over three decades.
std::vector<std::string> events(size_t n, uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::vector<std::string> out;
  const char* services[] = {"api", "web", "db", "auth", "search"};
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 50 == 0) {
      out.emplace_back(R"({"timestamp":"yesterday","service":"api"})");
      continue;
    }
    auto second = 1 + (i * 40) / n;
    auto ms = rng() % 1000;
    auto latency = std::exp(std::uniform_real_distribution<double>{0, 7}(rng));
    int status = rng() % 20 == 0 ? 503 : 200;
    char ts[64];
    std::snprintf(ts, sizeof ts, "2026-01-01T00:00:%02d.%03dZ",
                  static_cast<int>(second), static_cast<int>(ms));
    out.push_back(R"({"timestamp":")" + std::string{ts} + R"(","service":")"
                  + services[rng() % 5] + R"(","status_code":)"
                  + std::to_string(status) + R"(,"latency_ms":)"
                  + std::to_string(latency) + "}");
  }
  return out;
}

/// Records [from, to) of `payloads`, at offsets first_offset + index.
record_batch make_batch(int64_t first_offset,
                        const std::vector<std::string>& payloads, size_t from,
                        size_t to) {
  auto begin = payloads.begin() + static_cast<std::ptrdiff_t>(from);
  auto end = payloads.begin() + static_cast<std::ptrdiff_t>(to);
  return test::make_batch(first_offset + static_cast<int64_t>(from),
                          std::vector<std::string>(begin, end));
}

partition_processor_config settings() {
  return test::processor_settings();
}

std::map<std::pair<std::string, int64_t>, window_aggregate>
by_window(const partial_batch& b) {
  std::map<std::pair<std::string, int64_t>, window_aggregate> out;
  for (const auto& p : b.partials) {
    auto [it, fresh]
        = out.emplace(std::make_pair(p.key, p.window_start), p.aggregate);
    BOOST_CHECK_MESSAGE(fresh, "window " << p.key << "@" << p.window_start
                                         << " listed twice");
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(combined_batches_equal_one_batch_of_all_their_records) {
  auto payloads = events(5000, 7);
  // Everything in one batch...
  partition_processor whole{4, settings()};
  auto all = whole.process(make_batch(1000, payloads, 0, payloads.size()),
                           INT64_MIN);
  // ...against 37 uneven batches combined 8 at a time.
  partition_processor parts{4, settings()};
  partial_coalescer co{8};
  std::vector<partial_batch> sent;
  std::mt19937_64 rng{11};
  size_t at = 0;
  size_t batches = 0;
  while (at < payloads.size()) {
    auto to = std::min(payloads.size(), at + 1 + rng() % 270);
    auto out = parts.process(make_batch(1000, payloads, at, to), INT64_MIN);
    out.partials.epoch = 3;
    ++batches;
    if (co.add(std::move(out.partials)))
      sent.push_back(co.take());
    at = to;
  }
  if (!co.empty())
    sent.push_back(co.take());
  BOOST_TEST(co.empty());
  // Whole groups of 8, then the rest.
  BOOST_REQUIRE(!sent.empty());
  uint32_t covered = 0;
  for (size_t i = 0; i < sent.size(); ++i) {
    if (i + 1 < sent.size())
      BOOST_TEST(sent[i].batches == 8u);
    covered += sent[i].batches;
    BOOST_TEST(sent[i].epoch == 3u);
    BOOST_TEST(sent[i].partition == 4);
  }
  BOOST_TEST(covered == batches);
  BOOST_TEST(sent.size() == (batches + 7) / 8);
  // Merging what was sent gives exactly the single batch's windows,
  // counters, offset and event time (sketches merge exactly).
  partial_coalescer total{1000};
  for (auto& b : sent)
    total.add(std::move(b));
  auto combined = total.take();
  BOOST_TEST(combined.batches == batches);
  BOOST_TEST(combined.next_offset == all.partials.next_offset);
  BOOST_TEST(combined.max_event_time == all.partials.max_event_time);
  BOOST_TEST(combined.counters.events == all.partials.counters.events);
  BOOST_TEST(combined.counters.invalid == all.partials.counters.invalid,
             boost::test_tools::per_element());
  BOOST_TEST(combined.counters.events > 4000u);
  auto want = by_window(all.partials);
  auto got = by_window(combined);
  BOOST_TEST(got.size() == want.size());
  BOOST_TEST(want.size() >= 20u); // 5 services x 4-5 windows
  for (const auto& [key, agg] : want) {
    auto it = got.find(key);
    BOOST_REQUIRE_MESSAGE(it != got.end(), "missing " << key.first);
    BOOST_TEST(it->second.count == agg.count);
    BOOST_TEST(it->second.errors == agg.errors);
    BOOST_TEST(it->second.late == agg.late);
    BOOST_REQUIRE(it->second.measures.size() == agg.measures.size());
    for (size_t m = 0; m < agg.measures.size(); ++m) {
      const auto& a = it->second.measures[m];
      const auto& b = agg.measures[m];
      BOOST_TEST_INFO(key.first << "@" << key.second << " measure " << m);
      BOOST_TEST(a.count == b.count);
      BOOST_TEST(a.min == b.min);
      BOOST_TEST(a.max == b.max);
      // Sums are added in another grouping: equal up to rounding.
      BOOST_TEST(a.sum == b.sum, boost::test_tools::tolerance(1e-12));
      // Sketches merge exactly.
      BOOST_TEST((a.sketch == b.sketch));
    }
  }
}

BOOST_AUTO_TEST_CASE(one_batch_per_message_when_not_combining) {
  partial_coalescer co{1};
  partial_batch b;
  b.partition = 2;
  b.next_offset = 10;
  b.counters.events = 3;
  BOOST_TEST(co.add(std::move(b)));
  auto out = co.take();
  BOOST_TEST(out.batches == 1u);
  BOOST_TEST(out.next_offset == 10);
  BOOST_TEST(out.counters.events == 3u);
  BOOST_TEST(co.empty());
  // max_batches 0 is taken as 1.
  partial_coalescer zero{0};
  BOOST_TEST(zero.add(partial_batch{}));
}

BOOST_AUTO_TEST_CASE(holds_until_full_and_keeps_the_epoch_and_newest_offset) {
  partial_coalescer co{3};
  for (int i = 0; i < 2; ++i) {
    partial_batch b;
    b.epoch = 9;
    b.next_offset = 100 + i;
    b.max_event_time = i == 0 ? 5000 : 4000; // out of order in event time
    b.counters.invalid = {0, static_cast<uint64_t>(i + 1)};
    BOOST_TEST(!co.add(std::move(b)));
    BOOST_TEST(!co.empty());
    BOOST_TEST(co.epoch() == 9u);
  }
  partial_batch third;
  third.epoch = 9;
  third.next_offset = 102;
  third.max_event_time = INT64_MIN; // a batch of only malformed records
  third.counters.invalid = {4};
  BOOST_TEST(co.add(std::move(third)));
  auto out = co.take();
  BOOST_TEST(out.batches == 3u);
  BOOST_TEST(out.next_offset == 102);
  BOOST_TEST(out.max_event_time == 5000);
  BOOST_TEST(out.counters.invalid == (std::vector<uint64_t>{4, 3}),
             boost::test_tools::per_element());
}
