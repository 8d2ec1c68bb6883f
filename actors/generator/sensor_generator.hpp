#pragma once

// A seeded generator of IoT sensor readings with scripted faults (drift,
// stuck, out_of_range, missing, malformed); no I/O, no clock.
//
// {"timestamp":"2026-01-11T23:09:52.214Z","sensor_id":"sensor-0001",
//  "site":"greenhouse-a","ph":6.42,"temperature_c":21.7,"humidity_pct":58.3,
//  "ec_ms_cm":1.84}

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "actors/generator/generator_common.hpp"

namespace vigil {

/// The ranges of one measure of a sensor reading.
struct sensor_measure {
  /// JSON field name.
  const char* name;
  /// Physically possible values: [valid_lo, valid_hi]; outside is a dead
  /// letter.
  double valid_lo;
  double valid_hi;
  /// Healthy values: [healthy_lo, healthy_hi]; outside is an anomaly.
  double healthy_lo;
  double healthy_hi;
  /// Decimals printed (2 or 3).
  int decimals;
};

/// Number of measures of a reading.
constexpr size_t sensor_measure_count = 4;

/// ph, temperature_c, humidity_pct, ec_ms_cm, in field order.
constexpr std::array<sensor_measure, sensor_measure_count> sensor_measures{{
    {"ph", 0, 14, 5.5, 7.5, 2},
    {"temperature_c", -50, 100, 15, 30, 2},
    {"humidity_pct", 0, 100, 40, 80, 2},
    {"ec_ms_cm", 0, 20, 0.8, 2.5, 3},
}};

/// Index of measure `name` in sensor_measures, or sensor_measure_count.
size_t sensor_measure_index(const std::string& name) noexcept;

/// Settings of a sensor generator.
struct sensor_config {
  /// Number of sensors (sensor-0001, sensor-0002, ...).
  size_t sensors = 16;
  /// Number of sites (greenhouse-a, greenhouse-b, ...); sensor i is at site
  /// i mod sites.
  size_t sites = 4;
  /// Scripted faults.
  std::vector<fault> faults;
  /// Event time of event 0, Unix epoch milliseconds.
  int64_t start_ms = 0;
  /// Readings per second of event time over all sensors; the sensors report
  /// in turn (event i is from sensor i mod sensors).
  double rate = 1000;
  /// Each event's time is moved back by a seeded amount in [0, max].
  int64_t max_jitter_ms = 200;
  /// Replace every Nth event by a malformed one (0 = never).
  uint64_t malformed_every = 0;
  /// Seed of every random choice.
  uint64_t seed = 1;
};

/// Deterministic generator of sensor readings.
class sensor_generator : public message_generator<sensor_generator> {
public:
  using message_generator::next;

  explicit sensor_generator(sensor_config settings);

  /// Fills `out` with the next event at `base_time_ms` (before jitter).
  void next(generated_message& out, int64_t base_time_ms);

  /// Number of events generated so far.
  uint64_t index() const noexcept {
    return index_;
  }

  /// The settings.
  const sensor_config& settings() const noexcept {
    return settings_;
  }

  /// Id of sensor number `i` (0-based): sensor-0001, ...
  static std::string sensor_name(size_t i);

  /// Name of site number `i` (0-based): greenhouse-a ... greenhouse-z, then
  /// site-27, ...
  static std::string site_name(size_t i);

private:
  struct sensor_state {
    std::string id;
    std::string site;
    std::array<double, sensor_measure_count> base{};
    std::array<double, sensor_measure_count> wander{};
    /// Last complete in-range reading, in thousandths.
    std::array<int64_t, sensor_measure_count> last{};
    bool has_last = false;
    uint64_t out_of_range_count = 0;
  };

  sensor_config settings_;
  std::vector<sensor_state> sensors_;
  std::mt19937_64 rng_;
  uint64_t index_ = 0;
  uint64_t malformed_count_ = 0;
};

} // namespace vigil
