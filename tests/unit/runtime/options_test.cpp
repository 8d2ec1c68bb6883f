#define BOOST_TEST_MODULE options
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "actors/node/node.hpp"
#include "runtime/options.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// Owns argv/envp arrays built from strings.
struct args {
  std::vector<std::string> storage;
  std::vector<char*> ptrs;

  explicit args(std::vector<std::string> xs) : storage(std::move(xs)) {
    for (auto& x : storage)
      ptrs.push_back(x.data());
    ptrs.push_back(nullptr);
  }

  int argc() const {
    return static_cast<int>(storage.size());
  }

  char** argv() {
    return ptrs.data();
  }
};

struct settings {
  std::string brokers;
  std::string topic = "raw_events";
  uint64_t credit = 16;
  std::chrono::milliseconds window{10000};
  bool drain = false;

  void declare(option_set& opts) {
    opts.add("brokers", "brokers", &brokers);
    opts.add("topic", "topic", &topic);
    opts.add("credit", "credit", &credit);
    opts.add("window", "window", &window);
    opts.add("drain", "drain", &drain);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(durations_accept_units_and_reject_garbage) {
  std::chrono::milliseconds d{0};
  BOOST_CHECK(parse_duration("250ms", d) && d == 250ms);
  BOOST_CHECK(parse_duration("10s", d) && d == 10s);
  BOOST_CHECK(parse_duration("5m", d) && d == 5min);
  BOOST_CHECK(parse_duration("1h", d) && d == 1h);
  BOOST_CHECK(parse_duration("1500", d) && d == 1500ms);
  BOOST_CHECK(!parse_duration("", d));
  BOOST_CHECK(!parse_duration("-1s", d));
  BOOST_CHECK(!parse_duration("10 s", d));
  BOOST_CHECK(!parse_duration("ten", d));
  BOOST_CHECK(!parse_duration("5d", d));
  BOOST_CHECK(!parse_duration("99999999999999999999s", d));
}

BOOST_AUTO_TEST_CASE(flags_override_environment_which_overrides_the_file) {
  test::temp_dir dir;
  auto file = dir.file("vigil.conf");
  std::ofstream{file} << "# a comment\n"
                         "brokers = file:1\n"
                         "topic = from_file   # trailing comment\n"
                         "credit = 3\n";
  settings s;
  option_set opts{"run"};
  s.declare(opts);
  args env{{"VIGIL_TOPIC=from_env", "VIGIL_CREDIT=5", "HOME=/root"}};
  args argv{{"--config", file, "--credit", "7", "--window=2s", "--drain"}};
  auto err = opts.parse(argv.argc(), argv.argv(), env.argv());
  BOOST_REQUIRE_MESSAGE(err.empty(), err);
  BOOST_CHECK_EQUAL(s.brokers, "file:1");
  BOOST_CHECK_EQUAL(s.topic, "from_env");
  BOOST_CHECK_EQUAL(s.credit, 7u);
  BOOST_CHECK(s.window == 2s);
  BOOST_CHECK(s.drain);
}

BOOST_AUTO_TEST_CASE(errors_say_what_is_wrong_and_how_to_fix_it) {
  auto parse = [](std::vector<std::string> xs) {
    settings s;
    option_set opts{"run"};
    s.declare(opts);
    args argv{std::move(xs)};
    args env{{}};
    return opts.parse(argv.argc(), argv.argv(), env.argv());
  };
  auto unknown = parse({"--brokr", "x"});
  BOOST_CHECK(unknown.find("unknown flag --brokr") != std::string::npos);
  BOOST_CHECK(unknown.find("vigil run --help") != std::string::npos);
  auto missing = parse({"--topic"});
  BOOST_CHECK(missing.find("needs a value") != std::string::npos);
  auto number = parse({"--credit", "-3"});
  BOOST_CHECK(number.find("non-negative integer") != std::string::npos);
  BOOST_CHECK(number.find("'-3'") != std::string::npos);
  auto duration = parse({"--window", "soon"});
  BOOST_CHECK(duration.find("500ms, 10s") != std::string::npos);
  auto positional = parse({"events"});
  BOOST_CHECK(positional.find("unexpected argument 'events'")
              != std::string::npos);
  auto no_file = parse({"--config", "/nonexistent/vigil.conf"});
  BOOST_CHECK(no_file.find("cannot read config file") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_line_in_the_config_file_names_file_and_line) {
  test::temp_dir dir;
  auto file = dir.file("bad.conf");
  std::ofstream{file} << "topic = a\nnot a setting\n";
  settings s;
  option_set opts{"run"};
  s.declare(opts);
  args argv{{"--config", file}};
  args env{{}};
  auto err = opts.parse(argv.argc(), argv.argv(), env.argv());
  BOOST_CHECK(err.find(file + ":2") != std::string::npos);
  std::ofstream{file} << "topics = a\n";
  err = opts.load_file(file);
  BOOST_CHECK(err.find("unknown setting 'topics'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(node_configuration_is_validated_with_fixes) {
  node_config cfg;
  BOOST_CHECK(validate(cfg).find("--brokers") != std::string::npos);
  cfg.brokers = "127.0.0.1:9092";
  BOOST_CHECK(validate(cfg).empty());
  cfg.start = "middle";
  BOOST_CHECK(validate(cfg).find("'earliest' or 'latest'")
              != std::string::npos);
  cfg.start = "latest";
  cfg.window = 0ms;
  BOOST_CHECK(validate(cfg).find("--window") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(default_paths_are_relative) {
  node_config cfg;
  BOOST_CHECK(cfg.db.rfind("./", 0) == 0);
}

BOOST_AUTO_TEST_CASE(detection_settings_come_per_metric_from_the_config_file) {
  test::temp_dir dir;
  auto file = dir.file("vigil.conf");
  std::ofstream{file} << "brokers = 127.0.0.1:9092\n"
                         "detector = combined\n"
                         "latency-detectors = level_shift, variance_change\n"
                         "latency-sensitivity = 0.5\n"
                         "request-rate-detectors = off\n"
                         "error-rate-min-history = 30\n";
  node_config cfg;
  option_set opts{"run"};
  add_node_options(opts, cfg);
  args argv{{"--config", file, "--error-rate-sensitivity", "2"}};
  args env{{}};
  auto err = opts.parse(argv.argc(), argv.argv(), env.argv());
  BOOST_REQUIRE_MESSAGE(err.empty(), err);
  BOOST_CHECK_EQUAL(validate(cfg), "");
  BOOST_CHECK_EQUAL(cfg.latency_detection.detectors,
                    "level_shift, variance_change");
  BOOST_CHECK_EQUAL(cfg.error_rate_detection.sensitivity, "2");
  BOOST_CHECK_EQUAL(cfg.error_rate_detection.min_history, 30u);
  BOOST_CHECK_EQUAL(cfg.request_rate_detection.detectors, "off");

  auto bad = [&](auto change, const std::string& expected) {
    node_config c;
    c.brokers = "127.0.0.1:9092";
    change(c);
    auto what = validate(c);
    BOOST_CHECK_MESSAGE(what.find(expected) != std::string::npos,
                        "expected '" << expected << "' in '" << what << "'");
  };
  bad([](node_config& c) { c.detector = "zscore"; },
      "--detector must be combined or ewma (got 'zscore')");
  bad([](node_config& c) { c.latency_detection.detectors = "spike,cusum"; },
      "--latency-detectors: unknown detector 'cusum'");
  bad([](node_config& c) { c.request_rate_detection.sensitivity = "high"; },
      "--request-rate-sensitivity: 'high' is not a sensitivity");
  bad([](node_config& c) { c.error_rate_detection.min_history = 0; },
      "--error-rate-min-history must be in 1..100000");
}

BOOST_AUTO_TEST_CASE(the_source_is_kafka_or_a_readable_file) {
  test::temp_dir dir;
  node_config cfg;
  cfg.brokers = "127.0.0.1:9092";
  cfg.source = "foo";
  auto err = validate(cfg);
  BOOST_TEST(err.find("--source must be kafka or file:PATH (got 'foo')")
                 != std::string::npos,
             err);
  cfg.source = "file:" + dir.file("missing.jsonl");
  err = validate(cfg);
  BOOST_TEST(err.find("cannot read the file of --source file:") == 0, err);
  BOOST_TEST(err.find("missing.jsonl") != std::string::npos, err);
  cfg.source = "file:" + dir.file("");
  BOOST_TEST(validate(cfg).find("is a directory") != std::string::npos);
  auto events = dir.file("events.jsonl");
  std::ofstream{events} << "{}\n";
  cfg.source = "file:" + events;
  BOOST_CHECK_EQUAL(source_file(cfg), events);
  BOOST_CHECK(validate(cfg).empty());
  // A file needs no broker.
  cfg.brokers.clear();
  BOOST_CHECK(validate(cfg).empty());
  cfg.partitions = 0;
  BOOST_TEST(validate(cfg).find("--partitions") != std::string::npos);
  cfg.partitions = 4;
  cfg.role = "store";
  BOOST_TEST(validate(cfg).find("--role all") != std::string::npos);
  cfg.source = "kafka";
  BOOST_CHECK(source_file(cfg).empty());
}

BOOST_AUTO_TEST_CASE(the_source_comes_from_the_environment_and_the_file) {
  test::temp_dir dir;
  auto file = dir.file("vigil.conf");
  std::ofstream{file} << "source = file:/data/events.jsonl.gz\n"
                         "partitions = 8\n";
  node_config cfg;
  option_set opts{"run"};
  add_node_options(opts, cfg);
  args argv{{"--config", file}};
  args env{{}};
  BOOST_CHECK_EQUAL(opts.parse(argv.argc(), argv.argv(), env.argv()), "");
  BOOST_CHECK_EQUAL(cfg.source, "file:/data/events.jsonl.gz");
  BOOST_CHECK_EQUAL(cfg.partitions, 8u);
  node_config cfg2;
  option_set opts2{"run"};
  add_node_options(opts2, cfg2);
  args none{{}};
  args env2{{"VIGIL_SOURCE=file:x.jsonl"}};
  BOOST_CHECK_EQUAL(opts2.parse(none.argc(), none.argv(), env2.argv()), "");
  BOOST_CHECK_EQUAL(source_file(cfg2), "x.jsonl");
}
