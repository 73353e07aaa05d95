// UTF-8 validity, as PostgreSQL's text and JSON parsers judge it. util/
// knows nothing of workflows.
#pragma once

#include <cstddef>
#include <string_view>

namespace flowsync {

// Byte offset of the first invalid UTF-8 sequence in `text` (a stray
// continuation byte, a truncated sequence, an overlong form, a surrogate or
// a value above U+10FFFF), or npos. NUL is valid UTF-8.
size_t FindInvalidUtf8(std::string_view text);

// The length of the valid UTF-8 sequence starting at byte `i` of `text`
// (1 for ASCII), or 0 when none starts there.
// REQUIRES: i < text.size().
size_t Utf8SequenceLength(std::string_view text, size_t i);

}  // namespace flowsync
