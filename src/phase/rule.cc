#include "phase/rule.h"

#include <algorithm>
#include <utility>

#include "util/go_duration.h"

namespace flowsync::phase {
namespace {

constexpr std::string_view kKnownKeys[] = {"cron",  "offset",  "job",         "files",
                                           "count", "require", "retry_delay", "no_alert",
                                           "for",   "by",      "meta",        "meta-file"};

bool IsKnownKey(std::string_view key) {
  return std::find(std::begin(kKnownKeys), std::end(kKnownKeys), key) != std::end(kKnownKeys);
}

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

Status Duration(const QueryValues& values, std::string_view key,
                std::optional<std::chrono::nanoseconds>* out) {
  // An empty value is no value, as for flowlord's decoder.
  if (values.Get(key).empty()) return Status::OK();
  Result<std::chrono::nanoseconds> d = ParseGoDuration(values.Get(key));
  if (!d.ok()) return d.status().WithPrefix(key);
  *out = *d;
  return Status::OK();
}

Result<BatchBy> ParseBy(std::string_view text) {
  if (text.empty() || text == "day" || text == "daily") return BatchBy::kDay;
  if (text == "hour" || text == "hourly") return BatchBy::kHour;
  if (text == "week" || text == "weekly") return BatchBy::kWeek;
  if (text == "month" || text == "monthly") return BatchBy::kMonth;
  return Status::InvalidArgument("by: unknown value " + Quote(text) +
                                 " (want day, hour, week or month)");
}

std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  while (true) {
    const size_t at = text.find(sep);
    parts.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

Result<std::map<std::string, std::vector<std::string>>> ParseMeta(std::string_view text) {
  std::map<std::string, std::vector<std::string>> meta;
  std::string first_key;
  for (const std::string& item : Split(text, '|')) {
    if (item.empty()) continue;
    const size_t colon = item.find(':');
    if (colon == std::string::npos) {
      return Status::InvalidArgument("meta: " + Quote(item) +
                                     " has no ':' (want key:v1,v2|key2:v1,v2)");
    }
    std::string key = item.substr(0, colon);
    if (key.empty()) return Status::InvalidArgument("meta: empty key in " + Quote(item));
    if (meta.count(key) != 0)
      return Status::InvalidArgument("meta: key " + Quote(key) + " repeats");
    std::vector<std::string> values = Split(std::string_view(item).substr(colon + 1), ',');
    if (!first_key.empty() && values.size() != meta[first_key].size()) {
      return Status::InvalidArgument("meta: inconsistent lengths: " + Quote(first_key) + " has " +
                                     std::to_string(meta[first_key].size()) + " values, " +
                                     Quote(key) + " has " + std::to_string(values.size()));
    }
    if (first_key.empty()) first_key = key;
    meta.emplace(std::move(key), std::move(values));
  }
  return meta;
}

}  // namespace

std::string_view BatchByName(BatchBy by) {
  switch (by) {
    case BatchBy::kDay:
      return "day";
    case BatchBy::kHour:
      return "hour";
    case BatchBy::kWeek:
      return "week";
    case BatchBy::kMonth:
      return "month";
  }
  return "day";
}

Result<Rule> ParseRule(std::string_view text) {
  Rule rule;
  FS_TRY(ParseQuery(text, &rule.values));
  const QueryValues& v = rule.values;
  rule.cron = v.Get("cron");
  rule.job = v.Get("job");
  rule.files = v.Get("files");
  rule.count = v.Get("count");
  rule.require = v.All("require");
  rule.no_alert = !v.Get("no_alert").empty();
  rule.meta_file = v.Get("meta-file");

  std::optional<std::chrono::nanoseconds> d;
  FS_TRY(Duration(v, "offset", &d));
  rule.offset = d.value_or(std::chrono::nanoseconds(0));
  d.reset();
  FS_TRY(Duration(v, "retry_delay", &rule.retry_delay));
  FS_TRY(Duration(v, "for", &d));
  rule.for_range = d.value_or(std::chrono::nanoseconds(0));
  FS_TRY_ASSIGN(rule.by, ParseBy(v.Get("by")));
  FS_TRY_ASSIGN(rule.meta, ParseMeta(v.Get("meta")));
  if (!rule.meta.empty() && !rule.meta_file.empty()) {
    return Status::InvalidArgument("meta and meta-file can not be used at the same time");
  }
  for (const auto& [key, values] : v.map()) {
    if (!IsKnownKey(key)) rule.unknown_keys.push_back(key);
  }
  return rule;
}

}  // namespace flowsync::phase
