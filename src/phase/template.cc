#include "phase/template.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <utility>

#include "util/host.h"
#include "util/uuid.h"

namespace flowsync::phase {
namespace {

bool MatchesAt(std::string_view text, size_t at, std::string_view pattern, bool fold) {
  if (text.size() - at < pattern.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char a = text[at + i];
    const char b = pattern[i];
    if (fold ? std::tolower(static_cast<unsigned char>(a)) !=
                   std::tolower(static_cast<unsigned char>(b))
             : a != b) {
      return false;
    }
  }
  return true;
}

// Replaces non-overlapping occurrences, left to right (strings.Replace, or
// a regexp of letter alternatives when `fold`); at most `limit` when > 0.
std::string Replace(std::string_view text, std::string_view pattern, std::string_view value,
                    bool fold = false, int limit = 0) {
  std::string out;
  out.reserve(text.size());
  int done = 0;
  size_t i = 0;
  while (i < text.size()) {
    if ((limit == 0 || done < limit) && MatchesAt(text, i, pattern, fold)) {
      out += value;
      i += pattern.size();
      ++done;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string Pad(long value, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*ld", width, value);
  return buf;
}

// The last two '-'-separated parts of a host name (a Kubernetes pod's
// replica-set hash and pod suffix).
std::string PodName(std::string_view host) {
  const size_t last = host.rfind('-');
  if (last == std::string_view::npos || last == 0) return std::string(host);
  const size_t before = host.rfind('-', last - 1);
  if (before == std::string_view::npos) return std::string(host);
  return std::string(host.substr(before + 1));
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

}  // namespace

std::chrono::seconds LocalUtcOffset(std::chrono::sys_seconds at) {
  const std::time_t t = static_cast<std::time_t>(at.time_since_epoch().count());
  std::tm tm{};
  if (::localtime_r(&t, &tm) == nullptr) return std::chrono::seconds(0);
  return std::chrono::seconds(tm.tm_gmtoff);
}

std::string RenderTimeTemplate(std::string_view text, std::optional<TemplateClock> time,
                               const TemplateOptions& options) {
  if (!time.has_value()) return std::string(text);
  using std::chrono::floor;
  const TemplateClock instant = *time + options.offset;
  const std::chrono::seconds utc_offset =
      options.utc_offset ? options.utc_offset(floor<std::chrono::seconds>(instant))
                         : std::chrono::seconds(0);
  const auto local = floor<std::chrono::seconds>(instant) + utc_offset;
  const auto day = floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(local - day);
  const std::string yyyy = Pad(static_cast<int>(ymd.year()), 4);
  const std::string yy = Pad(((static_cast<int>(ymd.year()) % 100) + 100) % 100, 2);
  const std::string mm = Pad(static_cast<unsigned>(ymd.month()), 2);
  const std::string dd = Pad(static_cast<unsigned>(ymd.day()), 2);
  const std::string hh = Pad(hms.hours().count(), 2);
  const std::string min = Pad(hms.minutes().count(), 2);
  const std::string ss = Pad(static_cast<long>(hms.seconds().count()), 2);

  // The '#' tail is kept literally, but only when '#' is not first.
  std::string_view head = text;
  std::string_view tail;
  if (const size_t hash = text.find('#'); hash != std::string_view::npos && hash > 0) {
    head = text.substr(0, hash);
    tail = text.substr(hash);
  }
  std::string s(head);
  s = Replace(s, "{SLUG}", "{HOUR_SLUG}");
  s = Replace(s, "{HOUR_SLUG}", "{YYYY}/{MM}/{DD}/{HH}");
  s = Replace(s, "{DAY_SLUG}", "{YYYY}/{MM}/{DD}");
  s = Replace(s, "{MONTH_SLUG}", "{YYYY}/{MM}");
  s = Replace(s, "{TS}", yyyy + mm + dd + "T" + hh + min + ss);
  s = Replace(s, "{yyyy}", yyyy, /*fold=*/true);
  s = Replace(s, "{yy}", yy, /*fold=*/true);
  s = Replace(s, "{mm}", mm, /*fold=*/true);
  s = Replace(s, "{dd}", dd, /*fold=*/true);
  s = Replace(s, "{hh}", hh, /*fold=*/true);
  s = Replace(s, "{min}", min);
  if (s.find('{') != std::string::npos) {
    const std::string host = options.hostname.empty() ? HostName() : options.hostname;
    s = Replace(s, "{host}", host, /*fold=*/true);
    s = Replace(s, "{POD}", PodName(host));
    if (s.find("{uuid}") != std::string::npos) {
      const std::string uuid = options.uuid ? options.uuid() : UuidV4();
      s = Replace(s, "{uuid}", uuid.substr(0, 8), /*fold=*/false, /*limit=*/1);
    }
  }
  s += tail;
  return s;
}

RenderedTemplate RenderMetaTemplate(std::string_view text, const QueryValues& meta) {
  static constexpr std::string_view kOpen = "{meta:";
  RenderedTemplate out;
  out.text.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (MatchesAt(text, i, kOpen, /*fold=*/false)) {
      size_t end = i + kOpen.size();
      while (end < text.size() && IsWordChar(text[end])) ++end;
      if (end > i + kOpen.size() && end < text.size() && text[end] == '}') {
        std::string key(text.substr(i + kOpen.size(), end - i - kOpen.size()));
        out.text += meta.Get(key);
        bool seen = false;
        for (const std::string& k : out.meta_keys) seen = seen || k == key;
        if (!seen) out.meta_keys.push_back(std::move(key));
        i = end + 1;
        continue;
      }
    }
    out.text += text[i++];
  }
  return out;
}

RenderedTemplate RenderTemplate(std::string_view text, std::optional<TemplateClock> time,
                                const QueryValues& meta, const TemplateOptions& options) {
  return RenderMetaTemplate(RenderTimeTemplate(text, time, options), meta);
}

}  // namespace flowsync::phase
