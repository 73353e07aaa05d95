#include "cron/time_zone.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>

#include "flowsync/file_system.h"

namespace flowsync::cron {
namespace {

constexpr std::string_view kZoneInfoDir = "/usr/share/zoneinfo/";
constexpr uint64_t kMaxZoneFileSize = 1 << 20;

// Big-endian reader over TZif bytes; every read checks the bounds.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Skip(uint64_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  bool Read(int bytes, int64_t* out) {
    if (static_cast<size_t>(bytes) > data_.size() - pos_) return false;
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += bytes;
    if (bytes == 4) {
      *out = static_cast<int32_t>(static_cast<uint32_t>(v));
    } else if (bytes == 8) {
      *out = static_cast<int64_t>(v);
    } else {
      *out = static_cast<int64_t>(v);  // 1 byte: unsigned
    }
    return true;
  }
  std::string_view Rest() const { return data_.substr(pos_); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

struct Header {
  char version = 0;
  int64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool ReadHeader(Reader& r, Header* h) {
  std::string_view rest = r.Rest();
  if (rest.size() < 44 || rest.substr(0, 4) != "TZif") return false;
  h->version = rest[4];
  r.Skip(20);
  for (int64_t* field :
       {&h->isutcnt, &h->isstdcnt, &h->leapcnt, &h->timecnt, &h->typecnt, &h->charcnt}) {
    if (!r.Read(4, field) || *field < 0) return false;
  }
  return true;
}

// Go's tzsetName: a quoted <...> name or at least three letters.
bool PosixName(std::string_view& s) {
  if (s.empty()) return false;
  if (s[0] == '<') {
    size_t close = s.find('>');
    if (close == std::string_view::npos) return false;
    s.remove_prefix(close + 1);
    return true;
  }
  size_t i = 0;
  while (i < s.size() && s[i] != ',' && s[i] != '-' && s[i] != '+' &&
         !(s[i] >= '0' && s[i] <= '9')) {
    ++i;
  }
  if (i < 3) return false;
  s.remove_prefix(i);
  return true;
}

bool PosixNumber(std::string_view& s, int64_t* out) {
  size_t i = 0;
  int64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    v = v * 10 + (s[i] - '0');
    if (v > 1000000) return false;
    ++i;
  }
  if (i == 0) return false;
  s.remove_prefix(i);
  *out = v;
  return true;
}

// Go's tzsetOffset: [+-]hh[:mm[:ss]], hours up to 168. Returns seconds.
bool PosixOffset(std::string_view& s, int32_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int64_t hours = 0;
  if (!PosixNumber(s, &hours) || hours > 24 * 7) return false;
  int64_t total = hours * 3600;
  for (int part = 0; part < 2 && !s.empty() && s[0] == ':'; ++part) {
    s.remove_prefix(1);
    int64_t v = 0;
    if (!PosixNumber(s, &v) || v >= 60) return false;
    total += part == 0 ? v * 60 : v;
  }
  *out = static_cast<int32_t>(neg ? -total : total);
  return true;
}

bool PosixRuleDay(std::string_view& s, TimeZone::RuleDay* rule) {
  using Kind = TimeZone::RuleDay::Kind;
  if (s.empty()) return false;
  int64_t v = 0;
  if (s[0] == 'J') {
    s.remove_prefix(1);
    if (!PosixNumber(s, &v) || v < 1 || v > 365) return false;
    rule->kind = Kind::kJulian;
    rule->day = static_cast<int>(v);
  } else if (s[0] == 'M') {
    s.remove_prefix(1);
    int64_t m = 0, w = 0, d = 0;
    if (!PosixNumber(s, &m) || m < 1 || m > 12) return false;
    if (s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!PosixNumber(s, &w) || w < 1 || w > 5) return false;
    if (s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!PosixNumber(s, &d) || d > 6) return false;
    rule->kind = Kind::kMonthWeekDay;
    rule->month = static_cast<int>(m);
    rule->week = static_cast<int>(w);
    rule->weekday = static_cast<int>(d);
  } else {
    if (!PosixNumber(s, &v) || v > 365) return false;
    rule->kind = Kind::kZeroBased;
    rule->day = static_cast<int>(v);
  }
  rule->time = 2 * 3600;
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    if (!PosixOffset(s, &rule->time)) return false;
  }
  return true;
}

// Unix time of a rule's transition in `year`; `offset` is the one in force
// before it (standard time for the start of DST, DST for its end).
int64_t RuleInstant(int64_t year, const TimeZone::RuleDay& r, int32_t offset) {
  using Kind = TimeZone::RuleDay::Kind;
  int64_t day = 0;  // days since 1970-01-01
  switch (r.kind) {
    case Kind::kJulian:
      day = DaysFromCivil(year, 1, 1) + r.day - 1 + (IsLeapYear(year) && r.day >= 60 ? 1 : 0);
      break;
    case Kind::kZeroBased:
      day = DaysFromCivil(year, 1, 1) + r.day;
      break;
    case Kind::kMonthWeekDay: {
      int64_t first = DaysFromCivil(year, r.month, 1);
      int first_weekday = static_cast<int>(((first % 7) + 7 + 4) % 7);  // 1970-01-01: Thursday
      int d = 1 + (r.weekday - first_weekday + 7) % 7 + (r.week - 1) * 7;
      while (d > DaysInMonth(year, r.month)) d -= 7;
      day = first + d - 1;
      break;
    }
  }
  return day * 86400 + r.time - offset;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::mutex& CacheMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>>& Cache() {
  static auto* cache = new std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>>();
  return *cache;
}

// Loads and caches the TZif file at `path`; `name` is what name() reports.
Result<std::shared_ptr<const TimeZone>> LoadFile(const std::string& path, std::string name) {
  {
    std::lock_guard<std::mutex> lock(CacheMutex());
    auto it = Cache().find(path);
    if (it != Cache().end()) return it->second;
  }
  auto data = RealFileSystem().ReadFile(path, kMaxZoneFileSize);
  if (!data.ok()) return data.status();
  auto zone = TimeZone::FromTzif(std::move(name), *data);
  if (!zone.ok()) return zone.status();
  std::lock_guard<std::mutex> lock(CacheMutex());
  return Cache().emplace(path, *zone).first->second;
}

}  // namespace

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Howard Hinnant's days_from_civil / civil_from_days, for any int64 year
// that keeps the day count in range.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = FloorDiv(year, 400);
  const int64_t yoe = year - era * 400;
  const int64_t mp = (month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDay CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = FloorDiv(days, 146097);
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::optional<TimeZone::PosixRule> TimeZone::ParsePosixRule(std::string_view s) {
  PosixRule rule;
  if (!PosixName(s) || !PosixOffset(s, &rule.std_offset)) return std::nullopt;
  rule.std_offset = -rule.std_offset;  // POSIX counts west as positive
  if (s.empty()) return rule;
  if (!PosixName(s)) return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (!s.empty() && s[0] != ',') {
    if (!PosixOffset(s, &rule.dst_offset)) return std::nullopt;
    rule.dst_offset = -rule.dst_offset;
  }
  if (s.empty()) s = ",M3.2.0,M11.1.0";  // Go's default: the US rules
  if (s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  if (!PosixRuleDay(s, &rule.start)) return std::nullopt;
  if (s.empty() || s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  if (!PosixRuleDay(s, &rule.end) || !s.empty()) return std::nullopt;
  return rule;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::FromTzif(std::string name,
                                                           std::string_view data) {
  const Status bad = Status::InvalidArgument("malformed time zone data for '" + name + "'");
  Reader r(data);
  Header h;
  if (!ReadHeader(r, &h)) return bad;
  int time_size = 4;
  if (h.version >= '2') {
    // Skip the 32-bit block; the 64-bit one that follows covers all times.
    if (!r.Skip(h.timecnt * 5 + h.typecnt * 6 + h.charcnt + h.leapcnt * 8 + h.isstdcnt +
                h.isutcnt) ||
        !ReadHeader(r, &h)) {
      return bad;
    }
    time_size = 8;
  }
  if (h.typecnt < 1) return bad;
  std::vector<int64_t> when(h.timecnt);
  std::vector<int64_t> index(h.timecnt);
  for (auto& w : when) {
    if (!r.Read(time_size, &w)) return bad;
  }
  for (auto& i : index) {
    if (!r.Read(1, &i) || i >= h.typecnt) return bad;
  }
  std::vector<int32_t> type_offset(h.typecnt);
  std::vector<bool> type_dst(h.typecnt);
  for (int64_t t = 0; t < h.typecnt; ++t) {
    int64_t off = 0, dst = 0, desig = 0;
    if (!r.Read(4, &off) || !r.Read(1, &dst) || !r.Read(1, &desig)) return bad;
    type_offset[t] = static_cast<int32_t>(off);
    type_dst[t] = dst != 0;
  }
  if (!r.Skip(h.charcnt + h.leapcnt * (time_size + 4) + h.isstdcnt + h.isutcnt)) return bad;

  std::shared_ptr<TimeZone> zone(new TimeZone());
  zone->name_ = std::move(name);
  if (h.version >= '2') {
    std::string_view footer = r.Rest();
    if (footer.size() >= 2 && footer[0] == '\n') {
      footer.remove_prefix(1);
      size_t nl = footer.find('\n');
      if (nl != std::string_view::npos && nl > 0) {
        // A footer Go cannot parse is ignored (the last offset stays), as in Go.
        zone->rule_ = ParsePosixRule(footer.substr(0, nl));
      }
    }
  }
  for (int64_t i = 0; i < h.timecnt; ++i) {
    zone->when_.push_back(when[i]);
    zone->offset_.push_back(type_offset[index[i]]);
  }
  // Go's lookupFirstZone: the offset before the first transition.
  int first = 0;
  bool zero_used = std::find(index.begin(), index.end(), 0) != index.end();
  if (zero_used) {
    bool found = false;
    if (!index.empty() && type_dst[index[0]]) {
      for (int64_t zi = index[0] - 1; zi >= 0 && !found; --zi) {
        if (!type_dst[zi]) first = static_cast<int>(zi), found = true;
      }
    }
    for (int64_t zi = 0; zi < h.typecnt && !found; ++zi) {
      if (!type_dst[zi]) first = static_cast<int>(zi), found = true;
    }
  }
  zone->first_offset_ = type_offset[first];
  return std::shared_ptr<const TimeZone>(std::move(zone));
}

int32_t TimeZone::RuleOffsetAt(int64_t unix_seconds) const {
  const PosixRule& rule = *rule_;
  if (!rule.has_dst) return rule.std_offset;
  // The latest transition at or before the instant, among those of the
  // year around it (rules are per local year; a year either side covers
  // transitions near New Year and southern-hemisphere rules).
  const int64_t year = CivilFromDays(FloorDiv(unix_seconds + rule.std_offset, 86400)).year;
  int64_t best_when = INT64_MIN;
  int32_t best_offset = rule.std_offset;
  for (int64_t y = year - 1; y <= year + 1; ++y) {
    const int64_t start = RuleInstant(y, rule.start, rule.std_offset);
    const int64_t end = RuleInstant(y, rule.end, rule.dst_offset);
    if (start <= unix_seconds && start > best_when)
      best_when = start, best_offset = rule.dst_offset;
    if (end <= unix_seconds && end > best_when) best_when = end, best_offset = rule.std_offset;
  }
  return best_offset;
}

int32_t TimeZone::OffsetAt(int64_t unix_seconds) const {
  if (when_.empty()) return rule_ ? RuleOffsetAt(unix_seconds) : first_offset_;
  if (unix_seconds < when_.front()) return first_offset_;
  // The last transition at or before the instant.
  const size_t i = std::upper_bound(when_.begin(), when_.end(), unix_seconds) - when_.begin() - 1;
  if (i == when_.size() - 1 && rule_) return RuleOffsetAt(unix_seconds);
  return offset_[i];
}

int64_t TimeZone::FromLocal(int64_t local_seconds) const {
  return local_seconds - OffsetAt(local_seconds - OffsetAt(local_seconds));
}

std::shared_ptr<const TimeZone> TimeZone::Utc() {
  static const auto* utc = [] {
    std::shared_ptr<TimeZone> zone(new TimeZone());
    zone->name_ = "UTC";
    return new std::shared_ptr<const TimeZone>(std::move(zone));
  }();
  return *utc;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Load(std::string_view name) {
  if (name.empty() || name == "UTC") return Utc();
  const Status unknown = Status::InvalidArgument("unknown time zone '" + std::string(name) + "'");
  // Go's containsDotDot and absolute-name checks: names stay inside the folder.
  if (name[0] == '/' || name[0] == '\\' || name.find("..") != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return unknown;
  }
  auto zone = LoadFile(std::string(kZoneInfoDir) + std::string(name), std::string(name));
  if (!zone.ok()) return unknown;
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::Local() {
  const char* tz = std::getenv("TZ");
  Result<std::shared_ptr<const TimeZone>> zone = Status::NotFound("");
  if (tz == nullptr) {
    zone = LoadFile("/etc/localtime", "Local");
  } else {
    std::string_view name(tz);
    if (!name.empty() && name[0] == ':') name.remove_prefix(1);
    if (!name.empty() && name[0] == '/') {
      zone = LoadFile(std::string(name), "Local");
    } else if (!name.empty() && name != "UTC") {
      zone = Load(name);
    }
  }
  return zone.ok() ? *zone : Utc();
}

}  // namespace flowsync::cron
