// Durations written as Go's time.ParseDuration reads them ("1h30m", "-24h",
// "1.5s", "300ms"), the syntax of flowlord's offset, retry_delay and for.
//
// Thread-safety: pure function.
#pragma once

#include <chrono>
#include <string_view>

#include "flowsync/status.h"

namespace flowsync {

// Go's time.ParseDuration: an optional sign, then one or more decimal
// numbers (fractions allowed) each with a unit ns, us, µs, μs, ms, s, m or h;
// "0" alone needs no unit. Errors are InvalidArgument with Go's texts:
// `time: invalid duration "x"`, `time: missing unit in duration "1"`,
// `time: unknown unit "d" in duration "1d"` (also for values that overflow
// 64-bit nanoseconds: invalid duration).
Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

}  // namespace flowsync
