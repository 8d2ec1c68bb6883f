#include "actors/generator/sensor_generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vigil {

namespace {

constexpr double pi = 3.14159265358979323846;

/// How a measure behaves in a healthy sensor: the range of per-sensor
/// baselines, the bound and step of the slow wander, and the noise of one
/// reading. Baseline + wander + noise (+ daily cycle) stays inside the
/// healthy band.
struct measure_behaviour {
  double base_lo;
  double base_hi;
  double wander_limit;
  double wander_step;
  double noise;
};

constexpr std::array<measure_behaviour, sensor_measure_count> behaviours{{
    {6.0, 7.0, 0.3, 0.01, 0.02},
    {19, 24, 1.5, 0.05, 0.1},
    {50, 70, 5, 0.2, 0.3},
    {1.2, 2.0, 0.2, 0.005, 0.02},
}};

/// Amplitude of the daily temperature cycle (peak at 18:00 UTC).
constexpr double daily_temperature_amplitude = 2.0;

/// Physically impossible values of out_of_range faults, in turn.
constexpr std::array<std::pair<size_t, double>, 4> impossible{{
    {0, 15.0},
    {2, 130.0},
    {1, -80.0},
    {3, 25.0},
}};

/// `value` rounded to the measure's decimals, in thousandths.
int64_t quantize(double value, size_t m) {
  const int64_t step = sensor_measures[m].decimals == 2 ? 10 : 1;
  return std::llround(value * 1000.0 / static_cast<double>(step)) * step;
}

} // namespace

size_t sensor_measure_index(const std::string& name) noexcept {
  for (size_t m = 0; m < sensor_measure_count; ++m)
    if (name == sensor_measures[m].name)
      return m;
  return sensor_measure_count;
}

std::string sensor_generator::sensor_name(size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "sensor-%04zu", i + 1);
  return buf;
}

std::string sensor_generator::site_name(size_t i) {
  if (i < 26)
    return std::string{"greenhouse-"} + static_cast<char>('a' + i);
  return "site-" + std::to_string(i + 1);
}

sensor_generator::sensor_generator(sensor_config settings)
    : settings_(std::move(settings)), rng_(settings_.seed) {
  if (!(settings_.rate > 0))
    settings_.rate = 1000;
  settings_.sensors = std::max<size_t>(settings_.sensors, 1);
  settings_.sites = std::max<size_t>(settings_.sites, 1);
  settings_.max_jitter_ms = std::max<int64_t>(settings_.max_jitter_ms, 0);
  // Profiles from their own engine: independent of the number of events.
  std::mt19937_64 profile_rng{settings_.seed ^ 0x5e1502a11ce5eedULL};
  for (size_t i = 0; i < settings_.sensors; ++i) {
    sensor_state s;
    s.id = sensor_name(i);
    s.site = site_name(i % settings_.sites);
    for (size_t m = 0; m < sensor_measure_count; ++m) {
      const auto& b = behaviours[m];
      s.base[m]
          = b.base_lo + (b.base_hi - b.base_lo) * unit_uniform(profile_rng);
    }
    sensors_.push_back(std::move(s));
  }
}

void sensor_generator::next(generated_message& out, int64_t base_time_ms) {
  auto& s = sensors_[index_ % sensors_.size()];
  // Every reading draws the same random numbers whatever the faults, so a
  // fault on one sensor leaves the readings of the others unchanged.
  std::array<int64_t, sensor_measure_count> value{};
  std::normal_distribution<double> normal{0.0, 1.0};
  for (size_t m = 0; m < sensor_measure_count; ++m) {
    const auto& b = behaviours[m];
    s.wander[m] = std::clamp(0.995 * s.wander[m] + b.wander_step * normal(rng_),
                             -b.wander_limit, b.wander_limit);
    double v = s.base[m] + s.wander[m] + b.noise * (2 * unit_uniform(rng_) - 1);
    if (m == 1) {
      auto ms_of_day = ((base_time_ms % 86400000) + 86400000) % 86400000;
      v += daily_temperature_amplitude
           * std::sin(2 * pi
                      * (static_cast<double>(ms_of_day) / 86400000.0 - 0.5));
    }
    value[m] = quantize(v, m);
  }
  out.time_ms = base_time_ms - draw_jitter(rng_, settings_.max_jitter_ms);
  out.key = s.id;
  out.valid = true;
  out.faulted = false;
  out.fault = fault_kind::malformed;
  ++index_;
  bool malformed = settings_.malformed_every > 0
                   && index_ % settings_.malformed_every == 0;
  bool has[sensor_measure_count] = {true, true, true, true};
  for (const auto& f : settings_.faults) {
    if (!fault_active(f, s.id, settings_.start_ms, base_time_ms))
      continue;
    out.faulted = true;
    out.fault = f.kind;
    switch (f.kind) {
    case fault_kind::malformed:
      malformed = true;
      break;
    case fault_kind::stuck:
      if (s.has_last)
        value = s.last;
      break;
    case fault_kind::drift: {
      auto m = sensor_measure_index(f.param);
      const auto& r = sensor_measures[m];
      double target = r.healthy_hi + 0.25 * (r.healthy_hi - r.healthy_lo);
      double progress = (static_cast<double>(base_time_ms - settings_.start_ms)
                         - f.start_s * 1000)
                        / (f.duration_s * 1000);
      double now = static_cast<double>(value[m]) / 1000.0;
      value[m] = quantize(now + progress * (target - now), m);
      break;
    }
    case fault_kind::out_of_range: {
      auto [m, v] = impossible[s.out_of_range_count++ % impossible.size()];
      value[m] = quantize(v, m);
      out.valid = false;
      break;
    }
    case fault_kind::missing:
      has[sensor_measure_index(f.param)] = false;
      out.valid = false;
      break;
    case fault_kind::spike:
      break;
    }
  }
  json_fields fields;
  fields.emplace_back("timestamp",
                      "\"" + format_event_time(out.time_ms) + "\"");
  std::string text;
  append_json_string(text, s.id);
  fields.emplace_back("sensor_id", text);
  text.clear();
  append_json_string(text, s.site);
  fields.emplace_back("site", text);
  for (size_t m = 0; m < sensor_measure_count; ++m)
    if (has[m])
      fields.emplace_back(sensor_measures[m].name, format_scaled(value[m], 3));
  if (malformed) {
    out.json = malformed_object(malformed_variant_of(malformed_count_++),
                                fields, "ph", "ec_ms_cm");
    out.valid = false;
    if (!out.faulted) {
      out.faulted = true;
      out.fault = fault_kind::malformed;
    }
    return;
  }
  out.json = json_object(fields);
  if (out.valid && std::all_of(std::begin(has), std::end(has), [](bool b) {
        return b;
      })) {
    s.last = value;
    s.has_last = true;
  }
}

} // namespace vigil
