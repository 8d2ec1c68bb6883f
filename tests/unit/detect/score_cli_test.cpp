#define BOOST_TEST_MODULE score_cli
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace vigil::test;
using namespace std::chrono_literals;

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

process_result score(const std::string& in, const std::string& out) {
  return run_process({vigil_binary(), "score", "--input", in, "--output", out},
                     60s);
}

/// `n` rows every 5 minutes from 2014-04-01 00:00:00 of 100 + noise, with
/// `spike` added at row `spike_at`.
std::string naive_series(size_t n, size_t spike_at = SIZE_MAX,
                         double spike = 0) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0, 2);
  std::ostringstream out;
  out << "timestamp,value\n";
  for (size_t i = 0; i < n; ++i) {
    auto minutes = i * 5;
    // Room for any size_t the format could be given (the compiler checks).
    char ts[96];
    std::snprintf(ts, sizeof(ts), "2014-04-%02zu %02zu:%02zu:00",
                  1 + minutes / 1440, (minutes / 60) % 24, minutes % 60);
    out << ts << ',' << 100 + noise(rng) + (i == spike_at ? spike : 0) << '\n';
  }
  return out.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

double score_of(const std::string& line) {
  return std::stod(line.substr(line.rfind(',') + 1));
}

void check_rejected(const std::string& input, const std::string& line_text,
                    const std::string& what) {
  temp_dir dir;
  write_file(dir.file("in.csv"), input);
  auto r = score(dir.file("in.csv"), dir.file("out.csv"));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find(line_text) != std::string::npos, r.err);
  BOOST_TEST(r.err.find(what) != std::string::npos, r.err);
  BOOST_TEST(read_file(dir.file("out.csv")).empty());
}

} // namespace

BOOST_AUTO_TEST_CASE(scores_every_row_and_echoes_the_input) {
  temp_dir dir;
  auto input = naive_series(400, 300, 60);
  write_file(dir.file("in.csv"), input);
  auto r = score(dir.file("in.csv"), dir.file("out.csv"));
  BOOST_TEST(r.status == 0, r.err);
  auto in = lines(input);
  auto out = lines(read_file(dir.file("out.csv")));
  BOOST_REQUIRE(out.size() == in.size());
  BOOST_TEST(out[0] == "timestamp,value,anomaly_score");
  for (size_t i = 1; i < out.size(); ++i) {
    BOOST_TEST(out[i].rfind(in[i] + ",", 0) == 0u);
    auto s = score_of(out[i]);
    BOOST_TEST((s >= 0 && s <= 1));
  }
  BOOST_TEST(score_of(out[301]) >= 0.5); // row 300 is line 302, index 301
  BOOST_TEST(score_of(out[100]) < 0.5);
}

BOOST_AUTO_TEST_CASE(rfc3339_and_epoch_milliseconds_timestamps_are_accepted) {
  temp_dir dir;
  write_file(dir.file("a.csv"), "timestamp,value\n"
                                "2014-04-01T00:00:00Z,1\n"
                                "2014-04-01T02:00:00+02:00,2\n"
                                "2014-04-01T00:05:00.5Z,3\n");
  write_file(dir.file("b.csv"), "timestamp,value\r\n"
                                "1396310400000,1.5\r\n"
                                "1396310700000,-2e3\r\n");
  BOOST_TEST(score(dir.file("a.csv"), dir.file("a.out")).status == 0);
  auto b = score(dir.file("b.csv"), dir.file("b.out"));
  BOOST_TEST(b.status == 0, b.err);
  BOOST_TEST(read_file(dir.file("b.out"))
             == "timestamp,value,anomaly_score\n1396310400000,1.5,0\n"
                "1396310700000,-2e3,0\n");
}

BOOST_AUTO_TEST_CASE(the_score_of_a_row_depends_only_on_the_rows_before_it) {
  temp_dir dir;
  auto full = naive_series(600, 500, 40);
  auto all = lines(full);
  std::string prefix;
  for (size_t i = 0; i <= 501; ++i)
    prefix += all[i] + "\n";
  write_file(dir.file("full.csv"), full);
  write_file(dir.file("prefix.csv"), prefix);
  BOOST_TEST(score(dir.file("full.csv"), dir.file("full.out")).status == 0);
  BOOST_TEST(score(dir.file("prefix.csv"), dir.file("prefix.out")).status == 0);
  auto a = lines(read_file(dir.file("full.out")));
  auto b = lines(read_file(dir.file("prefix.out")));
  BOOST_REQUIRE(b.size() == 502u);
  for (size_t i = 0; i < b.size(); ++i)
    BOOST_TEST(a[i] == b[i]);
}

