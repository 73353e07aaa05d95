#include "diff/text_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace flowsync {

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

namespace {

// Myers' greedy algorithm on a[a0, a1) and b[b0, b1), keeping each round's
// furthest reaching diagonals to trace the script back. Returns false when
// the distance exceeds kMaxEditDistance.
bool Myers(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
           size_t a0, size_t a1, size_t b0, size_t b1, std::vector<LineEdit>* out) {
  const int64_t n = static_cast<int64_t>(a1 - a0);
  const int64_t m = static_cast<int64_t>(b1 - b0);
  const int64_t max = std::min<int64_t>(n + m, kMaxEditDistance);
  // trace[d] holds x for diagonals k = -d..d (index k + d) after round d.
  std::vector<std::vector<int64_t>> trace;
  std::vector<int64_t> prev;
  for (int64_t d = 0; d <= max; ++d) {
    std::vector<int64_t> v(2 * d + 1);
    for (int64_t k = -d; k <= d; k += 2) {
      int64_t x;
      if (d == 0) {
        x = 0;
      } else if (k == -d || (k != d && prev[k - 1 + (d - 1)] < prev[k + 1 + (d - 1)])) {
        x = prev[k + 1 + (d - 1)];  // down: an insertion
      } else {
        x = prev[k - 1 + (d - 1)] + 1;  // right: a deletion
      }
      int64_t y = x - k;
      while (x < n && y < m && a[a0 + x] == b[b0 + y]) ++x, ++y;
      v[k + d] = x;
      if (x >= n && y >= m) {
        trace.push_back(std::move(v));
        // Walk back from (n, m) to (0, 0), collecting edits in reverse.
        std::vector<LineEdit> rev;
        int64_t cx = n, cy = m;
        for (int64_t dd = d; dd > 0; --dd) {
          const std::vector<int64_t>& pv = trace[dd - 1];
          int64_t kk = cx - cy;
          bool down = kk == -dd || (kk != dd && pv[kk - 1 + (dd - 1)] < pv[kk + 1 + (dd - 1)]);
          int64_t pk = down ? kk + 1 : kk - 1;
          int64_t px = pv[pk + (dd - 1)];
          int64_t py = px - pk;
          int64_t sx = down ? px : px + 1;  // where the snake of round dd starts
          while (cx > sx) {
            --cx, --cy;
            rev.push_back({LineOp::kKeep, a0 + cx, b0 + cy});
          }
          if (down) {
            rev.push_back({LineOp::kInsert, a0 + px, b0 + py});
          } else {
            rev.push_back({LineOp::kDelete, a0 + px, b0 + py});
          }
          cx = px, cy = py;
        }
        while (cx > 0) {
          --cx, --cy;
          rev.push_back({LineOp::kKeep, a0 + cx, b0 + cy});
        }
        out->insert(out->end(), rev.rbegin(), rev.rend());
        return true;
      }
    }
    trace.push_back(v);
    prev = std::move(v);
  }
  return false;
}

}  // namespace

std::vector<LineEdit> DiffLines(const std::vector<std::string_view>& a,
                                const std::vector<std::string_view>& b) {
  std::vector<LineEdit> out;
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) {
    out.push_back({LineOp::kKeep, head, head});
    ++head;
  }
  size_t a1 = a.size(), b1 = b.size();
  while (a1 > head && b1 > head && a[a1 - 1] == b[b1 - 1]) --a1, --b1;
  if (!Myers(a, b, head, a1, head, b1, &out)) {
    for (size_t i = head; i < a1; ++i) out.push_back({LineOp::kDelete, i, head});
    for (size_t j = head; j < b1; ++j) out.push_back({LineOp::kInsert, a1, j});
  }
  for (size_t i = a1, j = b1; i < a.size(); ++i, ++j) out.push_back({LineOp::kKeep, i, j});
  return out;
}

std::string UnifiedDiff(std::string_view a, std::string_view b, std::string_view a_label,
                        std::string_view b_label, size_t context) {
  if (a == b) return "";
  const std::vector<std::string_view> al = SplitLines(a), bl = SplitLines(b);
  const std::vector<LineEdit> edits = DiffLines(al, bl);
  const bool a_open = !a.empty() && a.back() != '\n';  // no newline at the end
  const bool b_open = !b.empty() && b.back() != '\n';
  std::string out = fmt::format("--- {}\n+++ {}\n", a_label, b_label);
  // A last line that differs only in its missing newline is a change too.
  auto same = [&](const LineEdit& e) {
    if (e.op != LineOp::kKeep) return false;
    bool a_last = e.old_line + 1 == al.size() && a_open;
    bool b_last = e.new_line + 1 == bl.size() && b_open;
    return a_last == b_last;
  };
  size_t i = 0;
  while (i < edits.size()) {
    while (i < edits.size() && same(edits[i])) ++i;
    if (i == edits.size()) break;
    // A hunk: from `context` lines before this change to `context` lines
    // after the last change that lies within 2 * context of the next.
    size_t start = i >= context ? i - context : 0;
    size_t end = i;
    for (;;) {
      while (end < edits.size() && !same(edits[end])) ++end;
      size_t run = end;
      while (run < edits.size() && same(edits[run]) && run - end < 2 * context) ++run;
      if (run < edits.size() && !same(edits[run])) {
        end = run;
        continue;
      }
      end = std::min(edits.size(), end + context);
      break;
    }
    std::string body;
    size_t old_start = 0, new_start = 0, old_count = 0, new_count = 0;
    bool first = true;
    auto line = [&](char mark, std::string_view text, bool open) {
      body += mark;
      body.append(text);
      body += '\n';
      if (open) body += "\\ No newline at end of file\n";
    };
    for (size_t e = start; e < end; ++e) {
      const LineEdit& ed = edits[e];
      if (first) {
        old_start = ed.old_line;
        new_start = ed.new_line;
        first = false;
      }
      const bool a_last = ed.old_line + 1 == al.size() && a_open;
      const bool b_last = ed.new_line + 1 == bl.size() && b_open;
      if (ed.op == LineOp::kKeep && a_last == b_last) {
        line(' ', al[ed.old_line], a_last);
        ++old_count, ++new_count;
      } else if (ed.op == LineOp::kKeep) {
        line('-', al[ed.old_line], a_last);
        line('+', bl[ed.new_line], b_last);
        ++old_count, ++new_count;
      } else if (ed.op == LineOp::kDelete) {
        line('-', al[ed.old_line], a_last);
        ++old_count;
      } else {
        line('+', bl[ed.new_line], b_last);
        ++new_count;
      }
    }
    // As diff(1): a range of no lines starts at the line before it.
    auto range = [](size_t start_line, size_t count) {
      size_t shown = count == 0 ? start_line : start_line + 1;
      return count == 1 ? fmt::format("{}", shown) : fmt::format("{},{}", shown, count);
    };
    out += fmt::format("@@ -{} +{} @@\n", range(old_start, old_count), range(new_start, new_count));
    out += body;
    i = end;
  }
  return out;
}

}  // namespace flowsync
