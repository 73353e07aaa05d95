// Timestamps as flowsync stores and prints them.
#pragma once

#include <cstdint>
#include <string>

namespace flowsync {

// Milliseconds since the Unix epoch, from the system clock.
int64_t SystemNowMs();

// RFC 3339 UTC with milliseconds: "2026-11-22T03:12:49.123Z". Sorts as text.
std::string FormatTimestampMs(int64_t unix_ms);

}  // namespace flowsync
