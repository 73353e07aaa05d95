// RFC 4122 UUIDs as lowercase "8-4-4-4-12" strings.
#pragma once

#include <string>
#include <string_view>

namespace flowsync {

// Name-based (version 5, SHA-1) UUID of `name` in `namespace_uuid`.
// REQUIRES: namespace_uuid is a well-formed UUID string.
std::string UuidV5(std::string_view namespace_uuid, std::string_view name);

// Random (version 4) UUID from the OS random source.
std::string UuidV4();

bool IsUuid(std::string_view text);

}  // namespace flowsync
