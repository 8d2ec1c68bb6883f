#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/detect/detector.hpp"

namespace vigil {

struct kind_schema;

/// The detector of declared event kinds (runtime/event_kind.hpp), judging
/// each window of each key by the kind's rules:
/// - band: a measure with a healthy band is anomalous when a reading of the
///   window left it (the window's min or max, else its mean or last value,
///   lies outside); observed is that reading, expected the crossed bound;
/// - jump: the close of the jump rule's measure moved (close, high or low
///   against the previous close, log return) more than `sigma` standard
///   deviations of the key's recent close-to-close returns, and at least
///   the rule's `min_move`.
/// The score rises from 0.5 at the threshold to 1 at three times it (band:
/// at half the band's width beyond it). Plain class: the detector actor
/// drives it.
class kind_detector : public window_detector {
public:
  /// Name written to `anomaly_row::detector` is "band" or "jump"; this names
  /// the detector in snapshots.
  static constexpr const char* name = "kind";

  kind_detector(std::shared_ptr<const kind_schema> kind, size_t max_keys);

  std::string snapshot() const override;

  bool restore(std::string_view json) override;

  size_t services() const noexcept override {
    return keys_.size();
  }

  uint64_t overflow() const noexcept override {
    return overflow_;
  }

protected:
  std::vector<anomaly_row> judge(const window_row& row,
                                 int64_t now_ms) override;

private:
  /// Where a measure's statistics are among a row's values (npos: absent).
  struct columns {
    size_t min = npos;
    size_t max = npos;
    size_t mean = npos;
    size_t last = npos;
  };

  struct key_state {
    int64_t last_scored = INT64_MIN;
    /// Previous close of the jump measure (0: none yet).
    double close = 0;
    /// Recent close-to-close log returns, oldest first.
    std::deque<double> returns;
  };

  static constexpr size_t npos = static_cast<size_t>(-1);

  void judge_bands(const window_row& row, int64_t now_ms,
                   std::vector<anomaly_row>& out) const;

  void judge_jump(const window_row& row, key_state& state, int64_t now_ms,
                  std::vector<anomaly_row>& out) const;

  std::shared_ptr<const kind_schema> kind_;
  size_t max_keys_;
  std::vector<columns> columns_;
  std::map<std::string, key_state, std::less<>> keys_;
  uint64_t overflow_ = 0;
};

} // namespace vigil
