#include "util/edit_distance.h"

#include <gtest/gtest.h>

namespace flowsync {
namespace {

TEST(EditDistanceTest, CountsEachKindOfEditOnce) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("sync", "sync"), 0u);
  EXPECT_EQ(EditDistance("", "log"), 3u);
  EXPECT_EQ(EditDistance("synk", "sync"), 1u);      // substitution
  EXPECT_EQ(EditDistance("lst", "list"), 1u);       // insertion
  EXPECT_EQ(EditDistance("showw", "show"), 1u);     // deletion
  EXPECT_EQ(EditDistance("stauts", "status"), 1u);  // adjacent swap
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("ca", "abc"), 3u);  // optimal string alignment, not full Damerau (2)
}

TEST(NearestWordsTest, SmallestDistanceWithinAThirdOfTheWord) {
  const std::vector<std::string> commands = {"sync", "status",    "list",   "show",
                                             "log",  "rate",      "grant",  "phases",
                                             "help", "migration", "migrate"};
  EXPECT_EQ(NearestWords("synk", commands), std::vector<std::string>{"sync"});
  EXPECT_EQ(NearestWords("stauts", commands), std::vector<std::string>{"status"});
  EXPECT_EQ(NearestWords("shwo", commands), std::vector<std::string>{"show"});
  // Equally near: all of them, in the order given.
  EXPECT_EQ(NearestWords("lag", {"log", "lug", "leg"}),
            (std::vector<std::string>{"log", "lug", "leg"}));
  // A prefix of 3 or more bytes names every command it starts.
  EXPECT_EQ(NearestWords("migr", commands), (std::vector<std::string>{"migration", "migrate"}));
  EXPECT_EQ(NearestWords("pha", commands), std::vector<std::string>{"phases"});
  // Too far: nothing.
  EXPECT_TRUE(NearestWords("frobnicate", commands).empty());
  EXPECT_TRUE(NearestWords("xy", commands).empty());
  EXPECT_TRUE(NearestWords("sync", {"sync"}).empty());
}

TEST(NearestWordsTest, JoinAlternatives) {
  EXPECT_EQ(JoinAlternatives({}), "");
  EXPECT_EQ(JoinAlternatives({"sync"}), "`sync`");
  EXPECT_EQ(JoinAlternatives({"a", "b"}), "`a` or `b`");
  EXPECT_EQ(JoinAlternatives({"a", "b", "c"}), "`a`, `b` or `c`");
}

}  // namespace
}  // namespace flowsync
