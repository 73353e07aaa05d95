// How a file path is kept as text. Paths on POSIX are bytes, but databases
// (PostgreSQL's text), JSON and UUIDv5 names want valid UTF-8: flowsync keeps
// every path it stores or prints as its *path text*, a lossless and
// reversible UTF-8 spelling of its bytes:
//   - valid UTF-8 is kept as it is (control characters included);
//   - each byte that is not part of valid UTF-8 becomes "\xHH" (a backslash,
//     'x' and two lowercase hex digits: "caf\xe9.json");
//   - a backslash that would otherwise read as such an escape (it is
//     followed by 'x' and two lowercase hex digits) becomes "\x5c".
// So every name that is valid UTF-8 and holds no literal "\xHH" is its own
// path text, and ids derived from path texts (sync/identity.h) are those of
// the bytes themselves for such names. util/ knows nothing of workflows.
#pragma once

#include <string>
#include <string_view>

namespace flowsync {

// The path text of `path` (any bytes).
std::string PathToText(std::string_view path);

// The bytes whose path text is `text`: every "\xHH" (two lowercase hex
// digits) becomes byte 0xHH, everything else stays. TextToPath(PathToText(p))
// == p for every p.
std::string TextToPath(std::string_view text);

// `text` if it is valid UTF-8, else its PathToText: for free text such as an
// operating system's message that may quote a path, so that it can be
// stored and printed as JSON. Unlike PathToText it leaves valid text alone.
std::string ValidUtf8(std::string text);

}  // namespace flowsync
