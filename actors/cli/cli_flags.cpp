#include "actors/cli/cli_flags.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace vigil {

namespace {

/// Walks over `--flag value` and `--flag=value` arguments.
class flag_reader {
public:
  flag_reader(const std::vector<std::string>& args, std::string command)
      : args_(args), command_(std::move(command)) {
    // nop
  }

  /// Advances to the next flag; false at the end.
  bool next() {
    if (pos_ >= args_.size())
      return false;
    const auto& arg = args_[pos_++];
    inline_value_.reset();
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      name_ = arg.substr(0, eq);
      inline_value_ = arg.substr(eq + 1);
    } else {
      name_ = arg;
    }
    return true;
  }

  /// The current flag, e.g. "--port".
  const std::string& name() const noexcept {
    return name_;
  }

  /// Takes the value of the current flag.
  expected<std::string> value() {
    if (inline_value_)
      return *inline_value_;
    if (pos_ >= args_.size())
      return make_error_text(name_ + " needs a value, e.g. " + name_ + " "
                             + example());
    return args_[pos_++];
  }

  /// Takes the value of the current flag as an unsigned integer.
  expected<uint64_t> unsigned_value(uint64_t max) {
    auto text = value();
    if (!text)
      return make_error_text(text.error());
    errno = 0;
    char* end = nullptr;
    auto result = std::strtoull(text->c_str(), &end, 10);
    if (text->empty() || (*text)[0] == '-' || *end != '\0' || errno != 0
        || result > max)
      return make_error_text(name_ + " expects a whole number from 0 to "
                             + std::to_string(max) + ", got '" + *text + "'");
    return static_cast<uint64_t>(result);
  }

  /// Takes the value of the current flag as a finite number >= 0.
  expected<double> number_value() {
    auto text = value();
    if (!text)
      return make_error_text(text.error());
    char* end = nullptr;
    double result = std::strtod(text->c_str(), &end);
    if (text->empty() || *end != '\0' || !std::isfinite(result) || result < 0)
      return make_error_text(name_ + " expects a number >= 0, got '" + *text
                             + "'");
    return result;
  }

  /// An error about the current flag, with a pointer to --help.
  error_text unknown() const {
    return make_error_text("unknown flag '" + name_ + "'; see vigil " + command_
                           + " --help");
  }

private:
  std::string example() const {
    if (name_ == "--topic")
      return "raw_events";
    if (name_ == "--brokers")
      return "127.0.0.1:9092";
    if (name_ == "--incident")
      return "payments:errors:60:120";
    if (name_ == "--start-time")
      return "2026-01-11T23:00:00Z";
    if (name_ == "--kind")
      return "sensor";
    if (name_ == "--fault")
      return "sensor-0003:drift:60:300";
    if (name_ == "--output")
      return "events.jsonl";
    return "10";
  }

  const std::vector<std::string>& args_;
  std::string command_;
  size_t pos_ = 0;
  std::string name_;
  std::optional<std::string> inline_value_;
};

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view text, size_t pos, size_t n, int& out) {
  if (pos + n > text.size())
    return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

} // namespace

// -- broker -------------------------------------------------------------------

const char* broker_usage() noexcept {
  return "usage: vigil broker [--port N] [--topic NAME [--partitions N]]...\n"
         "\n"
         "Runs an embedded Kafka-protocol broker (librdkafka's mock cluster) "
         "on\n127.0.0.1 until SIGINT or SIGTERM. The first line of stdout is "
         "the\nbootstrap address; informational lines go to stderr.\n"
         "\n"
         "  --port N         listening port; only 0 (any free port, the "
         "default)\n"
         "                   works with librdkafka 2.0.2\n"
         "  --topic NAME     create topic NAME at start (repeatable); topics "
         "not\n"
         "                   created here are created on first use with the\n"
         "                   mock's default of 4 partitions\n"
         "  --partitions N   partition count of the --topic just before it; "
         "given\n"
         "                   before any --topic, the default for every "
         "topic\n"
         "                   without its own (default 1)\n"
         "  --help           show this text\n"
         "\n"
         "example: vigil broker --topic raw_events --partitions 8 "
         "--topic raw_events.dlq\n";
}

