#include "util/edit_distance.h"

#include <algorithm>

namespace flowsync {

size_t EditDistance(std::string_view a, std::string_view b) {
  // Three rows of the table: the one before the previous is needed for swaps.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::vector<std::string> NearestWords(std::string_view word,
                                      const std::vector<std::string>& candidates) {
  std::vector<std::string> out;
  if (word.size() >= 3) {
    for (const std::string& c : candidates) {
      if (c != word && c.size() > word.size() && c.compare(0, word.size(), word) == 0) {
        out.push_back(c);
      }
    }
    if (!out.empty()) return out;
  }
  size_t best = std::max<size_t>(1, word.size() / 3);
  for (const std::string& c : candidates) {
    if (c == word) continue;
    size_t d = EditDistance(word, c);
    if (d > best) continue;
    if (d < best) out.clear();
    best = d;
    out.push_back(c);
  }
  return out;
}

std::string JoinAlternatives(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += "`" + words[i] + "`";
  }
  return out;
}

}  // namespace flowsync
