// Edit distances between short strings, for "did you mean ...?" hints (as
// git suggests the nearest command). util/ knows nothing of workflows.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace flowsync {

// The Damerau-Levenshtein distance in its optimal-string-alignment form:
// the fewest insertions, deletions, substitutions and swaps of two adjacent
// bytes that turn `a` into `b` ("synk" -> "sync": 1, "stauts" -> "status":
// 1). Bytes, not characters: meant for command names, file names and keys.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidates `word` most likely misspells, in the order given: those
// starting with `word` when it has 3 or more bytes ("migr" -> "migrate",
// "migration"), else those at the smallest edit distance if that is at most
// max(1, |word| / 3). Never `word` itself; empty when nothing is that near.
std::vector<std::string> NearestWords(std::string_view word,
                                      const std::vector<std::string>& candidates);

// "`a`", "`a` or `b`", "`a`, `b` or `c`": candidates as a hint reads them.
std::string JoinAlternatives(const std::vector<std::string>& words);

}  // namespace flowsync
