#include "phase/query.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flowsync::phase {
namespace {

using Strings = std::vector<std::string>;

TEST(PhaseQueryTest, SplitsPairsAndKeepsEveryValue) {
  QueryValues v;
  ASSERT_TRUE(ParseQuery("a=1&b=2&a=3", &v).ok());
  EXPECT_EQ(v.All("a"), (Strings{"1", "3"}));
  EXPECT_EQ(v.Get("a"), "1");  // the first value wins
  EXPECT_EQ(v.Get("b"), "2");
  EXPECT_EQ(v.Get("c"), "");
  EXPECT_TRUE(v.All("c").empty());
  EXPECT_FALSE(v.Has("c"));
}

TEST(PhaseQueryTest, SplitsAtTheFirstEqualsSign) {
  QueryValues v;
  ASSERT_TRUE(ParseQuery("a=b=c&d", &v).ok());
  EXPECT_EQ(v.Get("a"), "b=c");
  EXPECT_TRUE(v.Has("d"));
  EXPECT_EQ(v.Get("d"), "");
}

TEST(PhaseQueryTest, ARuleWithoutKeyIsAKeyWithAnEmptyValue) {
  // f2.toml's `rule = "0 0 * * * *"`: no cron at all.
  QueryValues v;
  ASSERT_TRUE(ParseQuery("0 0 * * * *", &v).ok());
  EXPECT_EQ(v.map().size(), 1u);
  EXPECT_TRUE(v.Has("0 0 * * * *"));
  EXPECT_FALSE(v.Has("cron"));
}

TEST(PhaseQueryTest, SkipsEmptyPairs) {
  QueryValues v;
  ASSERT_TRUE(ParseQuery("&&a=1&", &v).ok());
  EXPECT_EQ(v.map().size(), 1u);
  EXPECT_EQ(v.Get("a"), "1");
  QueryValues empty;
  ASSERT_TRUE(ParseQuery("", &empty).ok());
  EXPECT_TRUE(empty.empty());
}

TEST(PhaseQueryTest, Unescapes) {
  QueryValues v;
  ASSERT_TRUE(ParseQuery("k=a+b%20c&a%3Db=%41%e2%82%ac&cron=0+0+*+*+*", &v).ok());
  EXPECT_EQ(v.Get("k"), "a b c");
  EXPECT_EQ(v.Get("a=b"), "A\xe2\x82\xac");
  EXPECT_EQ(v.Get("cron"), "0 0 * * *");
  EXPECT_EQ(QueryUnescape("%2f%2F").value(), "//");
}

TEST(PhaseQueryTest, BadEscapes) {
  EXPECT_EQ(QueryUnescape("%zz").status().message(), "invalid URL escape \"%zz\"");
  EXPECT_EQ(QueryUnescape("ab%4").status().message(), "invalid URL escape \"%4\"");
  EXPECT_EQ(QueryUnescape("%").status().message(), "invalid URL escape \"%\"");
  EXPECT_EQ(QueryUnescape("%g1x").status().message(), "invalid URL escape \"%g1\"");
  EXPECT_EQ(QueryUnescape("%zz").status().code(), StatusCode::kInvalidArgument);
}

TEST(PhaseQueryTest, KeepsThePairsThatParse) {
  QueryValues v;
  const Status s = ParseQuery("a=%zz&b=2&%zz=1&c=3", &v);
  EXPECT_EQ(s.message(), "invalid URL escape \"%zz\"");
  EXPECT_FALSE(v.Has("a"));
  EXPECT_EQ(v.Get("b"), "2");
  EXPECT_EQ(v.Get("c"), "3");
  EXPECT_EQ(v.map().size(), 2u);
}

TEST(PhaseQueryTest, SemicolonIsAnError) {
  QueryValues v;
  const Status s = ParseQuery("a=1;b=2&c=3", &v);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "invalid semicolon separator in query");
  EXPECT_FALSE(v.Has("a"));
  EXPECT_EQ(v.Get("c"), "3");
}

TEST(PhaseQueryTest, ErrorPrecedenceIsGos) {
  // A semicolon error replaces an earlier escape error; an escape error
  // never replaces an earlier error.
  QueryValues v;
  EXPECT_EQ(ParseQuery("a=%zz&b;c", &v).message(), "invalid semicolon separator in query");
  EXPECT_EQ(ParseQuery("b;c&a=%zz", &v).message(), "invalid semicolon separator in query");
  EXPECT_EQ(ParseQuery("a=%zz&b=%y", &v).message(), "invalid URL escape \"%zz\"");
  // flowlord's TestValidatePhase parse_err rule.
  EXPECT_EQ(ParseQuery("a;lskdfj?%$`?\"^", &v).message(), "invalid semicolon separator in query");
}

}  // namespace
}  // namespace flowsync::phase
