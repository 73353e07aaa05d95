#include "diff/text_diff.h"

#include <gtest/gtest.h>

#include <random>

namespace flowsync {
namespace {

TEST(SplitLinesTest, FinalNewlineAddsNoEmptyLine) {
  EXPECT_EQ(SplitLines(""), std::vector<std::string_view>{});
  EXPECT_EQ(SplitLines("a\nb\n"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(SplitLines("a\n\nb"), (std::vector<std::string_view>{"a", "", "b"}));
}

TEST(UnifiedDiffTest, EqualTextsGiveNothing) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "x", "y"), "");
}

TEST(UnifiedDiffTest, OneChangedLineWithContext) {
  std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(UnifiedDiff(a, b, "a/x", "b/x"),
            "--- a/x\n+++ b/x\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(UnifiedDiffTest, DistantChangesMakeTwoHunksAndCloseOnesOne) {
  std::string a, b;
  for (int i = 1; i <= 20; ++i) {
    a += std::to_string(i) + "\n";
    b += (i == 2 || i == 18 ? "x" : std::to_string(i)) + "\n";
  }
  EXPECT_EQ(UnifiedDiff(a, b, "a", "b"),
            "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+x\n 3\n 4\n 5\n"
            "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+x\n 19\n 20\n");
  std::string c;
  for (int i = 1; i <= 12; ++i) c += (i == 2 || i == 8 ? "x" : std::to_string(i)) + "\n";
  std::string d;
  for (int i = 1; i <= 12; ++i) d += std::to_string(i) + "\n";
  EXPECT_EQ(UnifiedDiff(d, c, "a", "b"),
            "--- a\n+++ b\n@@ -1,11 +1,11 @@\n 1\n-2\n+x\n 3\n 4\n 5\n 6\n 7\n-8\n+x\n 9\n 10\n"
            " 11\n");
}

TEST(UnifiedDiffTest, InsertionIntoEmptyAndDeletionToEmpty) {
  EXPECT_EQ(UnifiedDiff("", "a\nb\n", "a", "b"), "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  EXPECT_EQ(UnifiedDiff("a\n", "", "a", "b"), "--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n");
}

TEST(UnifiedDiffTest, MissingFinalNewlineIsShownAsGitShowsIt) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb", "a", "b"),
            "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n");
}

// The script keeps every line of both texts in order, and its number of
// edits is the minimum (compared with the longest common subsequence).
TEST(DiffLinesTest, ScriptIsCompleteAndShortestOnRandomInputs) {
  std::mt19937 rng(7);
  std::vector<std::string> alphabet = {"a", "b", "c", "d"};
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string_view> a, b;
    size_t na = rng() % 12, nb = rng() % 12;
    for (size_t i = 0; i < na; ++i) a.push_back(alphabet[rng() % alphabet.size()]);
    for (size_t i = 0; i < nb; ++i) b.push_back(alphabet[rng() % alphabet.size()]);
    std::vector<LineEdit> edits = DiffLines(a, b);
    size_t i = 0, j = 0, changes = 0;
    for (const LineEdit& e : edits) {
      if (e.op == LineOp::kKeep) {
        ASSERT_EQ(e.old_line, i);
        ASSERT_EQ(e.new_line, j);
        ASSERT_EQ(a[i], b[j]);
        ++i, ++j;
      } else if (e.op == LineOp::kDelete) {
        ASSERT_EQ(e.old_line, i);
        ++i, ++changes;
      } else {
        ASSERT_EQ(e.new_line, j);
        ++j, ++changes;
      }
    }
    ASSERT_EQ(i, a.size());
    ASSERT_EQ(j, b.size());
    std::vector<std::vector<size_t>> lcs(na + 1, std::vector<size_t>(nb + 1, 0));
    for (size_t x = 1; x <= na; ++x) {
      for (size_t y = 1; y <= nb; ++y) {
        lcs[x][y] =
            a[x - 1] == b[y - 1] ? lcs[x - 1][y - 1] + 1 : std::max(lcs[x - 1][y], lcs[x][y - 1]);
      }
    }
    EXPECT_EQ(changes, na + nb - 2 * lcs[na][nb]) << "round " << round;
  }
}

TEST(DiffLinesTest, VeryDifferentTextsStillGiveACompleteScript) {
  std::vector<std::string> storage;
  for (size_t i = 0; i < 2 * kMaxEditDistance + 10; ++i) storage.push_back(std::to_string(i));
  std::vector<std::string_view> a, b;
  for (size_t i = 0; i < storage.size(); ++i) (i % 2 ? a : b).push_back(storage[i]);
  std::vector<LineEdit> edits = DiffLines(a, b);
  size_t deletes = 0, inserts = 0;
  for (const LineEdit& e : edits) {
    deletes += e.op == LineOp::kDelete;
    inserts += e.op == LineOp::kInsert;
  }
  EXPECT_EQ(deletes, a.size());
  EXPECT_EQ(inserts, b.size());
}

}  // namespace
}  // namespace flowsync
