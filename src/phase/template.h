// Task templates: flowlord's tmpl.Parse (time placeholders) followed by
// tmpl.Meta ({meta:key}), which turn a phase's template into a task's info.
//
// Time placeholders (rendered from the task time plus the rule's offset):
//   {yyyy} 4-digit year (any letter case: {YYYY}, {yYyY})   {yy} 2-digit year
//   {mm} month  {dd} day  {hh} hour (zero-padded, any letter case)
//   {min} minute (lowercase only)   {TS} 20060102T150405
//   {SLUG} = {HOUR_SLUG} = yyyy/mm/dd/hh   {DAY_SLUG} = yyyy/mm/dd
//   {MONTH_SLUG} = yyyy/mm   {HOST}/{host} (any case) the host name
//   {POD} the last two '-'-separated parts of the host name
//   {uuid} the first 8 hex digits of a random UUID (lowercase literal only,
//          first occurrence only)
// Everything from the first '#' on is kept literally when that '#' is not
// the first character. Without a time the template is returned unchanged
// apart from {meta:key}, as flowlord does for a zero time.
// {meta:key} (key = [A-Za-z0-9_]+) becomes the first meta value of key, or
// "" when the key is missing; it is replaced everywhere, after the time
// placeholders, so a meta value is never itself rendered.
//
// Time zones, as flowlord: a cron-fired task renders in the process's local
// time (pass LocalUtcOffset), a child task in UTC (the default), since its
// time comes from the parent's `cron=YYYY-MM-DDTHH` meta read as UTC.
//
// Thread-safety: pure functions apart from the host name and UUID defaults.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "phase/query.h"

namespace flowsync::phase {

using TemplateClock = std::chrono::sys_time<std::chrono::nanoseconds>;

struct TemplateOptions {
  // Added to the time before rendering: the rule's offset= (signed).
  std::chrono::nanoseconds offset{0};
  // The zone's offset from UTC at an instant; empty means UTC.
  std::function<std::chrono::seconds(std::chrono::sys_seconds)> utc_offset;
  std::string hostname;               // {HOST}, {POD}; empty means this machine's name
  std::function<std::string()> uuid;  // {uuid}; empty means a random v4 UUID
};

struct RenderedTemplate {
  std::string text;
  std::vector<std::string> meta_keys;  // keys {meta:x} used, first use first
  bool operator==(const RenderedTemplate&) const = default;
};

// tmpl.Parse: the time placeholders only. `time` nullopt returns `text`.
std::string RenderTimeTemplate(std::string_view text, std::optional<TemplateClock> time,
                               const TemplateOptions& options = {});

// tmpl.Meta: {meta:key} only.
RenderedTemplate RenderMetaTemplate(std::string_view text, const QueryValues& meta);

// Both, in flowlord's order (time first, then meta).
RenderedTemplate RenderTemplate(std::string_view text, std::optional<TemplateClock> time,
                                const QueryValues& meta, const TemplateOptions& options = {});

// The process's local offset from UTC at `at` (localtime_r), for cron-fired
// tasks.
std::chrono::seconds LocalUtcOffset(std::chrono::sys_seconds at);

}  // namespace flowsync::phase
