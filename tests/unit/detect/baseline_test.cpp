#define BOOST_TEST_MODULE baseline
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <random>
#include <vector>

#include "actors/detect/baseline.hpp"

using namespace vigil;

namespace vigil {

std::ostream& operator<<(std::ostream& out, severity s) {
  return out << to_string(s);
}

} // namespace vigil

namespace {

constexpr double level = 100.0;

/// Gaussian noise around `level` with a 5 % standard deviation.
struct noise {
  explicit noise(uint64_t seed) : rng(seed), dist(level, 0.05 * level) {
    // nop
  }

  double operator()() {
    return dist(rng);
  }

  std::mt19937_64 rng;
  std::normal_distribution<double> dist;
};

ewma_baseline warmed_up(noise& gen, uint32_t steps = 200) {
  ewma_baseline baseline;
  for (uint32_t i = 0; i < steps; ++i)
    baseline.observe(gen());
  return baseline;
}

} // namespace

BOOST_AUTO_TEST_CASE(gaussian_noise_around_a_level_raises_nothing) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    noise gen{seed};
    ewma_baseline baseline;
    size_t anomalies = 0;
    for (int i = 0; i < 2000; ++i)
      if (baseline.observe(gen()).level != severity::none)
        ++anomalies;
    BOOST_TEST(anomalies == 0u, "seed " << seed);
  }
}

BOOST_AUTO_TEST_CASE(a_spike_after_warm_up_raises_at_least_medium) {
  noise gen{7};
  auto baseline = warmed_up(gen);
  auto verdict = baseline.observe(5 * level);
  BOOST_TEST(verdict.score > 0);
  BOOST_TEST(verdict.observed == 5 * level);
  BOOST_TEST(verdict.expected == level, boost::test_tools::tolerance(0.1));
  BOOST_TEST(static_cast<int>(verdict.level)
             >= static_cast<int>(severity::medium));
}

BOOST_AUTO_TEST_CASE(a_spike_does_not_move_the_baseline) {
  noise gen{8};
  auto baseline = warmed_up(gen);
  auto mean = baseline.mean();
  auto n = baseline.observations();
  baseline.observe(5 * level);
  BOOST_TEST(baseline.mean() == mean);
  BOOST_TEST(baseline.observations() == n);
  BOOST_TEST(baseline.anomalous_streak() == 1u);
}

BOOST_AUTO_TEST_CASE(nothing_is_raised_during_warm_up) {
  baseline_config settings;
  ewma_baseline baseline{settings};
  std::vector<double> wild{1, 1000, 2, 5000, 0, 1e6, 3, 10, 1e5, 7, 9, 1e4};
  BOOST_REQUIRE(wild.size() == settings.warmup);
  for (auto x : wild) {
    auto verdict = baseline.observe(x);
    BOOST_TEST(verdict.level == severity::none);
    BOOST_TEST(verdict.score == 0);
  }
  BOOST_TEST(baseline.observations() == settings.warmup);
}

BOOST_AUTO_TEST_CASE(drops_are_ignored_when_upper_only_and_raised_otherwise) {
  noise gen_a{9};
  noise gen_b{9};
  auto upper = warmed_up(gen_a);
  baseline_config two_sided_settings;
  two_sided_settings.upper_only = false;
  ewma_baseline two_sided{two_sided_settings};
  for (int i = 0; i < 200; ++i)
    two_sided.observe(gen_b());
  BOOST_TEST(upper.observe(0.1 * level).level == severity::none);
  auto verdict = two_sided.observe(0.1 * level);
  BOOST_TEST(verdict.score < 0);
  BOOST_TEST(verdict.level != severity::none);
}

BOOST_AUTO_TEST_CASE(a_long_incident_is_eventually_adapted_to) {
  noise gen{11};
  auto baseline = warmed_up(gen);
  baseline_config settings;
  size_t raised = 0;
  size_t last_raised = 0;
  for (size_t i = 1; i <= 300; ++i) {
    if (baseline.observe(5 * level).level != severity::none) {
      ++raised;
      last_raised = i;
    }
  }
  // The first `adapt_after` observations of the incident are all raised ...
  BOOST_TEST(raised >= settings.adapt_after);
  // ... then the baseline follows and the new level becomes normal.
  BOOST_TEST(last_raised < 300u);
  BOOST_TEST(baseline.observe(5 * level).level == severity::none);
  BOOST_TEST(baseline.mean() == 5 * level, boost::test_tools::tolerance(0.05));
  BOOST_TEST(baseline.anomalous_streak() == 0u);
}

BOOST_AUTO_TEST_CASE(restore_reproduces_identical_verdicts) {
  noise gen{13};
  auto original = warmed_up(gen, 100);
  original.observe(5 * level); // Leave a non-zero streak behind.
  ewma_baseline copy;
  copy.restore(original.observations(), original.mean(), original.variance(),
               original.anomalous_streak());
  noise tail_a{14};
  noise tail_b{14};
  for (int i = 0; i < 500; ++i) {
    auto x = i % 50 == 0 ? 4 * level : tail_a();
    auto y = i % 50 == 0 ? 4 * level : tail_b();
    auto a = original.observe(x);
    auto b = copy.observe(y);
    BOOST_TEST(a.score == b.score);
    BOOST_TEST(a.expected == b.expected);
    BOOST_TEST(a.level == b.level);
  }
}

BOOST_AUTO_TEST_CASE(classify_maps_multiples_of_the_threshold_to_severities) {
  BOOST_TEST(ewma_baseline::classify(3.99, 4) == severity::none);
  BOOST_TEST(ewma_baseline::classify(-10, 4) == severity::none);
  BOOST_TEST(ewma_baseline::classify(4, 4) == severity::low);
  BOOST_TEST(ewma_baseline::classify(5.99, 4) == severity::low);
  BOOST_TEST(ewma_baseline::classify(6, 4) == severity::medium);
  BOOST_TEST(ewma_baseline::classify(9.99, 4) == severity::medium);
  BOOST_TEST(ewma_baseline::classify(10, 4) == severity::high);
  BOOST_TEST(ewma_baseline::classify(15.99, 4) == severity::high);
  BOOST_TEST(ewma_baseline::classify(16, 4) == severity::critical);
  BOOST_TEST(std::string{to_string(severity::medium)} == "medium");
  BOOST_TEST(std::string{to_string(severity::critical)} == "critical");
}

BOOST_AUTO_TEST_CASE(non_finite_observations_are_not_folded_in) {
  noise gen{15};
  auto baseline = warmed_up(gen);
  auto n = baseline.observations();
  auto verdict = baseline.observe(std::nan(""));
  BOOST_TEST(verdict.level == severity::none);
  BOOST_TEST(baseline.observations() == n);
}
