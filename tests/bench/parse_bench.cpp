// Throughput of parse_request_event against nlohmann/json references on the
// same generated inputs.
//
// Usage: parse_bench [events=1000000] [repetitions=3] [seed=1]
//
// Prints events/s (best of the repetitions) and heap allocations per event
// for: parse_request_event (the simdjson fast path, with the message copied
// into the parser's padded buffer, and in place as the partition processor
// calls it), parse_request_event_reference (the nlohmann SAX parser), a DOM
// reference (nlohmann::json::parse plus reading the four fields), a no-op SAX
// handler (the floor set by nlohmann's lexer) and parse_rfc3339 alone,
// followed by the ratios. Build with optimizations
// (-DCMAKE_BUILD_TYPE=Release) for meaningful figures.

#include "actors/ingest/request_event.hpp"
#include "runtime/timestamp.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::atomic<uint64_t> allocations{0};

} // namespace

// Counting replacements of the global allocation functions. GCC 12 flags the
// malloc/free pairing of replaced operators as mismatched; it is not.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* ptr = std::malloc(size == 0 ? 1 : size))
    return ptr;
  throw std::bad_alloc{};
}

void operator delete(void* ptr) noexcept {
  std::free(ptr);
}

void operator delete(void* ptr, size_t) noexcept {
  std::free(ptr);
}

#pragma GCC diagnostic pop

namespace {

using json = nlohmann::json;

/// All generated events in one buffer, to keep the inputs cache-realistic
/// without a per-event allocation.
struct corpus {
  std::string bytes;
  std::vector<size_t> ends;

  std::string_view at(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    return {bytes.data() + begin, ends[i] - begin};
  }

  /// Bytes readable after event `i`: the rest of the buffer's capacity.
  size_t readable_after(size_t i) const {
    return bytes.capacity() - ends[i];
  }

  size_t size() const {
    return ends.size();
  }
};

corpus generate(size_t count, uint64_t seed) {
  static const char* const services[]
      = {"checkout", "cart",          "payments",       "search",
         "auth",     "inventory",     "recommendation", "shipping",
         "frontend", "notifications", "ledger",         "profile"};
  static const char* const endpoints[]
      = {"/api/pay", "/api/cart", "/api/search?q=x", "/login", "/"};
  static const char* const regions[] = {"eu-west-1", "us-east-1", "ap-south-1"};
  static const int statuses[]
      = {200, 200, 200, 200, 201, 204, 301, 400, 404, 429, 500, 502, 503};
  std::mt19937_64 rng{seed};
  auto pick = [&rng](size_t n) { return static_cast<size_t>(rng() % n); };
  std::lognormal_distribution<double> latency{3.5, 0.8};
  corpus out;
  out.bytes.reserve(count * 220);
  out.ends.reserve(count);
  int64_t t = 1768172992214;
  char buf[512];
  for (size_t i = 0; i < count; ++i) {
    t += static_cast<int64_t>(pick(50));
    std::string ts = pick(10) == 0 ? std::to_string(t)
                                   : '"' + vigil::format_rfc3339(t) + '"';
    if (pick(100) == 0 && ts.front() == '"')
      ts.replace(ts.size() - 2, 1, "+00:00Z");
    const int n = std::snprintf(
        buf, sizeof(buf),
        R"({"timestamp":%s,"service":"%s","endpoint":"%s","status_code":%d,)"
        R"("latency_ms":%.3f,"event_id":"e-%zu","trace_id":"%016llx",)"
        R"("region":"%s","host":"host-%zu"})",
        ts.c_str(), services[pick(std::size(services))],
        endpoints[pick(std::size(endpoints))],
        statuses[pick(std::size(statuses))], latency(rng), i,
        static_cast<unsigned long long>(rng()),
        regions[pick(std::size(regions))], pick(64));
    out.bytes.append(buf, static_cast<size_t>(n));
    out.ends.push_back(out.bytes.size());
  }
  return out;
}

/// A SAX handler that accepts everything: the cost of nlohmann's lexer alone.
struct noop_sax {
  bool null() {
    return true;
  }
  bool boolean(bool) {
    return true;
  }
  bool number_integer(json::number_integer_t) {
    return true;
  }
  bool number_unsigned(json::number_unsigned_t) {
    return true;
  }
  bool number_float(json::number_float_t, const json::string_t&) {
    return true;
  }
  bool string(json::string_t&) {
    return true;
  }
  bool binary(json::binary_t&) {
    return true;
  }
  bool start_object(size_t) {
    return true;
  }
  bool key(json::string_t&) {
    return true;
  }
  bool end_object() {
    return true;
  }
  bool start_array(size_t) {
    return true;
  }
  bool end_array() {
    return true;
  }
  bool parse_error(size_t, const std::string&,
                   const nlohmann::detail::exception&) {
    return false;
  }
};

struct result {
  double events_per_second = 0;
  double allocations_per_event = 0;
  uint64_t checksum = 0;
  size_t accepted = 0;
};

/// Runs `fn` over the corpus `repetitions` times and keeps the best rate.
template <class F>
result measure(const corpus& events, int repetitions, F fn) {
  result best;
  for (int r = 0; r < repetitions; ++r) {
    result current;
    const auto allocations_before = allocations.load();
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < events.size(); ++i)
      fn(events.at(i), current);
    const auto stop = std::chrono::steady_clock::now();
    const auto allocated = allocations.load() - allocations_before;
    const std::chrono::duration<double> elapsed = stop - start;
    current.events_per_second
        = static_cast<double>(events.size()) / elapsed.count();
    current.allocations_per_event
        = static_cast<double>(allocated) / static_cast<double>(events.size());
    if (current.events_per_second > best.events_per_second)
      best = current;
  }
  return best;
}

