// A phase rule: the URL query string that says when and how a phase runs
// ("cron=0 * * * *&offset=-4h&job=t2"), read into typed values.
//
// The keys are flowlord's, case-sensitive as its decoder is: cron, offset,
// job, files, count, require, retry_delay, no_alert, for, by, meta,
// meta-file. Other keys are kept in `unknown_keys` (flowlord ignores them,
// which hides typos such as `Offset` or a leading '?').
//
// Thread-safety: pure function and values.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"
#include "phase/query.h"

namespace flowsync::phase {

// The step of a batch (`by=`): flowlord's hour/hourly, week/weekly,
// month/monthly, day/daily; empty means day.
enum class BatchBy { kDay, kHour, kWeek, kMonth };
std::string_view BatchByName(BatchBy by);  // "day", "hour", "week", "month"

struct Rule {
  QueryValues values;                  // every pair as parsed, for keys read elsewhere
  std::string cron;                    // the cron spec; empty when not scheduled by cron
  std::chrono::nanoseconds offset{0};  // added to the fire time (signed)
  std::string job;                     // job name when the task has no ":job"
  std::string files;                   // filepath.Match glob of incoming files
  std::string count;                   // parsed but unused by flowlord
  // Every require value, in order; a child starts only when each {meta:x}
  // they hold is set in the parent meta.
  std::vector<std::string> require;
  // The wait before a retry; nullopt when absent (flowlord then waits 1s).
  std::optional<std::chrono::nanoseconds> retry_delay;
  // Any non-empty value stops the alert when retries run out, as in
  // flowlord (so "no_alert=false" also stops it).
  bool no_alert = false;
  std::chrono::nanoseconds for_range{0};  // `for`: batch range (signed)
  BatchBy by = BatchBy::kDay;
  // `meta=k1:a,b|k2:1,2`: key -> values; every key has as many values.
  std::map<std::string, std::vector<std::string>> meta;
  std::string meta_file;                  // `meta-file`: JSON-lines file or glob
  std::vector<std::string> unknown_keys;  // sorted
};

// Parses a rule. Where a key repeats, the first value counts (Go's Get),
// except `require`, which keeps all. Errors are InvalidArgument:
// - the query itself (ParseQuery's texts): "invalid semicolon separator in
//   query", `invalid URL escape "%zz"`;
// - a value, named by its key: `offset: time: invalid duration "x"` (also
//   retry_delay and for), `by: unknown value "x" (want day, hour, week or
//   month)`, `meta: "k" has no ':' (want key:v1,v2|key2:v1,v2)`,
//   `meta: empty key in "..."`, `meta: key "k" repeats`,
//   `meta: inconsistent lengths: "a" has 2 values, "b" has 3`,
//   "meta and meta-file can not be used at the same time".
Result<Rule> ParseRule(std::string_view text);

}  // namespace flowsync::phase
