// Test-only probe for tests/cron/check_croniter.py: reads lines
// "SPEC<TAB>UNIX_SECONDS<TAB>ZONE" from stdin and prints, for each, the next
// fire time after UNIX_SECONDS as Unix seconds, "none", or "error: <reason>".
// ZONE becomes $TZ (the process's local zone) before the spec is parsed, so
// specs without a TZ= prefix run in it.
#include <cstdlib>
#include <iostream>
#include <string>

#include "flowsync/cron.h"

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    const size_t tab1 = line.find('\t');
    const size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string::npos) {
      std::cout << "error: bad input line\n";
      continue;
    }
    const std::string spec = line.substr(0, tab1);
    const long long after = std::stoll(line.substr(tab1 + 1, tab2 - tab1 - 1));
    setenv("TZ", line.substr(tab2 + 1).c_str(), 1);
    auto schedule = flowsync::CronSchedule::Parse(spec);
    if (!schedule.ok()) {
      std::cout << "error: " << schedule.status().message() << '\n';
      continue;
    }
    auto next = schedule->Next(flowsync::CronSchedule::TimePoint(std::chrono::seconds(after)));
    if (next) {
      std::cout << next->time_since_epoch().count() << '\n';
    } else {
      std::cout << "none\n";
    }
  }
  return 0;
}
