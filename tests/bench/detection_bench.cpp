// Detection quality on the labelled corpus (tests/support/labelled_corpus):
// precision, recall and F1 over anomaly windows, detection delay and false
// alarms on noise-only series, per anomaly kind, for each detector alone,
// their combination, and the EWMA baseline of the live detector.
//
// Usage: detection_bench [tuning_seed=1] [report_seed=2] [series_per_kind=24]
//
// Thresholds are chosen on the corpus of `tuning_seed` (a grid per method,
// maximising F1 pooled over every series, noise-only ones included, so a
// false alarm anywhere costs precision) and reported on the corpus of
// `report_seed`. Anomalous samples are grouped into incidents by
// incident_limiter (30 min clean period): an incident is a true positive if
// one of its anomalous samples lies in a window extended by one hour (a
// level shift is often confirmed late); a window is found if any anomalous
// sample lies in its extended span; the delay is from the window's start to
// that sample. Samples of the first two weeks are warm-up, not evaluated.

#include "actors/detect/anomaly_scorer.hpp"
#include "actors/detect/baseline.hpp"
#include "actors/detect/detector.hpp"
#include "actors/detect/incident_limiter.hpp"
#include "actors/detect/live_detector.hpp"
#include "support/labelled_corpus.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

using namespace vigil;
using namespace vigil::test;

namespace {

/// Anomalous samples of a series, one flag per sample.
using flagger = std::function<std::vector<char>(const labelled_series&)>;

/// A method with one tunable parameter.
struct method {
  std::string name;
  std::vector<double> grid;
  std::function<flagger(double)> make;
  double chosen = 0;
};

struct tally {
  size_t episodes = 0;
  size_t true_episodes = 0;
  size_t windows = 0;
  size_t found = 0;
  std::vector<double> delays; // samples
  double evaluated_days = 0;

  void add(const tally& o) {
    episodes += o.episodes;
    true_episodes += o.true_episodes;
    windows += o.windows;
    found += o.found;
    delays.insert(delays.end(), o.delays.begin(), o.delays.end());
    evaluated_days += o.evaluated_days;
  }

  double precision() const {
    return episodes == 0 ? 1.0 : double(true_episodes) / double(episodes);
  }

  double recall() const {
    return windows == 0 ? 0.0 : double(found) / double(windows);
  }

  double f1() const {
    auto p = precision();
    auto r = recall();
    return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
  }

