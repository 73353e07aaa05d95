// Timestamps as flowsync stores and prints them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowsync {

// RFC 3339 UTC with milliseconds: "2026-11-22T03:12:49.123Z". Sorts as text.
std::string FormatTimestampMs(int64_t unix_ms);

// The inverse of FormatTimestampMs (the fraction may have 0-9 digits; 'Z'
// required); nullopt for anything else.
std::optional<int64_t> ParseTimestampMs(std::string_view text);

// Any RFC 3339 date-time as Unix ms: "2024-02-27T13:45:00Z",
// "2024-02-27T14:45:00.5+01:00", "2024-02-27t13:45:00z" (a fraction of 0-9
// digits, kept to the millisecond; 'T' or 't'; 'Z', 'z' or an offset
// +HH:MM/-HH:MM). Fields out of range (month 13, 24:00, Feb 30) are
// refused: nullopt. A leap second (:60) is read as the next second.
std::optional<int64_t> ParseRfc3339Ms(std::string_view text);

}  // namespace flowsync
