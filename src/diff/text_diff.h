// Line diffs of two texts, shown as git shows them (unified format).
//
// The edit script is a shortest one (Myers' O(ND) algorithm) after the
// common head and tail are set aside. Texts that differ in more than
// kMaxEditDistance lines get a correct but not minimal script (the rest
// replaced as a block), so time and memory stay bounded for any input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace flowsync {

inline constexpr size_t kMaxEditDistance = 4000;

enum class LineOp { kKeep, kDelete, kInsert };

struct LineEdit {
  LineOp op = LineOp::kKeep;
  size_t old_line = 0;  // 0-based index into the old lines (kKeep, kDelete)
  size_t new_line = 0;  // 0-based index into the new lines (kKeep, kInsert)
};

// The lines of `text`, each without its "\n". A text that ends in "\n" has
// no empty last line; "" has no lines.
std::vector<std::string_view> SplitLines(std::string_view text);

// An edit script turning `a` into `b`: every line of both, in order.
std::vector<LineEdit> DiffLines(const std::vector<std::string_view>& a,
                                const std::vector<std::string_view>& b);

// The unified diff of `a` and `b` ("--- a_label", "+++ b_label", hunks with
// `context` lines around each change, "\ No newline at end of file" where
// git writes it); "" when the texts are equal.
std::string UnifiedDiff(std::string_view a, std::string_view b, std::string_view a_label,
                        std::string_view b_label, size_t context = 3);

}  // namespace flowsync
