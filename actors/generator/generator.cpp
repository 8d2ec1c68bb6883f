#include "actors/generator/generator.hpp"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>

namespace vigil {

namespace {

constexpr size_t no_service = std::numeric_limits<size_t>::max();

/// Names, median latencies (ms) and traffic weights of the first services.
struct known_service {
  const char* name;
  double median_ms;
  double weight;
};

constexpr std::array<known_service, 8> known_services{{
    {"checkout", 120, 1.0},
    {"payments", 180, 0.8},
    {"search", 60, 2.0},
    {"auth", 25, 2.5},
    {"catalog", 45, 1.5},
    {"cart", 35, 1.2},
    {"shipping", 140, 0.5},
    {"recommendations", 220, 1.0},
}};

constexpr std::array<const char*, 3> regions{
    {"eu-west-1", "us-east-1", "ap-southeast-1"}};

constexpr std::array<const char*, 3> endpoint_suffixes{
    {"", "/items", "/status"}};

constexpr std::array<int, 4> client_errors{{400, 401, 404, 429}};

constexpr std::array<int, 4> server_errors{{500, 502, 503, 504}};

std::string hex(uint64_t value, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*" PRIx64, digits, value);
  return buf;
}

} // namespace

// -- incidents ----------------------------------------------------------------

const char* to_string(incident_kind kind) noexcept {
  switch (kind) {
  case incident_kind::errors:
    return "errors";
  case incident_kind::latency:
    return "latency";
  case incident_kind::drop:
    return "drop";
  }
  return "unknown";
}

expected<incident> parse_incident(std::string_view spec) {
  const std::string form = "SERVICE:KIND:START_S:DURATION_S with KIND "
                           "errors|latency|drop, e.g. payments:errors:60:120";
  auto parsed = parse_schedule_spec(spec, false, "incident", form);
  if (!parsed)
    return make_error_text(parsed.error());
  incident result;
  result.service = parsed->target;
  result.start_s = parsed->start_s;
  result.duration_s = parsed->duration_s;
  if (parsed->kind == "errors")
    result.kind = incident_kind::errors;
  else if (parsed->kind == "latency")
    result.kind = incident_kind::latency;
  else if (parsed->kind == "drop")
    result.kind = incident_kind::drop;
  else
    return make_error_text("invalid incident '" + std::string{spec}
                           + "': unknown kind '" + parsed->kind + "'; expected "
                           + form);
  return result;
}

// -- generator ----------------------------------------------------------------

std::string to_json(const generated_event& event) {
  std::string out;
  out.reserve(320);
  out += "{\"timestamp\":\"";
  out += format_event_time(event.core.time_ms, "Z");
  out += '"';
  append_json_field(out, "service", event.core.service);
  char buf[96];
  std::snprintf(buf, sizeof(buf), ",\"status_code\":%d,\"latency_ms\":%.2f",
                static_cast<int>(event.core.status_code),
                event.core.latency_ms);
  out += buf;
  append_json_field(out, "endpoint", event.endpoint);
  append_json_field(out, "event_id", event.event_id);
  append_json_field(out, "trace_id", event.trace_id);
  append_json_field(out, "region", event.region);
  append_json_field(out, "host", event.host);
  out += '}';
  return out;
}

std::string event_generator::service_name(size_t i) {
  if (i < known_services.size())
    return known_services[i].name;
  return "service-" + std::to_string(i + 1);
}

event_generator::event_generator(generator_config settings)
    : settings_(std::move(settings)), rng_(settings_.seed) {
  if (settings_.rate <= 0)
    settings_.rate = 1000;
  if (settings_.services == 0)
    settings_.services = 1;
  settings_.max_jitter_ms = std::max<int64_t>(settings_.max_jitter_ms, 0);
  // Profiles come from their own engine so that they do not depend on how
  // many events were drawn.
  std::mt19937_64 profile_rng{settings_.seed ^ 0x9e3779b97f4a7c15ULL};
  for (size_t i = 0; i < settings_.services; ++i) {
    service_profile profile;
    profile.name = service_name(i);
    double median = 0;
    if (i < known_services.size()) {
      median = known_services[i].median_ms;
      profile.weight = known_services[i].weight;
    } else {
      median = 20 + 230 * unit_uniform(profile_rng);
      profile.weight = 0.5 + 1.5 * unit_uniform(profile_rng);
    }
    profile.latency_mu = std::log(median);
    profile.error_rate = 0.001 + 0.019 * unit_uniform(profile_rng);
    profile.region = regions[i % regions.size()];
    services_.push_back(std::move(profile));
  }
  for (const auto& inc : settings_.incidents) {
    auto pos
        = std::find_if(services_.begin(), services_.end(),
                       [&](const auto& p) { return p.name == inc.service; });
    incident_service_.push_back(
        pos == services_.end() ? no_service
                               : static_cast<size_t>(pos - services_.begin()));
  }
}

int64_t event_generator::nominal_time_ms(uint64_t i) const noexcept {
  return vigil::nominal_time_ms(settings_.start_ms, settings_.rate, i);
}

bool event_generator::active(size_t idx, size_t service,
                             int64_t time_ms) const {
  if (incident_service_[idx] != service)
    return false;
  const auto& inc = settings_.incidents[idx];
  return in_window(settings_.start_ms, inc.start_s, inc.duration_s, time_ms);
}

void event_generator::next(generated_event& out) {
  next(out, nominal_time_ms(index_));
}

void event_generator::next(generated_event& out, int64_t base_time_ms) {
  auto dropped = [&](size_t service) {
    for (size_t k = 0; k < settings_.incidents.size(); ++k)
      if (settings_.incidents[k].kind == incident_kind::drop
          && active(k, service, base_time_ms))
        return true;
    return false;
  };
  // Pick a service by weight among those not dropped (all if every one is).
  double total = 0;
  for (size_t i = 0; i < services_.size(); ++i)
    if (!dropped(i))
      total += services_[i].weight;
  bool use_all = total <= 0;
  if (use_all)
    for (const auto& p : services_)
      total += p.weight;
  double pick = unit_uniform(rng_) * total;
  size_t service = services_.size() - 1;
  for (size_t i = 0; i < services_.size(); ++i) {
    if (!use_all && dropped(i))
      continue;
    service = i;
    if (pick < services_[i].weight)
      break;
    pick -= services_[i].weight;
  }
  const auto& profile = services_[service];
  double error_rate = profile.error_rate;
  double latency_factor = 1;
  for (size_t k = 0; k < settings_.incidents.size(); ++k) {
    if (!active(k, service, base_time_ms))
      continue;
    const auto& inc = settings_.incidents[k];
    if (inc.kind == incident_kind::errors)
      error_rate = incident_error_rate;
    else if (inc.kind == incident_kind::latency)
      latency_factor = incident_latency_factor;
  }
  // Status.
  double u_err = unit_uniform(rng_);
  double u_status = unit_uniform(rng_);
  int status = 200;
  if (u_err < error_rate) {
    status = server_errors[static_cast<size_t>(u_status * 4) % 4];
  } else if (u_status < 0.80) {
    status = 200;
  } else if (u_status < 0.88) {
    status = 201;
  } else if (u_status < 0.93) {
    status = 204;
  } else {
    status
        = client_errors[static_cast<size_t>((u_status - 0.93) / 0.07 * 4) % 4];
  }
  // Latency: lognormal, rounded to 0.01 ms.
  double z = std::normal_distribution<double>{0.0, 1.0}(rng_);
  double latency = std::exp(profile.latency_mu + settings_.latency_sigma * z)
                   * latency_factor;
  latency = std::round(latency * 100) / 100;
  // Time with jitter.
  int64_t jitter = draw_jitter(rng_, settings_.max_jitter_ms);
  auto endpoint_draw = rng_();
  auto host_draw = rng_();
  auto id_draw = rng_();
  auto trace_hi = rng_();
  auto trace_lo = rng_();
  out.core.time_ms = base_time_ms - jitter;
  out.core.service = profile.name;
  out.core.status_code = status;
  out.core.latency_ms = latency;
  out.endpoint = "/api/" + profile.name
                 + endpoint_suffixes[endpoint_draw % endpoint_suffixes.size()];
  out.event_id = hex(id_draw, 16) + "-" + std::to_string(index_);
  out.trace_id = hex(trace_hi, 16) + hex(trace_lo, 16);
  out.region = profile.region;
  out.host = profile.name + "-" + std::to_string(1 + host_draw % 3);
  ++index_;
}

std::string event_generator::next_json() {
  generated_event event;
  next(event);
  return to_json(event);
}

// -- malformed events ---------------------------------------------------------

malformed_event malformed_json(uint64_t i, int64_t time_ms) {
  malformed_event result;
  result.kind = static_cast<malformed_kind>(i % malformed_kind_count);
  auto service = event_generator::service_name(i / malformed_kind_count % 8);
  auto ts = format_event_time(time_ms, "Z");
  auto rest = "\"service\":\"" + service
              + "\",\"status_code\":200,\"latency_ms\":12.5";
  switch (result.kind) {
  case malformed_kind::bad_timestamp:
    // Month 13 of the same year.
    result.json = "{\"timestamp\":\"" + ts.substr(0, 5) + "13" + ts.substr(7)
                  + "\"," + rest + "}";
    break;
  case malformed_kind::double_zone:
    result.json = "{\"timestamp\":\"" + format_event_time(time_ms, "+00:00Z")
                  + "\"," + rest + "}";
    result.valid = true;
    break;
  case malformed_kind::missing_field:
    result.json = "{\"timestamp\":\"" + ts
                  + "\",\"status_code\":200,\"latency_ms\":12.5}";
    break;
  case malformed_kind::not_json:
    result.json = "{\"timestamp\":\"" + ts + "\",\"service\":\"" + service
                  + "\",\"status_code\":";
    break;
  case malformed_kind::negative_latency:
    result.json = "{\"timestamp\":\"" + ts + "\",\"service\":\"" + service
                  + "\",\"status_code\":200,\"latency_ms\":-5.0}";
    break;
  case malformed_kind::bad_status:
    result.json = "{\"timestamp\":\"" + ts + "\",\"service\":\"" + service
                  + "\",\"status_code\":700,\"latency_ms\":12.5}";
    break;
  }
  return result;
}

} // namespace vigil