expected<broker_flags>
parse_broker_flags(const std::vector<std::string>& args) {
  broker_flags result;
  flag_reader reader{args, "broker"};
  int32_t default_partitions = 1;
  // Topics whose partition count was given explicitly.
  std::vector<bool> explicit_count;
  while (reader.next()) {
    const auto& name = reader.name();
    if (name == "--help" || name == "-h") {
      result.help = true;
    } else if (name == "--port") {
      auto port = reader.unsigned_value(65535);
      if (!port)
        return make_error_text(port.error());
      result.options.port = static_cast<uint16_t>(*port);
    } else if (name == "--partitions") {
      auto n = reader.unsigned_value(100000);
      if (!n)
        return make_error_text(n.error());
      if (*n == 0)
        return make_error_text("--partitions must be at least 1");
      auto count = static_cast<int32_t>(*n);
      if (result.options.topics.empty()) {
        default_partitions = count;
      } else if (explicit_count.back()) {
        return make_error_text(
            "--partitions given twice for topic '"
            + result.options.topics.back().name
            + "'; write each topic as --topic NAME --partitions N");
      } else {
        result.options.topics.back().partitions = count;
        explicit_count.back() = true;
      }
    } else if (name == "--topic") {
      auto topic = reader.value();
      if (!topic)
        return make_error_text(topic.error());
      if (topic->empty() || (*topic)[0] == '-')
        return make_error_text("--topic needs a topic name, got '" + *topic
                               + "'");
      result.options.topics.push_back(topic_spec{*topic, 0});
      explicit_count.push_back(false);
    } else {
      return reader.unknown();
    }
  }
  for (size_t i = 0; i < result.options.topics.size(); ++i)
    if (!explicit_count[i])
      result.options.topics[i].partitions = default_partitions;
  return result;
}

// -- generate -----------------------------------------------------------------

expected<int64_t> parse_start_time(std::string_view text, int64_t now_ms) {
  auto fail = [text] {
    return make_error_text("--start-time expects 'now', epoch milliseconds or "
                           "an RFC 3339 time like 2026-01-11T23:00:00Z, got '"
                           + std::string{text} + "'");
  };
  if (text == "now")
    return now_ms;
  if (!text.empty()
      && text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 15)
      return fail();
    return static_cast<int64_t>(std::stoll(std::string{text}));
  }
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-'
      || !digits(text, 5, 2, month) || text[7] != '-'
      || !digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't')
      || !digits(text, 11, 2, hour) || text[13] != ':'
      || !digits(text, 14, 2, minute) || text[16] != ':'
      || !digits(text, 17, 2, second))
    return fail();
  static constexpr int month_days[]
      = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1]
      || (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59
      || second > 59)
    return fail();
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int scale = 100;
    size_t first = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == first)
      return fail();
  }
  int64_t offset_min = 0;
  if (pos + 1 == text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    // UTC
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-')
             && text[pos + 3] == ':') {
    int oh = 0;
    int om = 0;
    if (!digits(text, pos + 1, 2, oh) || !digits(text, pos + 4, 2, om)
        || oh > 23 || om > 59)
      return fail();
    offset_min = (text[pos] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return fail();
  }
  int64_t days = days_from_civil(year, static_cast<unsigned>(month),
                                 static_cast<unsigned>(day));
  int64_t secs
      = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
  return secs * 1000 + millis;
}