  double median_delay() const {
    if (delays.empty())
      return -1;
    auto d = delays;
    std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
    return d[d.size() / 2];
  }
};

constexpr size_t tolerance = 12; // one hour of 5-minute samples

tally evaluate(const labelled_series& s, const std::vector<char>& flags) {
  tally t;
  t.windows = s.windows.size();
  t.evaluated_days = double(s.values.size() - s.eval_begin) / 288.0;
  auto in_window = [&](size_t i) {
    for (auto& w : s.windows)
      if (i >= w.begin && i < w.end + tolerance)
        return true;
    return false;
  };
  incident_limiter limiter;
  bool episode_true = false;
  auto close = [&]() {
    ++t.episodes;
    if (episode_true)
      ++t.true_episodes;
    episode_true = false;
  };
  for (size_t i = s.eval_begin; i < s.values.size(); ++i) {
    scored_point p;
    p.score = flags[i] ? 1.0 : 0.0;
    for (auto& e : limiter.observe(s.t_ms[i], p))
      if (e.what == incident_event::kind::closed)
        close();
    if (flags[i] && in_window(i))
      episode_true = true;
  }
  if (limiter.finish(s.t_ms.back()))
    close();
  for (auto& w : s.windows)
    for (size_t i = w.begin; i < w.end + tolerance && i < flags.size(); ++i)
      if (flags[i]) {
        ++t.found;
        t.delays.push_back(double(i - w.begin));
        break;
      }
  return t;
}

/// Per kind (noise-only under anomaly_kind::none) and pooled.
struct report {
  std::map<anomaly_kind, tally> by_kind;
  tally pooled;
};

report run(const std::vector<labelled_series>& corpus, const flagger& f) {
  report r;
  for (auto& s : corpus) {
    auto t = evaluate(s, f(s));
    r.by_kind[s.kind].add(t);
    r.pooled.add(t);
  }
  return r;
}

flagger scorer_flags(detection_config config) {
  return [config](const labelled_series& s) {
    anomaly_scorer scorer(config);
    std::vector<char> flags(s.values.size());
    for (size_t i = 0; i < s.values.size(); ++i)
      flags[i] = scorer.observe(s.t_ms[i], s.values[i]).anomalous() ? 1 : 0;
    return flags;
  };
}

flagger ewma_flags(double threshold) {
  return [threshold](const labelled_series& s) {
    // The live detector's settings for a two-sided metric (request rate).
    auto settings = detector_config::request_rate_defaults();
    settings.threshold = threshold;
    ewma_baseline baseline(settings);
    std::vector<char> flags(s.values.size());
    for (size_t i = 0; i < s.values.size(); ++i)
      flags[i] = baseline.observe(s.values[i]).level != severity::none;
    return flags;
  };
}

std::vector<method> methods() {
  std::vector<method> out;
  std::vector<double> z_grid = {3, 4, 5, 6, 7, 8, 10, 12};
  out.push_back({"ewma (live defaults, z>=4)", {4}, ewma_flags});
  out.push_back({"ewma (threshold tuned)", z_grid, ewma_flags});
  out.push_back({"robust baseline (median/MAD z)", z_grid, [](double z) {
                   detection_config c;
                   c.seasonality.enabled = false;
                   c.change_point.enabled = false;
                   c.spike.threshold = z;
                   return scorer_flags(c);
                 }});
  out.push_back({"seasonality + spike", z_grid, [](double z) {
                   detection_config c;
                   c.change_point.enabled = false;
                   c.spike.threshold = z;
                   return scorer_flags(c);
                 }});
  out.push_back(
      {"change point (CUSUM)", {4, 6, 8, 10, 14, 20, 30}, [](double h) {
         detection_config c;
         c.spike.enabled = false;
         c.change_point.threshold = h;
         c.change_point.variance_threshold = 1.2 * h;
         return scorer_flags(c);
       }});
  // The combination: one sensitivity over the default thresholds.
  out.push_back({"combination, no seasonality",
                 {0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4},
                 [](double sens) {
                   detection_config c;
                   c.seasonality.enabled = false;
                   c.sensitivity = sens;
                   return scorer_flags(c);
                 }});
  out.push_back(
      {"combination", {0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4}, [](double sens) {
         detection_config c;
         c.sensitivity = sens;
         return scorer_flags(c);
       }});
  // What the live pipeline runs for traffic (live_detector.hpp): the level
  // follows its trend; then also its scale floor and minimum history.
  out.push_back({"combination, trend-following level",
                 {0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4},
                 [](double sens) {
                   detection_config c;
                   c.baseline.follow_trend = true;
                   c.sensitivity = sens;
                   return scorer_flags(c);
                 }});
  out.push_back(
      {"combination, live request-rate defaults",
       {0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4},
       [](double sens) {
         auto c = live_detection_config::request_rate_defaults().detection;
         c.sensitivity = sens;
         return scorer_flags(c);
       }});
  return out;
}

void print_table(const std::vector<method>& ms,
                 const std::vector<report>& reports) {
  std::printf("\nF1 per anomaly kind (report seeds)\n\n| method | param |");
  for (auto kind : injected_kinds)
    std::printf(" %s |", to_string(kind));
  std::printf("\n|---|---|");
  for (size_t k = 0; k < std::size(injected_kinds); ++k)
    std::printf("---|");
  std::printf("\n");
  for (size_t m = 0; m < ms.size(); ++m) {
    std::printf("| %s | %g |", ms[m].name.c_str(), ms[m].chosen);
    for (auto kind : injected_kinds)
      std::printf(" %.2f |", reports[m].by_kind.at(kind).f1());
    std::printf("\n");
  }
  std::printf("\nOverall (report seeds; delay in 5-minute samples, median "
              "over found windows)\n\n| method | precision | recall | F1 | "
              "delay | false alarms on noise-only, per series-week |\n"
              "|---|---|---|---|---|---|\n");
  for (size_t m = 0; m < ms.size(); ++m) {
    tally anomalous;
    for (auto kind : injected_kinds)
      anomalous.add(reports[m].by_kind.at(kind));
    auto& noise = reports[m].by_kind.at(anomaly_kind::none);
    std::printf("| %s | %.2f | %.2f | %.2f | %.0f | %.2f |\n",
                ms[m].name.c_str(), anomalous.precision(), anomalous.recall(),
                anomalous.f1(), anomalous.median_delay(),
                double(noise.episodes) / (noise.evaluated_days / 7));
  }
  std::printf("\nDelay per kind (median samples)\n\n| method |");
  for (auto kind : injected_kinds)
    std::printf(" %s |", to_string(kind));
  std::printf("\n|---|");
  for (size_t k = 0; k < std::size(injected_kinds); ++k)
    std::printf("---|");
  std::printf("\n");
  for (size_t m = 0; m < ms.size(); ++m) {
    std::printf("| %s |", ms[m].name.c_str());
    for (auto kind : injected_kinds)
      std::printf(" %.0f |", reports[m].by_kind.at(kind).median_delay());
    std::printf("\n");
  }
}

} // namespace

