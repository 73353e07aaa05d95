#include "util/time_format.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace flowsync {

std::string FormatTimestampMs(int64_t unix_ms) {
  int64_t secs = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::optional<int64_t> ParseTimestampMs(std::string_view text) {
  int year, month, day, hour, minute, second;
  int used = 0;
  std::string buf(text);
  if (std::sscanf(buf.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &used) != 6 ||
      used != 19) {
    return std::nullopt;
  }
  int64_t ms = 0;
  size_t i = 19;
  if (i < buf.size() && buf[i] == '.') {
    int digits = 0;
    for (++i; i < buf.size() && buf[i] >= '0' && buf[i] <= '9'; ++i, ++digits) {
      if (digits < 3) ms = ms * 10 + (buf[i] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (i + 1 != buf.size() || buf[i] != 'Z') return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = timegm(&tm);
  return static_cast<int64_t>(t) * 1000 + ms;
}

}  // namespace flowsync