const char* generate_usage() noexcept {
  return "usage: vigil generate [--kind request|sensor|trade] [flags]\n"
         "\n"
         "Produces synthetic events (JSON, see docs/broker.md) to Kafka, or "
         "writes\nthem as JSON lines with --output. Request event i goes to "
         "partition\ni mod (partition count of the topic); sensor and trade "
         "events are keyed\nby sensor_id / symbol and go to the partition of "
         "their key.\n"
         "\n"
         "  --kind KIND           request (default), sensor or trade\n"
         "  --brokers ADDR        bootstrap servers (default 127.0.0.1:9092)\n"
         "  --topic NAME          target topic (default raw_events)\n"
         "  --output PATH         write JSON lines (one event per line) to "
         "PATH\n"
         "                        instead of Kafka (gzip if it ends in .gz; "
         "- is\n"
         "                        standard output); for vigil run --source "
         "file:PATH\n"
         "  --rate N              events per second of wall time (default "
         "1000);\n"
         "                        0 = as fast as possible\n"
         "  --nominal-rate N      with --rate 0, events per second of event "
         "time\n"
         "                        (timestamps are start + i*1000/N ms; "
         "default 1000)\n"
         "  --services N          request: number of services (default 8)\n"
         "  --sensors N           sensor: number of sensors (default 16)\n"
         "  --symbols N           trade: number of symbols (default 20)\n"
         "  --duration S          stop after S seconds of wall time\n"
         "  --count N             stop after N events (not with --duration; "
         "with\n"
         "                        neither, runs until SIGINT/SIGTERM)\n"
         "  --incident SPEC       request: SERVICE:KIND:START_S:DURATION_S, "
         "KIND is\n"
         "                        errors|latency|drop, times in seconds of "
         "event\n"
         "                        time after --start-time (repeatable)\n"
         "  --fault SPEC          sensor/trade: TARGET:KIND:START_S:DURATION_S"
         "[:PARAM]\n"
         "                        (repeatable); TARGET a sensor id, a symbol "
         "or *;\n"
         "                        sensor KIND drift|stuck|out_of_range|"
         "missing|\n"
         "                        malformed (PARAM of drift/missing: ph|"
         "temperature_c|\n"
         "                        humidity_pct|ec_ms_cm, default ph); trade "
         "KIND\n"
         "                        spike|malformed (PARAM of spike: percent, "
         "default 8)\n"
         "  --seed N              random seed (default 1)\n"
         "  --start-time T        time of the first event: now (default), "
         "epoch ms\n"
         "                        or RFC 3339 like 2026-01-11T23:00:00Z\n"
         "  --malformed-every N   replace every Nth event by a malformed one\n"
         "                        (default 0 = never)\n"
         "  --help                show this text\n"
         "\n"
         "With --rate > 0 event time follows the wall clock from --start-time "
         "on;\nevents are up to 200 ms out of order.\n"
         "\n"
         "examples: vigil generate --kind sensor --sensors 8 --fault "
         "sensor-0003:drift:60:300\n"
         "          vigil generate --kind trade --rate 0 --count 10000 "
         "--output trades.jsonl\n";
}