BOOST_AUTO_TEST_CASE(a_constant_series_scores_zero_everywhere) {
  temp_dir dir;
  std::string input = "timestamp,value\n";
  for (int i = 0; i < 500; ++i)
    input += std::to_string(1396310400000 + i * 60000) + ",0\n";
  write_file(dir.file("in.csv"), input);
  BOOST_TEST(score(dir.file("in.csv"), dir.file("out.csv")).status == 0);
  auto out = lines(read_file(dir.file("out.csv")));
  BOOST_REQUIRE(out.size() == 501u);
  for (size_t i = 1; i < out.size(); ++i)
    BOOST_TEST(score_of(out[i]) == 0.0);
}

BOOST_AUTO_TEST_CASE(a_missing_header_is_refused_naming_line_one) {
  check_rejected("2014-04-01 00:00:00,1\n", "line 1:", "header");
  check_rejected("", "line 1:", "header");
  check_rejected("time,value\n2014-04-01 00:00:00,1\n", "line 1:", "header");
}

BOOST_AUTO_TEST_CASE(an_unparsable_number_is_refused_naming_its_line) {
  check_rejected("timestamp,value\n2014-04-01 00:00:00,1\n"
                 "2014-04-01 00:05:00,abc\n",
                 "line 3:", "unparsable value 'abc'");
  check_rejected("timestamp,value\n2014-04-01 00:00:00,nan\n",
                 "line 2:", "unparsable value");
  check_rejected("timestamp,value\n2014-04-01 00:00:00,\n",
                 "line 2:", "unparsable value");
}

BOOST_AUTO_TEST_CASE(an_unparsable_timestamp_is_refused_naming_its_line) {
  check_rejected("timestamp,value\n2014-04-01 00:00:00,1\n"
                 "2014-02-30 00:05:00,2\n",
                 "line 3:", "unparsable timestamp '2014-02-30 00:05:00'");
  check_rejected("timestamp,value\nyesterday,1\n",
                 "line 2:", "unparsable timestamp");
}

BOOST_AUTO_TEST_CASE(timestamps_going_backwards_are_refused_naming_both_lines) {
  check_rejected("timestamp,value\n2014-04-01 00:10:00,1\n"
                 "2014-04-01 00:15:00,1\n2014-04-01 00:05:00,1\n",
                 "line 4:", "goes backwards (line 3");
}

BOOST_AUTO_TEST_CASE(a_row_with_a_third_field_is_refused) {
  check_rejected("timestamp,value\n2014-04-01 00:10:00,1,2\n",
                 "line 2:", "two fields");
}

BOOST_AUTO_TEST_CASE(bad_input_leaves_an_existing_output_untouched) {
  temp_dir dir;
  write_file(dir.file("out.csv"), "previous\n");
  write_file(dir.file("in.csv"), naive_series(50) + "bad,row\n");
  auto r = score(dir.file("in.csv"), dir.file("out.csv"));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("line 52:") != std::string::npos, r.err);
  BOOST_TEST(read_file(dir.file("out.csv")) == "previous\n");
  // No temporary file is left behind either.
  auto listing = run_process({"/bin/ls", "-A", dir.path()}, 10s).out;
  BOOST_TEST(listing == "in.csv\nout.csv\n");
}

BOOST_AUTO_TEST_CASE(missing_flags_and_a_missing_input_exit_2) {
  temp_dir dir;
  BOOST_TEST(run_process({vigil_binary(), "score"}, 10s).status == 2);
  auto r = score(dir.file("nope.csv"), dir.file("out.csv"));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("cannot read") != std::string::npos, r.err);
  auto s = run_process({vigil_binary(), "score", "--input", "a", "--output",
                        "b", "--sensitivity", "0"},
                       10s);
  BOOST_TEST(s.status == 2);
  BOOST_TEST(s.err.find("--sensitivity") != std::string::npos);
}
