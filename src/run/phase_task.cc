#include "run/phase_task.h"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "phase/rule.h"
#include "run/retry_policy.h"
#include "util/go_duration.h"
#include "util/time_format.h"

namespace flowsync::run {

Result<NewExecution> PhaseExecution(const FoundPhase& found, const PhaseTaskOptions& options) {
  const Phase& p = found.phase;
  auto rule = phase::ParseRule(p.rule);
  if (!rule.ok()) {
    return Status::InvalidArgument(found.file + ": " + p.task +
                                   ": invalid rule: " + rule.status().message());
  }
  NewExecution e;
  e.workflow = found.file;
  e.topic = p.Topic();
  e.job = p.Job();
  e.task_time_ms = options.task_time_ms;
  e.trigger = options.trigger;
  e.run_at_ms = options.run_at_ms;
  e.parent_id = options.parent_id;
  RetryPolicy policy = PhaseRetryPolicy(p.retry, *rule);
  e.max_attempts = policy.max_attempts;
  e.retry_delay_ms = policy.retry_delay_ms;
  e.timeout_ms = options.default_timeout_ms;
  if (const std::string& t = rule->values.Get("timeout"); !t.empty()) {
    auto d = ParseGoDuration(t);
    if (!d.ok()) {
      return Status::InvalidArgument(found.file + ": " + p.task +
                                     ": timeout: " + d.status().message());
    }
    e.timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d).count();
    if (e.timeout_ms <= 0) {
      return Status::InvalidArgument(found.file + ": " + p.task + ": timeout: must be positive");
    }
  }
  std::optional<phase::TemplateClock> at;
  if (options.task_time_ms) {
    at = phase::TemplateClock(std::chrono::milliseconds(*options.task_time_ms));
  }
  e.info =
      phase::RenderTemplate(p.template_text, at, options.template_meta, options.template_options)
          .text;
  e.meta = "workflow=" + found.file;
  if (options.task_time_ms) {
    // flowlord's cron= value: the task time's hour, YYYY-MM-DDTHH (UTC).
    e.meta += "&cron=" + FormatTimestampMs(*options.task_time_ms).substr(0, 13);
  }
  if (!e.job.empty()) e.meta += "&job=" + e.job;
  return e;
}

std::string SortedMeta(const std::map<std::string, std::string>& meta) {
  std::string out;
  for (const auto& [key, value] : meta) {
    if (!out.empty()) out += "&";
    out += key + "=" + value;
  }
  return out;
}

namespace {

// The next step of a batch: `by` forwards (or backwards).
std::chrono::sys_seconds Step(std::chrono::sys_seconds t, phase::BatchBy by, bool backwards) {
  using std::chrono::hours;
  const int sign = backwards ? -1 : 1;
  switch (by) {
    case phase::BatchBy::kHour:
      return t + hours(sign);
    case phase::BatchBy::kWeek:
      return t + hours(sign * 24 * 7);
    case phase::BatchBy::kMonth: {
      const auto day = std::chrono::floor<std::chrono::days>(t);
      const std::chrono::year_month_day ymd(day);
      const std::chrono::year_month_day next = ymd + std::chrono::months(sign);
      // Go's AddDate normalizes Jan 31 + 1 month to Mar 3; so does this.
      const auto next_day =
          std::chrono::sys_days(next.year() / next.month() / 1) +
          (std::chrono::days(static_cast<unsigned>(ymd.day())) - std::chrono::days(1));
      return next_day + (t - day);
    }
    case phase::BatchBy::kDay:
      break;
  }
  return t + hours(sign * 24);
}

constexpr uint64_t kMaxMetaFile = 64 << 20;

// The rows of one JSON-lines file.
Status AppendRows(const FileSystem& fs, const std::string& path, const std::string& shown,
                  std::vector<phase::QueryValues>& rows) {
  FS_TRY_ASSIGN(std::string text, fs.ReadFile(path, kMaxMetaFile));
  size_t line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    at = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = "meta-file " + shown + ":" + std::to_string(line_no);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) return Status::InvalidArgument(where + ": not JSON");
    if (!j.is_object()) return Status::InvalidArgument(where + ": not a JSON object");
    phase::QueryValues row;
    for (const auto& [key, value] : j.items()) {
      row.Add(key, value.is_string() ? value.get<std::string>() : value.dump());
    }
    rows.push_back(std::move(row));
  }
  return Status::OK();
}

Result<std::vector<phase::QueryValues>> MetaFileRows(const std::string& name,
                                                     const PhaseTaskOptions& options) {
  if (options.fs == nullptr) return Status::InvalidArgument("meta-file: no file system here");
  const std::string path =
      name.starts_with("/") || options.root.empty() ? name : options.root + "/" + name;
  std::vector<phase::QueryValues> rows;
  const size_t slash = path.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string pattern = path.substr(slash == std::string::npos ? 0 : slash + 1);
  if (pattern.find_first_of("*?[") == std::string::npos) {
    FS_TRY(AppendRows(*options.fs, path, name, rows));
    return rows;
  }
  FS_TRY_ASSIGN(std::vector<DirEntry> entries, options.fs->ListDir(folder));
  std::vector<std::string> names;
  for (const DirEntry& e : entries) {
    if (e.type != FileType::kDirectory && ::fnmatch(pattern.c_str(), e.name.c_str(), 0) == 0) {
      names.push_back(e.name);
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    FS_TRY(AppendRows(*options.fs, folder + "/" + n, n, rows));
  }
  return rows;
}

}  // namespace