void print(const char* name, const result& r) {
  std::printf("%-38s %12.0f events/s  %5.2f allocs/event  accepted %zu  "
              "(checksum %llu)\n",
              name, r.events_per_second, r.allocations_per_event, r.accepted,
              static_cast<unsigned long long>(r.checksum));
}

} // namespace

int main(int argc, char** argv) {
  const size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const int repetitions = argc > 2 ? std::atoi(argv[2]) : 3;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  if (count == 0 || repetitions <= 0) {
    std::fprintf(stderr, "usage: %s [events] [repetitions] [seed]\n", argv[0]);
    return EXIT_FAILURE;
  }
  const auto events = generate(count, seed);
  std::printf("%zu events, %.1f bytes/event on average, best of %d runs\n",
              events.size(),
              static_cast<double>(events.bytes.size())
                  / static_cast<double>(events.size()),
              repetitions);

  vigil::request_event ev;
  auto tally = [&ev](const vigil::parse_outcome& outcome, result& r) {
    if (outcome.ok) {
      ++r.accepted;
      r.checksum += static_cast<uint64_t>(ev.time_ms) + ev.service.size()
                    + static_cast<uint64_t>(ev.status_code)
                    + static_cast<uint64_t>(ev.latency_ms * 1000);
    }
  };
  const auto fast
      = measure(events, repetitions, [&](std::string_view text, result& r) {
          tally(vigil::parse_request_event(text, ev), r);
        });

  // In place, as the partition processor calls it: the following events and
  // the spare capacity of the buffer are the padding.
  const char* base = events.bytes.data();
  const size_t capacity = events.bytes.capacity();
  const auto in_place
      = measure(events, repetitions, [&](std::string_view text, result& r) {
          const auto end
              = static_cast<size_t>(text.data() - base) + text.size();
          tally(vigil::parse_request_event(text, ev, {}, capacity - end), r);
        });

  const auto sax
      = measure(events, repetitions, [&](std::string_view text, result& r) {
          tally(vigil::parse_request_event_reference(text, ev), r);
        });

  const auto dom
      = measure(events, repetitions, [](std::string_view text, result& r) {
          auto doc = json::parse(text, nullptr, false);
          if (!doc.is_object())
            return;
          const auto& ts = doc["timestamp"];
          int64_t time_ms = 0;
          if (ts.is_string()) {
            auto parsed
                = vigil::parse_rfc3339(ts.get_ref<const std::string&>());
            if (!parsed)
              return;
            time_ms = parsed->epoch_ms;
          } else {
            time_ms = ts.get<int64_t>();
          }
          const auto& service = doc["service"].get_ref<const std::string&>();
          const auto status = doc["status_code"].get<int32_t>();
          const auto latency = doc["latency_ms"].get<double>();
          if (latency < 0)
            return;
          ++r.accepted;
          r.checksum += static_cast<uint64_t>(time_ms) + service.size()
                        + static_cast<uint64_t>(status)
                        + static_cast<uint64_t>(latency * 1000);
        });

  const auto floor
      = measure(events, repetitions, [](std::string_view text, result& r) {
          noop_sax handler;
          if (json::sax_parse(text.begin(), text.end(), &handler))
            ++r.accepted;
        });

  // The timestamp parser alone, over the same number of RFC 3339 strings.
  corpus stamps;
  stamps.bytes.reserve(events.size() * 24);
  for (size_t i = 0; i < events.size(); ++i) {
    stamps.bytes
        += vigil::format_rfc3339(1768172992214 + static_cast<int64_t>(i) * 37);
    stamps.ends.push_back(stamps.bytes.size());
  }
  const auto stamp
      = measure(stamps, repetitions, [](std::string_view text, result& r) {
          if (auto ts = vigil::parse_rfc3339(text)) {
            ++r.accepted;
            r.checksum += static_cast<uint64_t>(ts->epoch_ms);
          }
        });

  print("parse_request_event (fast, copied)", fast);
  print("parse_request_event (fast, in place)", in_place);
  print("reference: nlohmann SAX", sax);
  print("reference: json::parse DOM+fields", dom);
  print("floor: json::sax_parse no-op", floor);
  print("parse_rfc3339 alone", stamp);
  std::printf("ratio fast (copied) / SAX reference: %.2fx\n",
              fast.events_per_second / sax.events_per_second);
  std::printf("ratio fast (in place) / SAX reference: %.2fx\n",
              in_place.events_per_second / sax.events_per_second);
  std::printf("ratio SAX reference / DOM reference: %.2fx\n",
              sax.events_per_second / dom.events_per_second);
  std::printf("ratio fast (in place) / no-op SAX floor: %.2fx\n",
              in_place.events_per_second / floor.events_per_second);
  const bool consistent
      = fast.accepted == events.size() && in_place.accepted == events.size()
        && sax.accepted == events.size() && dom.accepted == events.size()
        && fast.checksum == sax.checksum && in_place.checksum == sax.checksum
        && sax.checksum == dom.checksum && stamp.accepted == events.size();
  if (!consistent)
    std::fprintf(stderr, "error: the parsers' results disagree\n");
  return consistent ? EXIT_SUCCESS : EXIT_FAILURE;
}
