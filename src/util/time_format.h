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

}  // namespace flowsync
