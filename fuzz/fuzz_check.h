// What the fuzz targets share: a check that stops the run with a message
// (libFuzzer saves the input that made it fail), and input helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

// Aborts with `what` when `cond` is false: the fuzzer reports the input as a
// crash, like a sanitizer finding.
#define FUZZ_CHECK(cond, what)                                                        \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, what); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace flowsync::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits the input at its first NUL byte: two inputs from one (a target
// that reads two texts, such as a bundle's meta.json and README.md).
inline std::pair<std::string_view, std::string_view> SplitAtNul(std::string_view text) {
  const size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return {text, {}};
  return {text.substr(0, nul), text.substr(nul + 1)};
}

}  // namespace flowsync::fuzz