int main(int argc, char** argv) {
  uint64_t tuning_seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
  uint64_t report_seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2;
  // 24 series per kind: with 8, one seed pair's per-kind F1 swings by
  // 0.1-0.2 (16 windows per kind).
  corpus_config cc;
  cc.series_per_kind = cc.noise_only
      = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 24;
  auto start = std::chrono::steady_clock::now();
  auto tuning = make_corpus(tuning_seed, cc);
  auto reporting = make_corpus(report_seed, cc);
  std::printf("corpus: %zu series per kind + %zu noise-only, %zu days of "
              "5-minute samples each; tuning seed %llu, report seed %llu\n",
              cc.series_per_kind, cc.noise_only, cc.days,
              static_cast<unsigned long long>(tuning_seed),
              static_cast<unsigned long long>(report_seed));
  auto ms = methods();
  std::vector<report> reports;
  for (auto& m : ms) {
    double best = -1;
    std::printf("tuning %s:", m.name.c_str());
    for (auto v : m.grid) {
      auto f1 = run(tuning, m.make(v)).pooled.f1();
      std::printf(" %g->%.3f", v, f1);
      if (f1 > best) {
        best = f1;
        m.chosen = v;
      }
    }
    std::printf("  chosen %g\n", m.chosen);
    std::fflush(stdout);
    reports.push_back(run(reporting, m.make(m.chosen)));
  }
  print_table(ms, reports);
  auto& ewma = reports[0];
  auto named = std::find_if(ms.begin(), ms.end(), [](const method& m) {
    return m.name == "combination";
  });
  auto& combo = reports[static_cast<size_t>(named - ms.begin())];
  bool beats = true;
  for (auto kind : injected_kinds)
    if (!(combo.by_kind.at(kind).f1() > ewma.by_kind.at(kind).f1())) {
      beats = false;
      std::printf("goal missed: combination F1 %.2f <= ewma F1 %.2f on %s\n",
                  combo.by_kind.at(kind).f1(), ewma.by_kind.at(kind).f1(),
                  to_string(kind));
    }
  auto fa_ewma = ewma.by_kind.at(anomaly_kind::none).episodes;
  auto fa_combo = combo.by_kind.at(anomaly_kind::none).episodes;
  std::printf("\ngoal: combination beats ewma (live defaults) F1 on every "
              "kind: %s; noise-only false alarms %zu vs ewma %zu: %s\n",
              beats ? "yes" : "no", fa_combo, fa_ewma,
              2 * fa_combo <= fa_ewma ? "halved" : "NOT halved");
  std::printf(
      "bench time %.1f s\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  return 0;
}
