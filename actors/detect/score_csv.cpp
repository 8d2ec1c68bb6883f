#include "actors/detect/score_csv.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/timestamp.hpp"

namespace vigil {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty()
         && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty()
         && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
    s = s.substr(1, s.size() - 2);
  return s;
}

bool all_digits(std::string_view s) noexcept {
  if (!s.empty() && s.front() == '-')
    s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

bool has_zone(std::string_view s) noexcept {
  if (s.size() < 20)
    return false;
  auto last = s.back();
  if (last == 'Z' || last == 'z')
    return true;
  // +HH:MM or -HH:MM after the time of day.
  return s.size() >= 6 && s[s.size() - 3] == ':'
         && (s[s.size() - 6] == '+' || s[s.size() - 6] == '-');
}

std::optional<double> parse_value(std::string_view s) noexcept {
  if (!s.empty() && s.front() == '+')
    s.remove_prefix(1);
  if (s.empty())
    return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::string quoted(std::string_view s) {
  constexpr size_t max_shown = 60;
  std::string out = "'";
  out.append(s.substr(0, max_shown));
  if (s.size() > max_shown)
    out += "...";
  out += "'";
  return out;
}

void append_score(std::string& out, double score) {
  char buf[32];
  auto rounded = std::round(score * 1e4) / 1e4;
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), rounded);
  if (ec != std::errc{})
    out += '0';
  else
    out.append(buf, end);
}

} // namespace

std::optional<int64_t> parse_series_timestamp(std::string_view text) noexcept {
  if (all_digits(text)) {
    int64_t ms = 0;
    auto [end, ec]
        = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc{} || end != text.data() + text.size())
      return std::nullopt;
    auto parsed = parse_epoch_ms(static_cast<double>(ms));
    if (!parsed)
      return std::nullopt;
    return ms;
  }
  if (has_zone(text)) {
    if (auto parsed = parse_rfc3339(text))
      return parsed->epoch_ms;
    return std::nullopt;
  }
  // No zone: UTC.
  char buf[48];
  if (text.size() + 1 > sizeof(buf))
    return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 'Z';
  if (auto parsed = parse_rfc3339(std::string_view{buf, text.size() + 1}))
    return parsed->epoch_ms;
  return std::nullopt;
}

score_csv_result score_csv(std::string_view input,
                           const detection_config& config, std::string& out) {
  score_csv_result result;
  auto fail = [&](size_t line, std::string what) {
    result.error = "line " + std::to_string(line) + ": " + what;
    return result;
  };
  // A UTF-8 byte order mark is not part of the header.
  if (input.substr(0, 3) == "\xEF\xBB\xBF")
    input.remove_prefix(3);
  anomaly_scorer scorer(config);
  size_t line_no = 0;
  bool header_seen = false;
  int64_t last_ms = INT64_MIN;
  size_t last_line = 0;
  std::string_view last_text;
  size_t pos = 0;
  out.reserve(out.size() + input.size() + input.size() / 3 + 64);
  while (pos < input.size()) {
    auto nl = input.find('\n', pos);
    auto raw = input.substr(
        pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? input.size() : nl + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r')
      raw.remove_suffix(1);
    auto comma = raw.find(',');
    if (!header_seen) {
      auto first = trim(raw.substr(0, comma));
      auto second = comma == std::string_view::npos
                        ? std::string_view{}
                        : trim(raw.substr(comma + 1));
      if (comma == std::string_view::npos || first != "timestamp"
          || second != "value")
        return fail(line_no, "the first line must be the header "
                             "'timestamp,value', found "
                                 + quoted(raw));
      header_seen = true;
      out += "timestamp,value,anomaly_score\n";
      continue;
    }
    if (trim(raw).empty())
      continue;
    if (comma == std::string_view::npos
        || raw.find(',', comma + 1) != std::string_view::npos)
      return fail(line_no, "expected two fields 'timestamp,value', found "
                               + quoted(raw));
    auto ts_text = trim(raw.substr(0, comma));
    auto value_text = trim(raw.substr(comma + 1));
    auto ts = parse_series_timestamp(ts_text);
    if (!ts)
      return fail(line_no,
                  "unparsable timestamp " + quoted(ts_text)
                      + " (expected e.g. 2014-04-01 00:00:00, RFC 3339 "
                        "such as 2014-04-01T00:00:00Z, or epoch milliseconds)");
    auto value = parse_value(value_text);
    if (!value)
      return fail(line_no, "unparsable value " + quoted(value_text)
                               + " (expected a finite number, e.g. 42.5)");
    if (*ts < last_ms)
      return fail(line_no, "timestamp " + quoted(ts_text)
                               + " goes backwards (line "
                               + std::to_string(last_line) + " has "
                               + quoted(last_text) + ")");
    last_ms = *ts;
    last_line = line_no;
    last_text = ts_text;
    auto point = scorer.observe(*ts, *value);
    ++result.rows;
    if (point.anomalous())
      ++result.anomalous;
    out.append(raw.data(), raw.size());
    out += ',';
    append_score(out, point.score);
    out += '\n';
  }
  if (!header_seen)
    return fail(1, "the input is empty; the first line must be the header "
                   "'timestamp,value'");
  return result;
}

score_file_result score_csv_file(const std::string& input_path,
                                 const std::string& output_path,
                                 const detection_config& config) {
  score_file_result result;
  auto fail = [&](int code, std::string what) {
    result.exit_code = code;
    result.error = std::move(what);
    return result;
  };
  std::string input;
  {
    auto* f = std::fopen(input_path.c_str(), "rb");
    if (f == nullptr)
      return fail(2, "cannot read " + input_path + ": " + std::strerror(errno));
    char buf[1 << 16];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
      input.append(buf, n);
    auto bad = std::ferror(f) != 0;
    std::fclose(f);
    if (bad)
      return fail(2, "cannot read " + input_path);
  }
  std::string out;
  auto scored = score_csv(input, config, out);
  static_cast<score_csv_result&>(result) = scored;
  if (!scored.error.empty())
    return fail(2, input_path + ": " + scored.error);
  // Write next to the output, then rename: a reader never sees half a file.
  std::string tmp = output_path + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return fail(1, "cannot create a temporary file next to " + output_path
                       + ": " + std::strerror(errno));
  auto mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    auto n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      auto err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(1, "cannot write " + output_path + ": " + std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  // No fsync: the rename protects readers from a half-written file if vigil
  // dies; surviving a power cut would cost a second per million rows.
  if (::close(fd) != 0) {
    auto err = errno;
    ::unlink(tmp.c_str());
    return fail(1, "cannot write " + output_path + ": " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), output_path.c_str()) != 0) {
    auto err = errno;
    ::unlink(tmp.c_str());
    return fail(1, "cannot rename the finished output to " + output_path + ": "
                       + std::strerror(err));
  }
  return result;
}

} // namespace vigil
