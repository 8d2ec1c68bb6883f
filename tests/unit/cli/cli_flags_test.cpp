#define BOOST_TEST_MODULE cli_flags
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "actors/cli/cli_flags.hpp"

using namespace vigil;

namespace {

using args = std::vector<std::string>;

constexpr int64_t now_ms = 1768172992214; // 2026-01-11T23:09:52.214Z

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(broker_defaults_to_any_port_and_no_topics) {
  auto flags = parse_broker_flags({});
  BOOST_REQUIRE(flags.has_value());
  BOOST_TEST(flags->options.port == 0);
  BOOST_TEST(flags->options.topics.empty());
  BOOST_TEST(!flags->help);
}

BOOST_AUTO_TEST_CASE(partitions_apply_to_the_topic_just_before_them) {
  auto flags
      = parse_broker_flags({"--topic", "a", "--partitions", "4", "--topic", "b",
                            "--topic=c", "--partitions=2", "--topic", "d"});
  BOOST_REQUIRE(flags.has_value());
  const auto& topics = flags->options.topics;
  BOOST_REQUIRE(topics.size() == 4u);
  BOOST_TEST(topics[0].name == "a");
  BOOST_TEST(topics[0].partitions == 4);
  BOOST_TEST(topics[1].partitions == 1);
  BOOST_TEST(topics[2].name == "c");
  BOOST_TEST(topics[2].partitions == 2);
  BOOST_TEST(topics[3].partitions == 1);
}

BOOST_AUTO_TEST_CASE(partitions_before_any_topic_are_the_default) {
  auto flags = parse_broker_flags({"--partitions", "8", "--topic", "a",
                                   "--topic", "b", "--partitions", "2"});
  BOOST_REQUIRE(flags.has_value());
  const auto& topics = flags->options.topics;
  BOOST_REQUIRE(topics.size() == 2u);
  BOOST_TEST(topics[0].partitions == 8);
  BOOST_TEST(topics[1].partitions == 2);
}

BOOST_AUTO_TEST_CASE(partitions_twice_for_one_topic_is_an_error) {
  auto flags = parse_broker_flags(
      {"--topic", "raw_events", "--partitions", "4", "--partitions", "5"});
  BOOST_REQUIRE(!flags.has_value());
  BOOST_TEST(mentions(flags.error(), "--topic NAME --partitions N"));
}

BOOST_AUTO_TEST_CASE(bad_broker_flags_say_what_is_wrong) {
  auto unknown = parse_broker_flags({"--prot", "1"});
  BOOST_REQUIRE(!unknown.has_value());
  BOOST_TEST(mentions(unknown.error(), "'--prot'"));
  BOOST_TEST(mentions(unknown.error(), "--help"));
  auto big = parse_broker_flags({"--port", "70000"});
  BOOST_REQUIRE(!big.has_value());
  BOOST_TEST(mentions(big.error(), "0 to 65535"));
  auto word = parse_broker_flags({"--partitions", "four", "--topic", "a"});
  BOOST_REQUIRE(!word.has_value());
  BOOST_TEST(mentions(word.error(), "'four'"));
  auto zero = parse_broker_flags({"--partitions", "0", "--topic", "a"});
  BOOST_REQUIRE(!zero.has_value());
  auto missing = parse_broker_flags({"--topic"});
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(mentions(missing.error(), "needs a value"));
  auto negative = parse_broker_flags({"--port", "-1"});
  BOOST_REQUIRE(!negative.has_value());
}

BOOST_AUTO_TEST_CASE(broker_port_and_help_are_parsed) {
  auto flags = parse_broker_flags({"--port", "9092", "--help"});
  BOOST_REQUIRE(flags.has_value());
  BOOST_TEST(flags->options.port == 9092);
  BOOST_TEST(flags->help);
  BOOST_TEST(mentions(broker_usage(), "--partitions"));
}

BOOST_AUTO_TEST_CASE(generate_flags_fill_the_options) {
  auto flags = parse_generate_flags({"--brokers",
                                     "127.0.0.1:1234",
                                     "--topic",
                                     "t",
                                     "--rate",
                                     "0",
                                     "--services",
                                     "12",
                                     "--count",
                                     "500",
                                     "--incident",
                                     "service-12:latency:5:10",
                                     "--incident",
                                     "auth:drop:1:2",
                                     "--seed",
                                     "99",
                                     "--start-time",
                                     "2026-01-11T23:00:00.5+01:00",
                                     "--malformed-every",
                                     "10"},
                                    now_ms);
  BOOST_REQUIRE_MESSAGE(flags.has_value(), (flags ? "" : flags.error()));
  const auto& o = flags->options;
  BOOST_TEST(o.brokers == "127.0.0.1:1234");
  BOOST_TEST(o.topic == "t");
  BOOST_TEST(o.rate == 0.0);
  BOOST_TEST(o.services == 12u);
  BOOST_TEST(o.count == 500u);
  BOOST_REQUIRE(o.incidents.size() == 2u);
  BOOST_TEST(o.incidents[0].service == "service-12");
  BOOST_TEST(o.seed == 99u);
  // 2026-01-11T22:00:00.500Z
  BOOST_TEST(o.start_ms == 1768168800500);
  BOOST_TEST(o.malformed_every == 10u);
}

BOOST_AUTO_TEST_CASE(generate_start_time_defaults_to_now) {
  auto flags = parse_generate_flags({}, now_ms);
  BOOST_REQUIRE(flags.has_value());
  BOOST_TEST(flags->options.start_ms == now_ms);
  BOOST_TEST(flags->options.topic == "raw_events");
  BOOST_TEST(*parse_start_time("1700000000000", now_ms) == 1700000000000);
  BOOST_TEST(*parse_start_time("2026-01-11T23:09:52.214Z", 0) == now_ms);
}

BOOST_AUTO_TEST_CASE(bad_generate_flags_say_what_is_wrong) {
  auto both = parse_generate_flags({"--count", "5", "--duration", "3"}, now_ms);
  BOOST_REQUIRE(!both.has_value());
  BOOST_TEST(mentions(both.error(), "only one"));
  auto unknown_service = parse_generate_flags(
      {"--services", "2", "--incident", "search:errors:1:1"}, now_ms);
  BOOST_REQUIRE(!unknown_service.has_value());
  BOOST_TEST(mentions(unknown_service.error(), "'search'"));
  BOOST_TEST(mentions(unknown_service.error(), "--services"));
  auto spec = parse_generate_flags({"--incident", "x"}, now_ms);
  BOOST_REQUIRE(!spec.has_value());
  BOOST_TEST(mentions(spec.error(), "SERVICE:KIND:START_S:DURATION_S"));
  for (const char* bad :
       {"2026-02-30T00:00:00Z", "2026-01-11T23:00:00", "2026-01-11 23:00:00Z",
        "yesterday", "2026-01-11T24:00:00Z"}) {
    auto flags = parse_generate_flags({"--start-time", bad}, now_ms);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_REQUIRE(!flags.has_value());
      BOOST_TEST(mentions(flags.error(), "RFC 3339"));
    }
  }
  BOOST_TEST(!parse_generate_flags({"--rate", "-5"}, now_ms).has_value());
  BOOST_TEST(!parse_generate_flags({"--services", "0"}, now_ms).has_value());
  BOOST_TEST(!parse_generate_flags({"--verbose"}, now_ms).has_value());
}

BOOST_AUTO_TEST_CASE(generate_writes_to_a_file_with_output) {
  auto flags = parse_generate_flags(
      {"--output", "events.jsonl.gz", "--rate", "0", "--count", "10"}, now_ms);
  BOOST_REQUIRE_MESSAGE(flags.has_value(), (flags ? "" : flags.error()));
  BOOST_TEST(flags->options.output == "events.jsonl.gz");
  BOOST_TEST(flags->options.output.empty() == false);
  auto empty = parse_generate_flags({"--output="}, now_ms);
  BOOST_REQUIRE(!empty.has_value());
  BOOST_TEST(mentions(empty.error(), "--output needs a file path"));
  BOOST_TEST(mentions(generate_usage(), "--output PATH"));
}
