#define BOOST_TEST_MODULE line_reader
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "actors/ingest/dead_letter_file.hpp"
#include "actors/ingest/line_reader.hpp"
#include "support/process.hpp"

using namespace vigil;

namespace {

/// Splits `text` fed in chunks of `chunk` bytes; every line, empty ones too.
std::vector<std::string> split(const std::string& text, size_t chunk) {
  std::vector<std::string> out;
  line_splitter lines;
  auto add = [&out](std::string_view line) { out.emplace_back(line); };
  for (size_t pos = 0; pos < text.size(); pos += chunk)
    lines.feed(std::string_view{text}.substr(pos, chunk), add);
  lines.finish(add);
  return out;
}

/// Reads every line of `path` with chunks of `chunk` bytes.
std::vector<std::string> read_lines(const std::string& path, size_t chunk) {
  auto reader = chunk_reader::open(path, chunk);
  BOOST_REQUIRE_MESSAGE(reader, (reader ? "" : reader.error()));
  std::vector<std::string> out;
  line_splitter lines;
  auto add = [&out](std::string_view line) { out.emplace_back(line); };
  std::string buf;
  for (;;) {
    buf.clear();
    auto got = reader->read(buf);
    BOOST_REQUIRE_MESSAGE(got, (got ? "" : got.error()));
    if (*got == 0)
      break;
    BOOST_CHECK_LE(*got, chunk);
    lines.feed(buf, add);
  }
  lines.finish(add);
  return out;
}

using lines_t = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_CASE(lines_are_split_whatever_the_chunk_size) {
  std::string text = "{\"a\":1}\n\nsecond\r\nthird";
  lines_t want{"{\"a\":1}", "", "second", "third"};
  for (size_t chunk : {1, 2, 3, 5, 8, 64})
    BOOST_TEST(split(text, chunk) == want, "chunk " << chunk);
}

BOOST_AUTO_TEST_CASE(a_final_newline_ends_the_last_line) {
  BOOST_TEST(split("a\nb\n", 3) == (lines_t{"a", "b"}));
  BOOST_TEST(split("a\r\nb\r\n", 1) == (lines_t{"a", "b"}));
  BOOST_TEST(split("", 4).empty());
  BOOST_TEST(split("\n", 4) == lines_t{""});
  BOOST_TEST(split("\n\n", 1) == (lines_t{"", ""}));
}

BOOST_AUTO_TEST_CASE(lines_within_a_chunk_are_views_into_it) {
  std::string chunk = "one\ntwo\nthr";
  line_splitter lines;
  std::vector<const char*> starts;
  auto n = lines.feed(
      chunk, [&](std::string_view line) { starts.push_back(line.data()); });
  BOOST_CHECK_EQUAL(n, 2u);
  BOOST_REQUIRE_EQUAL(starts.size(), 2u);
  BOOST_CHECK(starts[0] == chunk.data());
  BOOST_CHECK(starts[1] == chunk.data() + 4);
  BOOST_CHECK_EQUAL(lines.carried(), 3u);
  std::string tail;
  lines.feed("ee\n", [&](std::string_view line) { tail = line; });
  BOOST_CHECK_EQUAL(tail, "three");
  BOOST_CHECK_EQUAL(lines.carried(), 0u);
  BOOST_CHECK(!lines.finish([](std::string_view) {}));
}

BOOST_AUTO_TEST_CASE(plain_and_gzip_files_read_alike) {
  test::temp_dir dir;
  lines_t want;
  for (int i = 0; i < 5000; ++i)
    want.push_back("{\"i\":" + std::to_string(i) + ",\"pad\":\""
                   + std::string(static_cast<size_t>(i % 97), 'x') + "\"}");
  want.emplace_back(100000, 'L'); // longer than any chunk below
  want.emplace_back("");
  want.emplace_back("last");
  for (const auto* name : {"events.jsonl", "events.jsonl.gz"}) {
    auto path = dir.file(name);
    {
      auto w = line_writer::create(path);
      BOOST_REQUIRE(w);
      for (const auto& line : want)
        BOOST_REQUIRE(w->write(line));
      BOOST_REQUIRE(w->close());
    }
    auto reader = chunk_reader::open(path);
    BOOST_REQUIRE(reader);
    BOOST_CHECK_EQUAL(reader->compressed(),
                      std::string{name}.find(".gz") != std::string::npos);
    for (size_t chunk : {size_t{7}, size_t{4096}, size_t{1} << 20})
      BOOST_TEST(read_lines(path, chunk) == want,
                 name << " in chunks of " << chunk);
  }
}

BOOST_AUTO_TEST_CASE(a_last_line_without_newline_and_crlf_files) {
  test::temp_dir dir;
  auto path = dir.file("crlf.jsonl");
  std::ofstream{path, std::ios::binary} << "a\r\n\r\nb\r\nc";
  BOOST_TEST(read_lines(path, 3) == (lines_t{"a", "", "b", "c"}));
}

BOOST_AUTO_TEST_CASE(missing_and_broken_files_say_what_is_wrong) {
  test::temp_dir dir;
  auto missing = chunk_reader::open(dir.file("nope.jsonl"));
  BOOST_REQUIRE(!missing);
  BOOST_TEST(missing.error().find("cannot open") != std::string::npos);
  BOOST_TEST(missing.error().find("nope.jsonl") != std::string::npos);
  auto directory = chunk_reader::open(dir.file(""));
  BOOST_REQUIRE(!directory);
  BOOST_TEST(directory.error().find("directory") != std::string::npos);
  // A gzip file cut in the middle of its stream.
  auto gz = dir.file("cut.jsonl.gz");
  {
    auto w = line_writer::create(gz);
    BOOST_REQUIRE(w);
    for (int i = 0; i < 20000; ++i)
      BOOST_REQUIRE(w->write("{\"n\":" + std::to_string(i * 7919) + "}"));
    BOOST_REQUIRE(w->close());
  }
  auto bytes = test::read_file(gz);
  std::ofstream{gz, std::ios::binary | std::ios::trunc}
      << bytes.substr(0, bytes.size() / 2);
  auto reader = chunk_reader::open(gz, 4096);
  BOOST_REQUIRE(reader);
  std::string buf;
  std::string error;
  for (;;) {
    buf.clear();
    auto got = reader->read(buf);
    if (!got) {
      error = got.error();
      break;
    }
    if (*got == 0)
      break;
  }
  BOOST_TEST(!error.empty(), "a truncated gzip file reads without error");
}

BOOST_AUTO_TEST_CASE(dead_letter_lines_round_trip) {
  dead_letter letter{3, 41, "not_json", "{\"broken\": \"x\n"};
  auto line = dead_letter_line(letter, 4);
  BOOST_CHECK_EQUAL(line, "{\"partition\":3,\"offset\":41,\"record\":167,"
                          "\"reason\":\"not_json\",\"payload\":"
                          "\"{\\\"broken\\\": \\\"x\\n\"}");
  int32_t p = -1;
  int64_t o = -1;
  BOOST_CHECK(parse_dead_letter_line(line, p, o));
  BOOST_CHECK_EQUAL(p, 3);
  BOOST_CHECK_EQUAL(o, 41);
  BOOST_CHECK(!parse_dead_letter_line(line.substr(0, line.size() - 3), p, o));
  BOOST_CHECK(!parse_dead_letter_line("garbage", p, o));
}
