// Cron schedules as flowlord (robfig/cron v3 with an optional seconds field)
// reads them, with correct next fire times across month ends, leap years and
// daylight-saving changes.
//
// Accepted: 5 fields (minute hour day-of-month month day-of-week; second 0),
// 6 fields (second first), descriptors @yearly/@annually, @monthly, @weekly,
// @daily/@midnight, @hourly and @every <Go duration>, month and weekday names
// (JAN, SUN), '?' for '*', ranges, steps and lists, and a leading
// "TZ=Area/City " or "CRON_TZ=Area/City " prefix. Without a prefix the
// schedule runs in the process's local time zone (as flowlord does). When
// both day fields are restricted a day matches if either matches (OR); when
// either is '*' both must (AND).
//
// The rules below are robfig/cron v3's (parser.go, spec.go,
// constantdelay.go), so that a spec flowsync accepts is one flowlord runs
// and fires when flowlord fires. Only the error texts are flowsync's own.
//
// Fields. second 0-59, minute 0-59, hour 0-23, day of month 1-31, month 1-12
// or JAN-DEC, day of week 0-6 or SUN-SAT (0 = Sunday). Day of week 7 is
// rejected ("day of week: 7 is above the maximum 6"): robfig's range is 0-6.
// Names are the three-letter English abbreviations in any case ("jan",
// "Mon"), only in the month and day-of-week fields, also as range ends
// ("MON-FRI"); full names are not accepted. Each list element is "*", "?",
// "n", "a-b", optionally followed by "/step" (step >= 1); "n/step" means
// "n-max/step", "*/step" means "min-max/step". '?' is '*' and, as in robfig,
// is accepted in every field. Numbers are Go integers (a leading '+' is
// allowed). Quirks kept from robfig: empty list elements are skipped ("1,,2";
// a field of only commas matches nothing, so Next() is always nullopt), and a
// range starting with '*' or '?' is the whole field ("*-5" is "*").
//
// Day-of-month/day-of-week rule. A field is unrestricted when it contains a
// '*' or '?' element with step 1 ("*", "?", "*/1", "*,5"); "*/2", "1-31" and
// "0-6" are restricted. Both restricted: a day matches if either does (OR);
// otherwise both must (AND).
//
// Descriptors (exact, lower case, nothing after them): @yearly and
// @annually = "0 0 0 1 1 *", @monthly = "0 0 0 1 * *", @weekly =
// "0 0 0 * * 0", @daily and @midnight = "0 0 0 * * *", @hourly =
// "0 0 * * * *", all in the schedule's zone.
//
// @every <d>. d is a Go duration ("1h30m", "90s", "1.5h", "-2m"). As robfig's
// ConstantDelaySchedule: a duration under one second becomes one second, and
// the fraction of a second is dropped ("@every 1.9s" is every second). Next(t)
// is t + d: the interval counts from the instant given, not from a fixed
// origin or a wall-clock grid, so flowlord (which asks for the next time
// after each run) fires at its start + n*d. Time zones do not apply, and
// there is no 5-year limit.
//
// Time zones. "TZ=name " or "CRON_TZ=name " (the name ends at the first
// space) names an IANA zone of the system's zoneinfo; "UTC" and an empty
// name mean UTC, "Local" the local zone. Zones are read from
// /usr/share/zoneinfo (Debian's tzdata), as Go reads them. Unknown names,
// absolute ones and ones containing ".." are an error. Without
// a prefix the local zone is Go's time.Local: $TZ when set (empty = UTC),
// else /etc/localtime; it is read when the spec is parsed.
//
// Daylight saving (robfig's search, which steps months and days on the wall
// clock and hours, minutes and seconds on the absolute clock). In effect the
// answer is the first instant after `after` whose wall-clock reading in the
// schedule's zone matches the fields (the last two points are the
// exceptions):
//  - Spring forward: wall times inside the gap never happen, so a schedule
//    whose only time that day falls in the gap does not fire that day
//    ("30 2 * * *" in New York skips 2026-03-08 and fires next on 03-09
//    02:30). Times outside the gap fire as usual ("0 * * * *" fires at 01:00
//    EST and then 03:00 EDT).
//  - Fall back: the repeated hour happens twice and matching times fire in
//    both ("30 1 * * *" in New York fires at 01:30 EDT and again at 01:30 EST
//    on 2026-11-01; "0 * * * *" fires every real hour).
//  - Where midnight itself is skipped (Sao Paulo until 2019), that day
//    starts at 01:00: "0 0 * * *" does not fire on it, "0 1 * * *" does
//    (robfig's "hour != 0" correction keeps its day search on midnights).
//  - One robfig quirk is kept: its month search starts from 00:00 on the 1st
//    of the start's month and steps to the 1st of the next month keeping the
//    clock time; where such a 1st has no midnight (Casablanca 2008-06-01) it
//    goes on from 01:00, so "0 * * 7 *" searched from any time between
//    2007-08-01 and 2008-06-30 first fires on 2008-07-01 at 01:00, not 00:00.
//  - Where a whole day is skipped (Samoa, 2011-12-30), robfig's day search
//    loops forever (Go's time.Date maps the missing day onto the one
//    before); flowsync moves on to the next day that exists.
// This is not Vixie cron's rule (which fires skipped jobs right after the
// gap and repeated ones once); it is what flowlord does.
//
// Limits. Next() searches until the end of the fifth calendar year after the
// year of `after` (robfig's "year + 5"); "0 0 29 2 *" therefore finds the next
// Feb 29 from any day of 2097 only if it is by 2102 (it is 2104: nullopt).
// Instants outside years 1-9999 give nullopt. Times are whole seconds.
//
// Thread-safety: a parsed CronSchedule is immutable and safe to share.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "flowsync/status.h"

namespace flowsync {

class CronSchedule {
 public:
  using TimePoint = std::chrono::sys_seconds;

  // InvalidArgument with the reason only, e.g. "expected 5 or 6 fields, found
  // 4" or "unknown time zone 'Mars/Base'", so callers can phrase it as
  // flowlord does: "invalid cron: <spec> <reason>". Field errors start with
  // the field's name: "minute: 60 is above the maximum 59".
  static Result<CronSchedule> Parse(std::string_view spec);

  // The first fire time strictly after `after`; nullopt when there is none
  // within the search limit above (e.g. "0 0 30 2 *").
  std::optional<TimePoint> Next(TimePoint after) const;

  // The spec as given, prefix included.
  const std::string& spec() const;
  // The IANA zone the schedule runs in; empty for the process's local zone.
  const std::string& time_zone() const;

  ~CronSchedule();
  CronSchedule(const CronSchedule&);
  CronSchedule& operator=(const CronSchedule&);
  CronSchedule(CronSchedule&&) noexcept;
  CronSchedule& operator=(CronSchedule&&) noexcept;

 private:
  struct Impl;
  explicit CronSchedule(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace flowsync
