// TimeZone: UTC offsets of an IANA zone read from the system's compiled
// zoneinfo (TZif) files, the same files Go's time package reads, so cron
// schedules get the offsets flowlord gets.
//
// libstdc++ 12 has no chrono time-zone database, and Debian's date/tz.h needs
// a compiled library; a TZif reader is small and reproduces Go exactly: the
// 64-bit transitions of TZif v2+ and, past the last transition, the POSIX TZ
// rule in the file's footer ("EST5EDT,M3.2.0,M11.1.0"). Leap seconds are
// ignored, as Go ignores them.
//
// Thread-safety: a TimeZone is immutable; Load() and Local() may be called
// from any thread (loaded zones are cached process-wide and never freed).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"

namespace flowsync::cron {

class TimeZone {
 public:
  // Loads the IANA zone `name` ("Europe/Berlin") from /usr/share/zoneinfo.
  // "UTC" (and "", as Go's time.LoadLocation) is UTC. Names that are absolute,
  // contain "..", or do not name a TZif file give InvalidArgument
  // "unknown time zone '<name>'". Results are cached by name.
  static Result<std::shared_ptr<const TimeZone>> Load(std::string_view name);

  // The process's local zone as Go's time.Local picks it: $TZ unset means
  // /etc/localtime; $TZ empty means UTC; otherwise $TZ (a leading ':' is
  // dropped) names a zone, or a file when it starts with '/'; anything that
  // cannot be loaded falls back to UTC. Read on every call (not cached), so
  // a change of $TZ is seen by the next schedule parsed.
  static std::shared_ptr<const TimeZone> Local();

  static std::shared_ptr<const TimeZone> Utc();

  // Parses TZif data (versions 1 to 4). `name` is only kept for name().
  static Result<std::shared_ptr<const TimeZone>> FromTzif(std::string name, std::string_view data);

  // The zone's offset from UTC, in seconds east, at a Unix time.
  int32_t OffsetAt(int64_t unix_seconds) const;

  // The Unix time of a wall-clock time (seconds since 1970-01-01 00:00 of
  // the local calendar), choosing as Go's time.Date does: with
  // off(x) = OffsetAt(x), the answer is
  //   local - off(local - off(local)).
  // That is exactly Go's choice: a wall time that does not exist (spring
  // forward) moves by the size of the gap, to 01:30 EST for New York's 02:30
  // but to 03:30 CEST for Berlin's; a wall time that happens twice resolves
  // to the first occurrence west of Greenwich and to the second east of it.
  int64_t FromLocal(int64_t local_seconds) const;

  const std::string& name() const { return name_; }

  // A rule of a POSIX TZ string, e.g. "M3.2.0/2" or "J60" or "59".
  struct RuleDay {
    enum class Kind { kJulian, kZeroBased, kMonthWeekDay };
    Kind kind = Kind::kMonthWeekDay;
    int day = 0;  // Julian 1..365, or zero-based 0..365
    int month = 0, week = 0, weekday = 0;
    int32_t time = 7200;  // local seconds after midnight; may be < 0 or > 24h
  };
  struct PosixRule {
    int32_t std_offset = 0;  // seconds east of UTC
    bool has_dst = false;
    int32_t dst_offset = 0;
    RuleDay start, end;
  };
  // Parses a POSIX TZ string as Go's tzset does; nullopt if malformed.
  static std::optional<PosixRule> ParsePosixRule(std::string_view s);

 private:
  TimeZone() = default;
  int32_t RuleOffsetAt(int64_t unix_seconds) const;

  std::string name_;
  std::vector<int64_t> when_;    // transition instants, ascending
  std::vector<int32_t> offset_;  // offset in force from when_[i] on
  int32_t first_offset_ = 0;     // before the first transition (Go's rule)
  std::optional<PosixRule> rule_;
};

// Calendar arithmetic on the proleptic Gregorian calendar (any year).
int64_t DaysFromCivil(int64_t year, int month, int day);
struct CivilDay {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};
CivilDay CivilFromDays(int64_t days);
bool IsLeapYear(int64_t year);
int DaysInMonth(int64_t year, int month);

}  // namespace flowsync::cron
