#include "run/file_trigger.h"

#include <fnmatch.h>

#include <map>
#include <regex>

#include "phase/rule.h"
#include "util/time_format.h"

namespace flowsync::run {
namespace {

std::optional<std::chrono::sys_seconds> MakeTime(int y, int mo, int d, int h, int mi, int s) {
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  return sys_days(ymd) + hours(h) + minutes(mi) + seconds(s);
}

int Num(const std::ssub_match& m) { return std::stoi(m.str()); }

// The last '/'-separated part (npos + 1 is 0: all of a path without one).
std::string FileName(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

}  // namespace

std::optional<std::chrono::sys_seconds> PathTime(std::string_view path) {
  const std::string p(path);
  const std::string base = FileName(p);
  static const std::regex kStamp(R"((\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2}))");
  static const std::regex kHour(R"((\d{4})/(\d{2})/(\d{2})/(\d{2}))");
  static const std::regex kDay(R"((\d{4})/(\d{2})/(\d{2}))");
  static const std::regex kDashDay(R"((\d{4})-(\d{2})-(\d{2}))");
  static const std::regex kMonth(R"((\d{4})/(\d{2}))");
  std::smatch m;
  if (std::regex_search(base, m, kStamp)) {
    return MakeTime(Num(m[1]), Num(m[2]), Num(m[3]), Num(m[4]), Num(m[5]), Num(m[6]));
  }
  if (std::regex_search(p, m, kHour))
    return MakeTime(Num(m[1]), Num(m[2]), Num(m[3]), Num(m[4]), 0, 0);
  if (std::regex_search(p, m, kDay)) return MakeTime(Num(m[1]), Num(m[2]), Num(m[3]), 0, 0, 0);
  if (std::regex_search(p, m, kDashDay)) return MakeTime(Num(m[1]), Num(m[2]), Num(m[3]), 0, 0, 0);
  if (std::regex_search(p, m, kMonth)) return MakeTime(Num(m[1]), Num(m[2]), 1, 0, 0, 0);
  return std::nullopt;
}

bool GlobMatches(const std::string& pattern, const std::string& path) {
  // FNM_PATHNAME: '*', '?' and brackets do not match '/', as in Go.
  return ::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0;
}

Result<std::vector<NewExecution>> FileExecutions(const std::vector<StoredPhaseFile>& files,
                                                 const std::string& path,
                                                 const PhaseTaskOptions& options) {
  std::vector<NewExecution> out;
  const std::optional<std::chrono::sys_seconds> at = PathTime(path);
  for (const StoredPhaseFile& file : files) {
    for (const Phase& p : file.phases) {
      auto rule = phase::ParseRule(p.rule);
      if (!rule.ok() || rule->files.empty() || !GlobMatches(rule->files, path)) continue;
      // flowlord's meta: the rule's values, then file, filename, workflow.
      std::map<std::string, std::string> meta;
      for (const auto& [key, values] : rule->values.map()) {
        if (!values.empty()) meta[key] = values.front();
      }
      meta["file"] = path;
      meta["filename"] = FileName(path);
      meta["workflow"] = file.key;
      PhaseTaskOptions o = options;
      o.trigger = Trigger::kFiles;
      o.task_time_ms.reset();
      if (at) {
        o.task_time_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(at->time_since_epoch()).count();
      }
      o.template_meta = {};
      for (const auto& [key, value] : meta) o.template_meta.Add(key, value);
      FS_TRY_ASSIGN(NewExecution e, PhaseExecution({file.key, p}, o));
      e.meta = SortedMeta(meta);
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace flowsync::run