expected<generate_flags>
parse_generate_flags(const std::vector<std::string>& args, int64_t now_ms) {
  generate_flags result;
  auto& opts = result.options;
  flag_reader reader{args, "generate"};
  bool has_duration = false;
  bool has_count = false;
  std::string start_time = "now";
  // Kind-specific flags given (checked against --kind at the end).
  std::vector<std::string> request_only;
  std::vector<std::string> sensor_only;
  std::vector<std::string> trade_only;
  std::vector<std::string> kafka_flags;
  std::vector<std::string> fault_specs;
  auto count_flag = [&reader](size_t& out) -> status {
    auto v = reader.unsigned_value(100000);
    if (!v)
      return make_error_text(v.error());
    if (*v == 0)
      return make_error_text(reader.name() + " must be at least 1");
    out = static_cast<size_t>(*v);
    return {};
  };
  auto error = [](const auto& x) { return make_error_text(x.error()); };
  while (reader.next()) {
    const auto& name = reader.name();
    if (name == "--help" || name == "-h") {
      result.help = true;
    } else if (name == "--kind") {
      auto v = reader.value();
      if (!v)
        return error(v);
      auto kind = parse_event_kind(*v);
      if (!kind)
        return error(kind);
      opts.kind = *kind;
    } else if (name == "--output") {
      auto v = reader.value();
      if (!v)
        return error(v);
      if (v->empty())
        return make_error_text("--output needs a file path (or - for "
                               "standard output), e.g. --output "
                               "events.jsonl");
      opts.output = *v;
    } else if (name == "--sensors") {
      if (auto st = count_flag(opts.sensors); !st)
        return error(st);
      sensor_only.push_back(name);
    } else if (name == "--symbols") {
      if (auto st = count_flag(opts.symbols); !st)
        return error(st);
      trade_only.push_back(name);
    } else if (name == "--fault") {
      auto v = reader.value();
      if (!v)
        return error(v);
      fault_specs.push_back(*v);
    } else if (name == "--brokers") {
      kafka_flags.push_back(name);
      auto v = reader.value();
      if (!v)
        return error(v);
      if (v->empty())
        return make_error_text("--brokers needs an address like "
                               "127.0.0.1:9092");
      opts.brokers = *v;
    } else if (name == "--topic") {
      kafka_flags.push_back(name);
      auto v = reader.value();
      if (!v)
        return error(v);
      if (v->empty() || (*v)[0] == '-')
        return make_error_text("--topic needs a topic name, got '" + *v + "'");
      opts.topic = *v;
    } else if (name == "--output") {
      auto v = reader.value();
      if (!v)
        return error(v);
      if (v->empty())
        return make_error_text("--output needs a file name, e.g. --output "
                               "events.jsonl.gz (- = standard output)");
      opts.output = *v;
    } else if (name == "--rate") {
      auto v = reader.number_value();
      if (!v)
        return error(v);
      opts.rate = *v;
    } else if (name == "--nominal-rate") {
      auto v = reader.number_value();
      if (!v)
        return error(v);
      if (*v <= 0)
        return make_error_text("--nominal-rate must be > 0");
      opts.nominal_rate = *v;
    } else if (name == "--services") {
      if (auto st = count_flag(opts.services); !st)
        return error(st);
      request_only.push_back(name);
    } else if (name == "--duration") {
      auto v = reader.number_value();
      if (!v)
        return error(v);
      if (*v <= 0)
        return make_error_text("--duration must be > 0 seconds");
      opts.duration_s = *v;
      has_duration = true;
    } else if (name == "--count") {
      auto v = reader.unsigned_value(UINT64_MAX);
      if (!v)
        return error(v);
      if (*v == 0)
        return make_error_text("--count must be at least 1");
      opts.count = *v;
      has_count = true;
    } else if (name == "--incident") {
      auto v = reader.value();
      if (!v)
        return error(v);
      auto inc = parse_incident(*v);
      if (!inc)
        return error(inc);
      opts.incidents.push_back(std::move(*inc));
      request_only.push_back(name);
    } else if (name == "--seed") {
      auto v = reader.unsigned_value(UINT64_MAX);
      if (!v)
        return error(v);
      opts.seed = *v;
    } else if (name == "--start-time") {
      auto v = reader.value();
      if (!v)
        return error(v);
      start_time = *v;
    } else if (name == "--malformed-every") {
      auto v = reader.unsigned_value(UINT64_MAX);
      if (!v)
        return error(v);
      opts.malformed_every = *v;
    } else {
      return reader.unknown();
    }
  }
  if (has_duration && has_count)
    return make_error_text("--duration and --count both set a stopping "
                           "point; give only one of them");
  auto start = parse_start_time(start_time, now_ms);
  if (!start)
    return error(start);
  opts.start_ms = *start;
  const std::string kind = to_string(opts.kind);
  auto misplaced = [&kind](const std::vector<std::string>& given,
                           const char* for_kind) -> status {
    if (given.empty() || kind == for_kind)
      return {};
    return make_error_text(given.front() + " is for --kind " + for_kind
                           + ", not --kind " + kind + "; add --kind " + for_kind
                           + " or drop " + given.front());
  };
  for (auto st :
       {misplaced(request_only, "request"), misplaced(sensor_only, "sensor"),
        misplaced(trade_only, "trade")})
    if (!st)
      return error(st);
  if (!opts.output.empty() && !kafka_flags.empty())
    return make_error_text(kafka_flags.front() + " is for Kafka, but --output "
                           + opts.output + " writes to a file; drop one of "
                           + "them");
  for (const auto& spec : fault_specs) {
    auto f = parse_fault(spec, opts.kind);
    if (!f)
      return error(f);
    opts.faults.push_back(std::move(*f));
  }
  if (opts.kind != event_kind::request) {
    auto st = check_fault_targets(
        opts.kind, opts.faults,
        opts.kind == event_kind::sensor ? opts.sensors : opts.symbols);
    if (!st)
      return error(st);
  }
  for (const auto& inc : opts.incidents) {
    bool known = false;
    for (size_t i = 0; i < opts.services && !known; ++i)
      known = event_generator::service_name(i) == inc.service;
    if (!known)
      return make_error_text(
          "--incident names service '" + inc.service + "', which is not among "
          + "the " + std::to_string(opts.services) + " generated services ("
          + event_generator::service_name(0) + " ... "
          + event_generator::service_name(opts.services - 1)
          + "); raise --services or fix the name");
  }
  return result;
}

} // namespace vigil
