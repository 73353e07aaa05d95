// Cron expressions: a schedule that parses answers Next, and its spec()
// parses again into a schedule with the same next fire times.
#include <chrono>

#include "flowsync/cron.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using flowsync::CronSchedule;
  if (size > 256) return 0;  // a spec is a line; longer ones only slow the search
  auto schedule = CronSchedule::Parse(flowsync::fuzz::AsText(data, size));
  if (!schedule.ok()) return 0;
  auto again = CronSchedule::Parse(schedule->spec());
  FUZZ_CHECK(again.ok(), "spec() of a schedule does not parse");
  auto t = CronSchedule::TimePoint(std::chrono::seconds(1709041500));  // 2024-02-27T13:45:00Z
  for (int i = 0; i < 3; ++i) {
    auto a = schedule->Next(t);
    auto b = again->Next(t);
    FUZZ_CHECK(a == b, "spec() of a schedule fires at other times");
    if (!a) break;
    FUZZ_CHECK(*a > t, "Next is not after the time given");
    t = *a;
  }
  return 0;
}
