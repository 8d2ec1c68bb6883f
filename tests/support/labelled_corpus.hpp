#pragma once

// A seeded corpus of labelled univariate series for evaluating detectors:
// daily and weekly seasonality, trends, noise regimes, and injected
// anomalies of each kind with their windows marked.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::test {

/// The kind of an injected anomaly; `none` marks a noise-only series.
enum class anomaly_kind : uint8_t {
  none,
  spike,
  dip,
  level_shift,
  variance_change,
  seasonality_break,
  slow_drift,
};

/// All kinds that are injected (not `none`).
inline constexpr anomaly_kind injected_kinds[] = {
    anomaly_kind::spike,
    anomaly_kind::dip,
    anomaly_kind::level_shift,
    anomaly_kind::variance_change,
    anomaly_kind::seasonality_break,
    anomaly_kind::slow_drift,
};

const char* to_string(anomaly_kind kind) noexcept;

/// Samples [begin, end) of a series are anomalous.
struct anomaly_window {
  size_t begin = 0;
  size_t end = 0;
};

/// One generated series.
struct labelled_series {
  std::string name;
  anomaly_kind kind = anomaly_kind::none;
  std::vector<int64_t> t_ms;
  std::vector<double> values;
  std::vector<anomaly_window> windows;
  /// Samples before this are warm-up: not evaluated.
  size_t eval_begin = 0;
};

/// Shape of a corpus.
struct corpus_config {
  /// Days per series, sampled every `step_ms`.
  size_t days = 35;
  int64_t step_ms = 5 * 60 * 1000;
  /// Evaluation starts on this day (two weeks: a weekly cycle can be
  /// learned); anomalies are injected after it.
  size_t eval_begin_day = 14;
  /// Series per injected kind, and noise-only series.
  size_t series_per_kind = 8;
  size_t noise_only = 8;
};

/// One series of `kind` (two anomalies of that kind; none for `none`),
/// fully determined by `seed`. Regimes are drawn at random: no, daily or
/// daily plus weekly seasonality (always seasonal for seasonality_break;
/// never for noise-only), a trend (not for noise-only), Gaussian,
/// heavy-tailed (Student t, 4 degrees of freedom) or count (Poisson) noise.
labelled_series make_series(uint64_t seed, anomaly_kind kind,
                            const corpus_config& config = {});

/// `series_per_kind` series of each injected kind and `noise_only`
/// noise-only series, seeded from `seed`.
std::vector<labelled_series> make_corpus(uint64_t seed,
                                         const corpus_config& config = {});

} // namespace vigil::test