Result<std::vector<NewExecution>> PhaseFireExecutions(const FoundPhase& found,
                                                      const PhaseTaskOptions& options) {
  const Phase& p = found.phase;
  auto rule = phase::ParseRule(p.rule);
  if (!rule.ok()) {
    return Status::InvalidArgument(found.file + ": " + p.task +
                                   ": invalid rule: " + rule.status().message());
  }
  if (rule->for_range.count() == 0 && rule->meta.empty() && rule->meta_file.empty()) {
    FS_TRY_ASSIGN(NewExecution e, PhaseExecution(found, options));
    return std::vector<NewExecution>{std::move(e)};
  }
  if (!options.task_time_ms) {
    return Status::InvalidArgument(found.file + ": " + p.task + ": a batch needs a task time");
  }
  // The rows of `meta`: every key has as many values (ParseRule checks).
  std::vector<phase::QueryValues> rows;
  if (!rule->meta_file.empty()) {
    auto read = MetaFileRows(rule->meta_file, options);
    if (!read.ok()) return read.status().WithPrefix(found.file + ": " + p.task);
    rows = std::move(*read);
  } else {
    const size_t count = rule->meta.empty() ? 1 : rule->meta.begin()->second.size();
    for (size_t i = 0; i < count; ++i) {
      phase::QueryValues row;
      for (const auto& [key, values] : rule->meta) row.Add(key, values[i]);
      rows.push_back(std::move(row));
    }
  }
  using std::chrono::sys_seconds;
  const sys_seconds start = std::chrono::floor<std::chrono::hours>(
      sys_seconds(std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::milliseconds(*options.task_time_ms))));
  const sys_seconds end = start + std::chrono::duration_cast<std::chrono::seconds>(rule->for_range);
  const bool backwards = end < start;
  std::vector<NewExecution> out;
  for (sys_seconds t = start; backwards ? t >= end : t <= end; t = Step(t, rule->by, backwards)) {
    for (const phase::QueryValues& row : rows) {
      if (out.size() >= kMaxBatch) {
        return Status::InvalidArgument(found.file + ": " + p.task + ": the batch has more than " +
                                       std::to_string(kMaxBatch) + " tasks");
      }
      PhaseTaskOptions step = options;
      step.task_time_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
      step.template_meta = row;
      FS_TRY_ASSIGN(NewExecution e, PhaseExecution(found, step));
      // flowlord's batch meta: cron, workflow, job and the keys the
      // template used, sorted, unescaped.
      const phase::RenderedTemplate rendered = phase::RenderTemplate(
          p.template_text, phase::TemplateClock(std::chrono::milliseconds(*step.task_time_ms)), row,
          options.template_options);
      std::map<std::string, std::string> meta = {
          {"cron", FormatTimestampMs(*step.task_time_ms).substr(0, 13)}, {"workflow", found.file}};
      if (!e.job.empty()) meta["job"] = e.job;
      for (const std::string& key : rendered.meta_keys) meta[key] = row.Get(key);
      e.meta = SortedMeta(meta);
      out.push_back(std::move(e));
    }
  }
  return out;
}

Result<std::vector<NewExecution>> ChildExecutions(const FoundPhase& child,
                                                  const PhaseTaskOptions& options) {
  const Phase& p = child.phase;
  const std::string where = child.file + ": " + p.task;
  auto rule = phase::ParseRule(p.rule);
  if (!rule.ok())
    return Status::InvalidArgument(where + ": invalid rule: " + rule.status().message());
  std::vector<phase::QueryValues> rows;
  if (!rule->meta_file.empty()) {
    auto read = MetaFileRows(rule->meta_file, options);
    if (!read.ok()) return read.status().WithPrefix(where);
    rows = std::move(*read);
  } else if (!rule->meta.empty()) {
    std::map<std::string, std::vector<std::string>> merged(options.template_meta.map().begin(),
                                                           options.template_meta.map().end());
    for (const auto& [key, values] : rule->meta) merged[key] = values;
    const size_t count = merged.begin()->second.size();
    for (const auto& [key, values] : merged) {
      if (values.size() != count) {
        return Status::InvalidArgument(where + ": inconsistent lengths in meta (the parent's " +
                                       "values and the rule's meta= give " + key + " " +
                                       std::to_string(values.size()) + " values, not " +
                                       std::to_string(count) + ")");
      }
    }
    for (size_t i = 0; i < count && i < kMaxBatch; ++i) {
      phase::QueryValues row;
      for (const auto& [key, values] : merged) row.Add(key, values[i]);
      rows.push_back(std::move(row));
    }
  } else {
    rows.push_back(options.template_meta);
  }
  if (rows.size() > kMaxBatch) {
    return Status::InvalidArgument(where + ": the batch has more than " +
                                   std::to_string(kMaxBatch) + " tasks");
  }
  std::vector<NewExecution> out;
  for (const phase::QueryValues& row : rows) {
    PhaseTaskOptions one = options;
    one.template_meta = row;
    FS_TRY_ASSIGN(NewExecution e, PhaseExecution(child, one));
    out.push_back(std::move(e));
  }
  return out;
}

Result<int64_t> ExecutionTimeoutFromEnv(const char* value) {
  if (value == nullptr || *value == '\0') return kDefaultExecutionTimeoutMs;
  std::string_view text(value);
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds <= 0 ||
      seconds > 366LL * 86400) {
    return Status::InvalidArgument("WORKFLOW_EXECUTION_TIMEOUT: expected whole seconds from 1 to " +
                                   std::to_string(366LL * 86400) + ", got '" + std::string(text) +
                                   "'");
  }
  return seconds * 1000;
}

}  // namespace flowsync::run
