// Secrets of `flowsync serve`: new API tokens, and the HMAC-SHA256
// signatures of webhook deliveries in GitHub's form
// (X-Hub-Signature-256: sha256=<hex of HMAC-SHA256(secret, body)>), compared
// in constant time.
//
// Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>

#include "flowsync/status.h"

namespace flowsync::serve {

// A new API token: "fst_" and 64 hex digits of 32 random bytes (OpenSSL's
// RAND_bytes). Internal when the generator fails.
Result<std::string> NewApiToken();

// HMAC-SHA256 of `data` with `key`, as 64 lowercase hex digits.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Whether `header` (the X-Hub-Signature-256 value) is "sha256=" and the hex
// HMAC-SHA256 of `body` with `secret` (hex digits in either case). Takes the
// same time whatever matches.
bool SignatureMatches(std::string_view header, std::string_view secret, std::string_view body);

// Equal strings, compared in constant time for strings of one length.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace flowsync::serve
