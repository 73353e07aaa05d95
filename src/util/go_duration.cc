#include "util/go_duration.h"

#include <cstdint>
#include <string>

namespace flowsync {
namespace {

constexpr uint64_t kMaxMagnitude = uint64_t{1} << 63;  // |INT64_MIN|

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Go's leadingInt: false on overflow past 1<<63.
bool LeadingInt(std::string_view* s, uint64_t* x) {
  size_t i = 0;
  *x = 0;
  for (; i < s->size() && IsDigit((*s)[i]); ++i) {
    if (*x > kMaxMagnitude / 10) return false;
    *x = *x * 10 + static_cast<uint64_t>((*s)[i] - '0');
    if (*x > kMaxMagnitude) return false;
  }
  s->remove_prefix(i);
  return true;
}

// Go's leadingFraction: digits past the precision of uint64 are dropped.
void LeadingFraction(std::string_view* s, uint64_t* x, double* scale) {
  size_t i = 0;
  *x = 0;
  *scale = 1;
  bool overflow = false;
  for (; i < s->size() && IsDigit((*s)[i]); ++i) {
    if (overflow) continue;
    if (*x > (kMaxMagnitude - 1) / 10) {
      overflow = true;
      continue;
    }
    const uint64_t y = *x * 10 + static_cast<uint64_t>((*s)[i] - '0');
    if (y > kMaxMagnitude) {
      overflow = true;
      continue;
    }
    *x = y;
    *scale *= 10;
  }
  s->remove_prefix(i);
}

uint64_t UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs")
    return 1'000;  // µs (U+00B5), μs (U+03BC)
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

}  // namespace

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  const std::string_view orig = text;
  const Status invalid = Status::InvalidArgument("time: invalid duration " + Quote(orig));
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) return invalid;
    const size_t before = s.size();
    uint64_t value = 0;
    if (!LeadingInt(&s, &value)) return invalid;
    const bool has_integer = before != s.size();
    bool has_fraction = false;
    uint64_t fraction = 0;
    double scale = 1;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      const size_t at = s.size();
      LeadingFraction(&s, &fraction, &scale);
      has_fraction = at != s.size();
    }
    if (!has_integer && !has_fraction) return invalid;
    size_t i = 0;
    while (i < s.size() && s[i] != '.' && !IsDigit(s[i])) ++i;
    if (i == 0) {
      return Status::InvalidArgument("time: missing unit in duration " + Quote(orig));
    }
    const std::string_view unit_text = s.substr(0, i);
    s.remove_prefix(i);
    const uint64_t unit = UnitNanos(unit_text);
    if (unit == 0) {
      return Status::InvalidArgument("time: unknown unit " + Quote(unit_text) + " in duration " +
                                     Quote(orig));
    }
    if (value > kMaxMagnitude / unit) return invalid;
    value *= unit;
    if (fraction > 0) {
      value += static_cast<uint64_t>(static_cast<double>(fraction) *
                                     (static_cast<double>(unit) / scale));
      if (value > kMaxMagnitude) return invalid;
    }
    if (value > kMaxMagnitude - total) return invalid;
    total += value;
  }
  if (negative) {
    // -(1<<63) is representable; negate through unsigned arithmetic.
    return std::chrono::nanoseconds(static_cast<int64_t>(~total + 1));
  }
  if (total > kMaxMagnitude - 1) return invalid;
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

}  // namespace flowsync
