#include "runtime/timestamp.hpp"

#include <cmath>
#include <ctime>

// Grammar accepted by parse_rfc3339 (RFC 3339, section 5.6, plus one repair):
//
//   date-time  = YYYY "-" MM "-" DD sep HH ":" MM ":" SS [frac] zone
//   sep        = "T" / "t" / " "
//   frac       = "." 1*9DIGIT
//   zone       = "Z" / "z" / ("+" / "-") HH ":" MM / "+00:00Z"
//
// Leap seconds (second 60) are rejected: Unix time has no representation for
// them and the events we receive come from clocks that smear or step instead.
// "-00:00" (RFC 3339's "UTC, local offset unknown") is accepted as UTC. The
// double marker "+00:00Z" (seed 000) is accepted and reported as repaired; no
// other double marker is. Instants are accepted in years 1..9999 UTC, after
// applying the offset, the same range parse_epoch_ms accepts.

namespace vigil {

namespace {

constexpr int64_t ms_per_second = 1000;
constexpr int64_t ms_per_day = 86'400'000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// days_from_civil).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

/// A proleptic Gregorian date.
struct civil_date {
  int64_t year;
  unsigned month;
  unsigned day;
};

/// Inverse of days_from_civil (H. Hinnant's civil_from_days).
constexpr civil_date civil_from_days(int64_t z) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

constexpr bool is_leap_year(unsigned y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(unsigned y, unsigned m) noexcept {
  constexpr unsigned char days[]
      = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29u : days[m - 1];
}

/// Earliest accepted instant: 0001-01-01T00:00:00.000Z.
constexpr int64_t min_epoch_ms = days_from_civil(1, 1, 1) * ms_per_day;

/// Latest accepted instant: 9999-12-31T23:59:59.999Z.
constexpr int64_t max_epoch_ms = days_from_civil(10000, 1, 1) * ms_per_day - 1;

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(11017).year == 2000);
static_assert(civil_from_days(-1).day == 31);
static_assert(min_epoch_ms == -62'135'596'800'000);
static_assert(max_epoch_ms == 253'402'300'799'999);

/// A cursor over the input; every read is bounds-checked.
class cursor {
public:
  explicit cursor(std::string_view text) noexcept : text_(text) {
    // nop
  }

  /// Reads exactly `n` decimal digits into `out`.
  bool digits(size_t n, unsigned& out) noexcept {
    if (text_.size() - pos_ < n)
      return false;
    unsigned value = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned>(text_[pos_ + i]) - '0';
      if (c > 9)
        return false;
      value = value * 10 + c;
    }
    pos_ += n;
    out = value;
    return true;
  }

