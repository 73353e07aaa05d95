#include "flowsync/cron.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "cron/time_zone.h"
#include "util/go_duration.h"

namespace flowsync {
namespace {

using cron::TimeZone;

// Bit 63 of a field's set marks a '*' or '?' (robfig's starBit): the day
// fields combine with AND when either carries it, with OR otherwise.
constexpr uint64_t kStar = uint64_t{1} << 63;

struct FieldInfo {
  const char* name;  // as in messages: "day of month"
  uint64_t min, max;
  const std::string_view* names;  // lower-case, names[i] means min + i; or nullptr
  size_t name_count;
  const char* name_kind;  // "month name"
};

constexpr std::string_view kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::string_view kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr FieldInfo kSecond{"second", 0, 59, nullptr, 0, nullptr};
constexpr FieldInfo kMinute{"minute", 0, 59, nullptr, 0, nullptr};
constexpr FieldInfo kHour{"hour", 0, 23, nullptr, 0, nullptr};
constexpr FieldInfo kDom{"day of month", 1, 31, nullptr, 0, nullptr};
constexpr FieldInfo kMonth{"month", 1, 12, kMonthNames, 12, "month name"};
constexpr FieldInfo kDow{"day of week", 0, 6, kDayNames, 7, "day name"};

struct Fields {
  uint64_t second = 0, minute = 0, hour = 0, dom = 0, month = 0, dow = 0;
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::vector<std::string_view> SplitFields(std::string_view s) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (i > start) fields.push_back(s.substr(start, i - start));
  }
  return fields;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// Go's strconv.Atoi: an optional sign and decimal digits fitting in int64.
std::optional<int64_t> Atoi(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > (uint64_t{1} << 63)) return std::nullopt;
  }
  if (!neg && v == (uint64_t{1} << 63)) return std::nullopt;
  return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

Result<uint64_t> ParseValue(std::string_view text, std::string_view expr, const FieldInfo& f) {
  if (f.names != nullptr) {
    std::string lower(text);
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    for (size_t i = 0; i < f.name_count; ++i) {
      if (lower == f.names[i]) return f.min + i;
    }
  }
  if (text.empty()) return Status::InvalidArgument("missing number in " + Quote(expr));
  auto v = Atoi(text);
  if (!v || *v < 0) {
    return Status::InvalidArgument(Quote(text) + " is not a number" +
                                   (f.name_kind ? std::string(" or ") + f.name_kind : ""));
  }
  return static_cast<uint64_t>(*v);
}

// One element of a list: "*", "?", "n", "a-b", each optionally "/step";
// "n/step" means n-max/step. As robfig: '*' or '?' before a '-' makes the
// whole range the field's range; a step above 1 drops the star mark.
Result<uint64_t> ParseRange(std::string_view expr, const FieldInfo& f) {
  const std::vector<std::string_view> range_and_step = Split(expr, '/');
  const std::vector<std::string_view> low_and_high = Split(range_and_step[0], '-');
  uint64_t start = 0, end = 0, step = 1, extra = 0;
  if (low_and_high[0] == "*" || low_and_high[0] == "?") {
    start = f.min;
    end = f.max;
    extra = kStar;
  } else {
    FS_TRY_ASSIGN(start, ParseValue(low_and_high[0], expr, f));
    if (low_and_high.size() == 1) {
      end = start;
    } else if (low_and_high.size() == 2) {
      FS_TRY_ASSIGN(end, ParseValue(low_and_high[1], expr, f));
    } else {
      return Status::InvalidArgument("too many '-' in " + Quote(expr));
    }
  }
  if (range_and_step.size() == 2) {
    const std::string_view step_text = range_and_step[1];
    if (step_text.empty()) return Status::InvalidArgument("missing step in " + Quote(expr));
    auto v = Atoi(step_text);
    if (!v) return Status::InvalidArgument("step " + Quote(step_text) + " is not a number");
    if (*v < 1) return Status::InvalidArgument("step must be at least 1 in " + Quote(expr));
    step = static_cast<uint64_t>(*v);
    if (low_and_high.size() == 1) end = f.max;
    if (step > 1) extra = 0;
  } else if (range_and_step.size() > 2) {
    return Status::InvalidArgument("too many '/' in " + Quote(expr));
  }
  for (uint64_t v : {start, end}) {
    if (v < f.min) {
      return Status::InvalidArgument(std::to_string(v) + " is below the minimum " +
                                     std::to_string(f.min));
    }
    if (v > f.max) {
      return Status::InvalidArgument(std::to_string(v) + " is above the maximum " +
                                     std::to_string(f.max));
    }
  }
  if (start > end) {
    return Status::InvalidArgument("range " + Quote(range_and_step[0]) + " starts after it ends");
  }
  uint64_t bits = extra;
  for (uint64_t i = start; i <= end; i += step) {
    bits |= uint64_t{1} << i;
    if (step > f.max) break;  // i + step could overflow
  }
  return bits;
}

// A comma-separated list. Empty elements are skipped as robfig skips them
// (strings.FieldsFunc), so "1,,2" is "1,2" and "," matches nothing.
Result<uint64_t> ParseField(std::string_view text, const FieldInfo& f) {
  uint64_t bits = 0;
  for (std::string_view expr : Split(text, ',')) {
    if (expr.empty()) continue;
    auto r = ParseRange(expr, f);
    if (!r.ok()) return r.status().WithPrefix(f.name);
    bits |= *r;
  }
  return bits;
}

uint64_t All(const FieldInfo& f) {
  uint64_t bits = kStar;
  for (uint64_t i = f.min; i <= f.max; ++i) bits |= uint64_t{1} << i;
  return bits;
}

std::optional<Fields> Descriptor(std::string_view d) {
  Fields f;
  f.second = 1;  // second 0
  f.minute = 1;
  if (d == "@yearly" || d == "@annually") {
    f.hour = 1, f.dom = 1 << 1, f.month = 1 << 1, f.dow = All(kDow);
  } else if (d == "@monthly") {
    f.hour = 1, f.dom = 1 << 1, f.month = All(kMonth), f.dow = All(kDow);
  } else if (d == "@weekly") {
    f.hour = 1, f.dom = All(kDom), f.month = All(kMonth), f.dow = 1;
  } else if (d == "@daily" || d == "@midnight") {
    f.hour = 1, f.dom = All(kDom), f.month = All(kMonth), f.dow = All(kDow);
  } else if (d == "@hourly") {
    f.hour = All(kHour), f.dom = All(kDom), f.month = All(kMonth), f.dow = All(kDow);
  } else {
    return std::nullopt;
  }
  return f;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// An instant and its wall-clock fields in one zone: what Go's time.Time
// gives robfig's search (Add moves the instant, SetDate is time.Date).
class ZonedTime {
 public:
  ZonedTime(const TimeZone& zone, int64_t unix) : zone_(zone) { Set(unix); }

  void Set(int64_t unix) {
    unix_ = unix;
    const int64_t local = unix + zone_.OffsetAt(unix);
    const int64_t days = FloorDiv(local, 86400);
    const int64_t secs = local - days * 86400;
    const cron::CivilDay c = cron::CivilFromDays(days);
    year_ = c.year;
    month_ = c.month;
    day_ = c.day;
    hour_ = static_cast<int>(secs / 3600);
    minute_ = static_cast<int>(secs / 60 % 60);
    second_ = static_cast<int>(secs % 60);
    weekday_ = static_cast<int>((days % 7 + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  }
  // Go's time.Date: months and days out of range carry over.
  void SetDate(int64_t year, int month, int64_t day, int hour, int minute, int second) {
    year += FloorDiv(month - 1, 12);
    month = static_cast<int>(month - 1 - FloorDiv(month - 1, 12) * 12) + 1;
    const int64_t days = cron::DaysFromCivil(year, month, 1) + day - 1;
    Set(zone_.FromLocal(days * 86400 + hour * 3600 + minute * 60 + second));
  }

  // Go's t.AddDate(0, months, days), except that it always moves forward.
  // Where a wall-clock date does not exist (Samoa skipped 2011-12-30), Go's
  // time.Date maps it back onto the day before and robfig's search loops
  // forever; here the step goes on to the next date that exists.
  void AddDate(int months, int days) {
    const int64_t before = unix_;
    const int64_t year = year_;
    const int month = month_, day = day_, hour = hour_, minute = minute_, second = second_;
    for (int extra = 0; unix_ <= before; ++extra) {
      SetDate(year, month + months, day + days + extra, hour, minute, second);
    }
  }

  int64_t unix() const { return unix_; }
  int64_t year() const { return year_; }
  int month() const { return month_; }
  int day() const { return day_; }
  int hour() const { return hour_; }
  int minute() const { return minute_; }
  int second() const { return second_; }
  int weekday() const { return weekday_; }

 private:
  const TimeZone& zone_;
  int64_t unix_ = 0;
  int64_t year_ = 0;
  int month_ = 0, day_ = 0, hour_ = 0, minute_ = 0, second_ = 0, weekday_ = 0;
};

bool Has(uint64_t bits, int value) { return (bits >> value) & 1; }

bool DayMatches(const Fields& s, const ZonedTime& t) {
  const bool dom = Has(s.dom, t.day());
  const bool dow = Has(s.dow, t.weekday());
  if ((s.dom & kStar) || (s.dow & kStar)) return dom && dow;
  return dom || dow;
}

// True when a field matches nothing (robfig accepts ","), so no search can
// succeed; robfig would find that out by stepping through five years.
bool NeverMatches(const Fields& s) {
  const uint64_t v = ~kStar;
  if (!(s.second & v) || !(s.minute & v) || !(s.hour & v) || !(s.month & v)) return true;
  if ((s.dom & kStar) || (s.dow & kStar)) return !(s.dom & v) || !(s.dow & v);
  return !(s.dom & v) && !(s.dow & v);
}

// robfig/cron v3 SpecSchedule.Next, step for step: find the month, then the
// day, hour, minute and second, each by stepping that field; when a field
// wraps, start over from the month. Months and days step on the wall clock
// (time.AddDate), hours, minutes and seconds on the absolute clock
// (time.Add), which is what gives the DST behaviour documented in cron.h.
std::optional<int64_t> NextSpec(const Fields& s, const TimeZone& zone, int64_t after) {
  if (NeverMatches(s)) return std::nullopt;
  ZonedTime t(zone, after + 1);
  bool added = false;
  const int64_t year_limit = t.year() + 5;
  // Every round moves forward, so the year limit ends the search; the round
  // limit is a second guard that no zone data can defeat (real searches
  // need a few thousand rounds at most).
  for (int round = 0; round < 1000000; ++round) {
    if (t.year() > year_limit) return std::nullopt;
    bool wrapped = false;
    while (!Has(s.month, t.month())) {
      if (!added) {
        added = true;
        t.SetDate(t.year(), t.month(), 1, 0, 0, 0);
      }
      t.AddDate(1, 0);
      if (t.month() == 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!DayMatches(s, t)) {
      if (!added) {
        added = true;
        t.SetDate(t.year(), t.month(), t.day(), 0, 0, 0);
      }
      t.AddDate(0, 1);
      // Where midnight does not exist, the day starts at 01:00 (or the
      // previous 23:00 came back): move to the hour that is the day's start.
      if (t.hour() != 0) {
        t.Set(t.unix() + (t.hour() > 12 ? 24 - t.hour() : -t.hour()) * int64_t{3600});
      }
      if (t.day() == 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!Has(s.hour, t.hour())) {
      if (!added) {
        added = true;
        t.SetDate(t.year(), t.month(), t.day(), t.hour(), 0, 0);
      }
      t.Set(t.unix() + 3600);
      if (t.hour() == 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!Has(s.minute, t.minute())) {
      if (!added) {
        added = true;
        t.Set(FloorDiv(t.unix(), 60) * 60);
      }
      t.Set(t.unix() + 60);
      if (t.minute() == 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!Has(s.second, t.second())) {
      added = true;
      t.Set(t.unix() + 1);
      if (t.second() == 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    return t.unix();
  }
  return std::nullopt;
}

// Instants outside years 1..9999 are not searched (the calendar code is
// exact far beyond, but no schedule needs them and overflow stays far away).
constexpr int64_t kMinUnix = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxUnix = 253402300799;  // 9999-12-31T23:59:59Z

}  // namespace

struct CronSchedule::Impl {
  std::string spec;
  std::string time_zone;
  std::shared_ptr<const TimeZone> zone;
  int64_t every_seconds = 0;  // > 0 for "@every"
  Fields fields;
};

Result<CronSchedule> CronSchedule::Parse(std::string_view spec) {
  if (spec.empty()) return Status::InvalidArgument("empty spec");
  auto impl = std::make_shared<Impl>();
  impl->spec = std::string(spec);
  std::string_view rest = spec;
  if (rest.starts_with("TZ=") || rest.starts_with("CRON_TZ=")) {
    const size_t space = rest.find(' ');
    const size_t eq = rest.find('=');
    if (space == std::string_view::npos) {
      return Status::InvalidArgument("missing schedule after " + Quote(rest));
    }
    const std::string_view name = rest.substr(eq + 1, space - eq - 1);
    if (name == "Local") {
      impl->zone = TimeZone::Local();
    } else {
      FS_TRY_ASSIGN(impl->zone, TimeZone::Load(name));
      impl->time_zone = impl->zone->name();
    }
    rest = TrimSpace(rest.substr(space));
  } else {
    impl->zone = TimeZone::Local();
  }

  if (rest.starts_with("@")) {
    if (auto fields = Descriptor(rest)) {
      impl->fields = *fields;
    } else if (rest.starts_with("@every ")) {
      auto parsed = ParseGoDuration(rest.substr(7));
      if (!parsed.ok()) return parsed.status().WithPrefix("@every");
      // robfig's Every: under a second becomes a second; the rest of a
      // second is dropped.
      constexpr int64_t kNanosPerSecond = 1000000000;
      int64_t d = parsed->count();
      impl->every_seconds = d < kNanosPerSecond ? 1 : d / kNanosPerSecond;
    } else {
      return Status::InvalidArgument("unknown descriptor " + Quote(rest));
    }
    return CronSchedule(std::move(impl));
  }

  std::vector<std::string_view> fields = SplitFields(rest);
  if (fields.size() != 5 && fields.size() != 6) {
    return Status::InvalidArgument("expected 5 or 6 fields, found " +
                                   std::to_string(fields.size()));
  }
  if (fields.size() == 5) fields.insert(fields.begin(), "0");
  Fields& f = impl->fields;
  FS_TRY_ASSIGN(f.second, ParseField(fields[0], kSecond));
  FS_TRY_ASSIGN(f.minute, ParseField(fields[1], kMinute));
  FS_TRY_ASSIGN(f.hour, ParseField(fields[2], kHour));
  FS_TRY_ASSIGN(f.dom, ParseField(fields[3], kDom));
  FS_TRY_ASSIGN(f.month, ParseField(fields[4], kMonth));
  FS_TRY_ASSIGN(f.dow, ParseField(fields[5], kDow));
  return CronSchedule(std::move(impl));
}

std::optional<CronSchedule::TimePoint> CronSchedule::Next(TimePoint after) const {
  const int64_t t = after.time_since_epoch().count();
  if (impl_->every_seconds > 0) {
    if (t > std::numeric_limits<int64_t>::max() - impl_->every_seconds) return std::nullopt;
    return TimePoint(std::chrono::seconds(t + impl_->every_seconds));
  }
  if (t < kMinUnix || t >= kMaxUnix) return std::nullopt;
  auto next = NextSpec(impl_->fields, *impl_->zone, t);
  if (!next) return std::nullopt;
  return TimePoint(std::chrono::seconds(*next));
}

const std::string& CronSchedule::spec() const { return impl_->spec; }
const std::string& CronSchedule::time_zone() const { return impl_->time_zone; }

CronSchedule::CronSchedule(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
CronSchedule::~CronSchedule() = default;
CronSchedule::CronSchedule(const CronSchedule&) = default;
CronSchedule& CronSchedule::operator=(const CronSchedule&) = default;
CronSchedule::CronSchedule(CronSchedule&&) noexcept = default;
CronSchedule& CronSchedule::operator=(CronSchedule&&) noexcept = default;

}  // namespace flowsync