  /// Consumes `c` if it is the next character.
  bool literal(char c) noexcept {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  /// Returns the next character, or '\0' at the end (without consuming it).
  char peek() const noexcept {
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  /// Consumes one character.
  void skip() noexcept {
    ++pos_;
  }

  /// True when all input has been consumed.
  bool at_end() const noexcept {
    return pos_ == text_.size();
  }

private:
  std::string_view text_;
  size_t pos_ = 0;
};

/// Parses `.d{1,9}` into milliseconds (truncated); returns false on a dot
/// without digits or with more than 9 digits.
bool parse_fraction(cursor& in, unsigned& ms) noexcept {
  ms = 0;
  if (!in.literal('.'))
    return true;
  unsigned count = 0;
  unsigned digit = 0;
  while (in.digits(1, digit)) {
    if (++count > 9)
      return false;
    if (count <= 3)
      ms = ms * 10 + digit;
  }
  if (count == 0)
    return false;
  for (; count < 3; ++count)
    ms *= 10;
  return true;
}

/// Parses the zone designator; sets `offset_minutes` (east of UTC positive)
/// and `repaired` for the "+00:00Z" form.
bool parse_zone(cursor& in, int& offset_minutes, bool& repaired) noexcept {
  const char c = in.peek();
  if (c == 'Z' || c == 'z') {
    in.skip();
    offset_minutes = 0;
    return true;
  }
  if (c != '+' && c != '-')
    return false;
  in.skip();
  unsigned hh = 0;
  unsigned mm = 0;
  if (!in.digits(2, hh) || !in.literal(':') || !in.digits(2, mm) || hh > 23
      || mm > 59)
    return false;
  const int magnitude = static_cast<int>(hh * 60 + mm);
  offset_minutes = c == '-' ? -magnitude : magnitude;
  if (c == '+' && magnitude == 0 && in.literal('Z'))
    repaired = true;
  return true;
}

} // namespace

std::optional<parsed_timestamp> parse_rfc3339(std::string_view text) noexcept {
  cursor in{text};
  unsigned year = 0;
  unsigned month = 0;
  unsigned day = 0;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  if (!in.digits(4, year) || !in.literal('-') || !in.digits(2, month)
      || !in.literal('-') || !in.digits(2, day))
    return std::nullopt;
  if (year < 1 || month < 1 || month > 12 || day < 1
      || day > days_in_month(year, month))
    return std::nullopt;
  const char sep = in.peek();
  if (sep != 'T' && sep != 't' && sep != ' ')
    return std::nullopt;
  in.skip();
  if (!in.digits(2, hour) || !in.literal(':') || !in.digits(2, minute)
      || !in.literal(':') || !in.digits(2, second))
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  unsigned ms = 0;
  if (!parse_fraction(in, ms))
    return std::nullopt;
  int offset_minutes = 0;
  parsed_timestamp result;
  if (!parse_zone(in, offset_minutes, result.repaired) || !in.at_end())
    return std::nullopt;
  const int64_t local_seconds = days_from_civil(year, month, day) * 86400
                                + hour * 3600 + minute * 60 + second;
  const int64_t utc_seconds = local_seconds - int64_t{offset_minutes} * 60;
  result.epoch_ms = utc_seconds * ms_per_second + ms;
  // The offset can carry a date at the edge of the range out of it
  // (0001-01-01T00:00:00+01:00 is in year 0 UTC), where the instant could not
  // be formatted and parsed back.
  if (result.epoch_ms < min_epoch_ms || result.epoch_ms > max_epoch_ms)
    return std::nullopt;
  return result;
}

std::optional<parsed_timestamp> parse_epoch_ms(double value) noexcept {
  // The negated comparison also rejects NaN.
  if (!(value >= static_cast<double>(min_epoch_ms)
        && value <= static_cast<double>(max_epoch_ms)))
    return std::nullopt;
  if (std::trunc(value) != value)
    return std::nullopt;
  return parsed_timestamp{static_cast<int64_t>(value), false};
}

std::string format_rfc3339(int64_t epoch_ms) {
  // Floor division, so that instants before 1970 format correctly.
  int64_t days = epoch_ms / ms_per_day;
  int64_t ms_of_day = epoch_ms % ms_per_day;
  if (ms_of_day < 0) {
    ms_of_day += ms_per_day;
    --days;
  }
  const auto date = civil_from_days(days);
  const auto ms = static_cast<unsigned>(ms_of_day % 1000);
  const auto s = static_cast<unsigned>(ms_of_day / 1000 % 60);
  const auto m = static_cast<unsigned>(ms_of_day / 60'000 % 60);
  const auto h = static_cast<unsigned>(ms_of_day / 3'600'000);
  std::string out;
  out.reserve(24);
  // Years outside 0..9999 cannot be parsed back; they are still written out
  // in full (with a sign if negative) rather than silently wrapped.
  if (date.year < 0 || date.year > 9999) {
    out += std::to_string(date.year);
  } else {
    const auto y = static_cast<unsigned>(date.year);
    out += static_cast<char>('0' + y / 1000);
    out += static_cast<char>('0' + y / 100 % 10);
    out += static_cast<char>('0' + y / 10 % 10);
    out += static_cast<char>('0' + y % 10);
  }
  auto two = [&out](char prefix, unsigned v) {
    out += prefix;
    out += static_cast<char>('0' + v / 10);
    out += static_cast<char>('0' + v % 10);
  };
  two('-', date.month);
  two('-', date.day);
  two('T', h);
  two(':', m);
  two(':', s);
  out += '.';
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
  out += 'Z';
  return out;
}

std::string format_utc(int64_t epoch_ms, const char* layout) {
  auto secs = static_cast<std::time_t>(epoch_ms >= 0 ? epoch_ms / 1000
                                                     : (epoch_ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  auto n = std::strftime(buf, sizeof(buf), layout, &tm);
  return std::string(buf, n);
}

} // namespace vigil
