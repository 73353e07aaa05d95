#include "source/json_document.h"

#include <gtest/gtest.h>

#include <string>

#include "flowsync/source.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

constexpr int kDepth = 512;

std::string Canon(std::string_view text) {
  auto result = CanonicalJson(text, kDepth);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : "<error>";
}

std::string CanonError(std::string_view text, int depth = kDepth) {
  auto result = CanonicalJson(text, depth);
  if (result.ok()) return "<ok: " + *result + ">";
  EXPECT_EQ(result.status().code(), StatusCode::kCorruption);
  return result.status().message();
}

TEST(CanonicalJsonTest, SortsKeysAndDropsWhitespace) {
  EXPECT_EQ(Canon(" { \"b\" : 1 ,\n\t\"a\" : [ 1 , { \"d\":null, \"c\":true } ] } \n"),
            R"({"a":[1,{"c":true,"d":null}],"b":1})");
  EXPECT_EQ(Canon(R"({"a":1,"b":2})"), Canon("{\n  \"b\": 2,\n  \"a\": 1\n}\n"));
  EXPECT_EQ(Canon("{}"), "{}");
  EXPECT_EQ(Canon("[ ]"), "[]");
  EXPECT_EQ(Canon(R"({"a":{}, "b":[[]]})"), R"({"a":{},"b":[[]]})");
}

TEST(CanonicalJsonTest, SortsKeysByUtf8Bytes) {
  // 'B' < 'a' < 'b' < U+00E9 (0xc3 0xa9) < U+4E2D (0xe4 ...) in bytes.
  EXPECT_EQ(Canon("{\"\xe4\xb8\xad\":1,\"\xc3\xa9\":2,\"b\":3,\"a\":4,\"B\":5,\"\":6}"),
            "{\"\":6,\"B\":5,\"a\":4,\"b\":3,\"\xc3\xa9\":2,\"\xe4\xb8\xad\":1}");
  EXPECT_EQ(Canon(R"({"ab":1,"a":2,"a\u0000":3})"), R"({"a":2,"a\u0000":3,"ab":1})");
}

TEST(CanonicalJsonTest, DuplicateKeysLastWins) {
  EXPECT_EQ(Canon(R"({"a":1,"b":2,"a":3})"), R"({"a":3,"b":2})");
  EXPECT_EQ(Canon(R"({"a":{"x":1},"a":{"y":2}})"), R"({"a":{"y":2}})");
  // An escaped spelling of the same key is the same key.
  EXPECT_EQ(Canon(R"({"a":1,"\u0061":2})"), R"({"a":2})");
}

TEST(CanonicalJsonTest, NumbersKeepTheirText) {
  EXPECT_EQ(Canon("[1.50, 1e10, 1E+2, -0, 0.0, 12345678901234567890123, -1.5e-7]"),
            "[1.50,1e10,1E+2,-0,0.0,12345678901234567890123,-1.5e-7]");
  EXPECT_EQ(Canon("1.0"), "1.0");
  EXPECT_NE(Canon("[1.0]"), Canon("[1]"));
}

TEST(CanonicalJsonTest, StringsAreReescapedMinimally) {
  EXPECT_EQ(Canon(R"(["\/", "\u0041", "\"\\", "\b\f\n\r\t", "\u0001\u001f", "\u007f"])"),
            "[\"/\",\"A\",\"\\\"\\\\\",\"\\b\\f\\n\\r\\t\",\"\\u0001\\u001f\",\"\x7f\"]");
  // Non-ASCII stays raw UTF-8, whatever the input spelling.
  EXPECT_EQ(Canon(R"(["\u00e9\u4e2d\ud83d\ude00"])"), "[\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"]");
  EXPECT_EQ(Canon("[\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"]"),
            "[\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"]");
  EXPECT_EQ(Canon(R"(["\u2028"])"), "[\"\xe2\x80\xa8\"]");
}

TEST(CanonicalJsonTest, ScalarRoots) {
  EXPECT_EQ(Canon(" \"a\\tb\" "), "\"a\\tb\"");
  EXPECT_EQ(Canon("true"), "true");
  EXPECT_EQ(Canon("null\n"), "null");
  EXPECT_EQ(Canon("-12.5e3"), "-12.5e3");
}

TEST(CanonicalJsonTest, EmptyInput) {
  EXPECT_EQ(CanonError(""), "empty file");
  EXPECT_EQ(CanonError(" \n\t "), "empty file");
  EXPECT_EQ(CanonError("\xEF\xBB\xBF"), "empty file");
}

TEST(CanonicalJsonTest, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(Canon("\xEF\xBB\xBF{ \"a\": 1 }"), R"({"a":1})");
  EXPECT_EQ(CanonError("\xEF\xBB\xBF{\"a\" 1}"), "1:6: invalid JSON: unexpected number");
  // Only at the start.
  EXPECT_EQ(CanonError(" \xEF\xBB\xBF{}"), "1:2: invalid JSON: unexpected byte 0xef");
}

TEST(CanonicalJsonTest, InvalidUtf8) {
  EXPECT_EQ(CanonError("{\"a\":\n  \"x\xff\"}"), "2:5: invalid UTF-8");
  EXPECT_EQ(CanonError("[\"\xc3\xa9\", \"\xc0\xaf\"]"), "1:8: invalid UTF-8");  // overlong '/'
  EXPECT_EQ(CanonError("[\"\xed\xa0\x80\"]"), "1:3: invalid UTF-8");            // a surrogate
}

TEST(CanonicalJsonTest, Truncated) {
  EXPECT_EQ(CanonError("{\"a\": [1, 2"), "1:12: unexpected end of input (truncated JSON)");
  EXPECT_EQ(CanonError("{\n  \"a\": {\"b\": 1}\n"),
            "2:16: unexpected end of input (truncated JSON)");
  EXPECT_EQ(CanonError("[[1]"), "1:5: unexpected end of input (truncated JSON)");
  EXPECT_EQ(CanonError("{\"a\":"), "1:6: unexpected end of input (truncated JSON)");
  EXPECT_EQ(CanonError("{\"a\":1,"), "1:8: unexpected end of input (truncated JSON)");
  EXPECT_EQ(CanonError("{\"a\": \"xyz"), "1:7: unterminated string (truncated JSON)");
  EXPECT_EQ(CanonError("\"abc"), "1:1: unterminated string (truncated JSON)");
}

TEST(CanonicalJsonTest, InvalidJson) {
  EXPECT_EQ(CanonError(R"({"a":1 "b":2})"), "1:8: invalid JSON: unexpected string");
  EXPECT_EQ(CanonError("[1,]"), "1:4: invalid JSON: unexpected ']'");
  EXPECT_EQ(CanonError(R"({"a":1,})"), "1:8: invalid JSON: unexpected '}'");
  EXPECT_EQ(CanonError("[1 2]"), "1:4: invalid JSON: unexpected number");
  EXPECT_EQ(CanonError(R"({"a" 1})"), "1:6: invalid JSON: unexpected number");
  EXPECT_EQ(CanonError("{1:2}"), "1:2: invalid JSON: unexpected number");
  EXPECT_EQ(CanonError("[x]"), "1:2: invalid JSON: unexpected 'x'");
  EXPECT_EQ(CanonError("[1,,2]"), "1:4: invalid JSON: unexpected ','");
  EXPECT_EQ(CanonError("{\"a\":[}]}"), "1:7: invalid JSON: unexpected '}'");
  EXPECT_EQ(CanonError("]"), "1:1: invalid JSON: unexpected ']'");
  EXPECT_EQ(CanonError(R"({"a":1])"), "1:7: invalid JSON: unexpected ']'");
  EXPECT_EQ(CanonError(R"({"a"})"), "1:5: invalid JSON: unexpected '}'");
  EXPECT_EQ(CanonError(R"(["a":1])"), "1:5: invalid JSON: unexpected ':'");
  EXPECT_EQ(CanonError("[true false]"), "1:7: invalid JSON: unexpected 'f'");
  EXPECT_EQ(CanonError("x"), "1:1: invalid JSON: unexpected 'x'");
}

TEST(CanonicalJsonTest, InvalidScalars) {
  EXPECT_EQ(CanonError("[tru]"), "1:2: invalid JSON: invalid literal");
  EXPECT_EQ(CanonError("[truex]"), "1:2: invalid JSON: invalid literal");
  EXPECT_EQ(CanonError("[nul]"), "1:2: invalid JSON: invalid literal");
  EXPECT_EQ(CanonError("[-]"), "1:2: invalid JSON: invalid number");
  EXPECT_EQ(CanonError("[01]"), "1:2: invalid JSON: invalid number");
  EXPECT_EQ(CanonError("[1.]"), "1:2: invalid JSON: invalid number");
  EXPECT_EQ(CanonError("[1e]"), "1:2: invalid JSON: invalid number");
  EXPECT_EQ(CanonError("[+1]"), "1:2: invalid JSON: unexpected '+'");
  EXPECT_EQ(CanonError("[.5]"), "1:2: invalid JSON: unexpected '.'");
  EXPECT_EQ(CanonError("{\"a\": 0x10}"), "1:7: invalid JSON: invalid number");
  EXPECT_EQ(CanonError(R"(["\ud800"])"), "1:2: invalid JSON: bad escape sequence in string");
  EXPECT_EQ(CanonError(R"(["\x"])"), "1:2: invalid JSON: bad escape sequence in string");
  EXPECT_EQ(CanonError("[\"a\tb\"]"), "1:4: invalid JSON: unescaped control character in string");
}

TEST(CanonicalJsonTest, TrailingContent) {
  EXPECT_EQ(CanonError("{\"a\":1}x"),
            "1:8: invalid JSON: unexpected content after the top-level value");
  EXPECT_EQ(CanonError("{} {}"), "1:4: invalid JSON: unexpected content after the top-level value");
  EXPECT_EQ(CanonError("[[]]]"), "1:5: invalid JSON: unexpected content after the top-level value");
  EXPECT_EQ(CanonError("1 2"), "1:3: invalid JSON: unexpected content after the top-level value");
  EXPECT_EQ(CanonError("\"a\" x"),
            "1:5: invalid JSON: unexpected content after the top-level value");
  EXPECT_EQ(Canon("{\"a\":1}  \n\n"), R"({"a":1})");
}

TEST(CanonicalJsonTest, DepthLimit) {
  const auto nested = [](int levels) {
    return std::string(static_cast<size_t>(levels), '[') +
           std::string(static_cast<size_t>(levels), ']');
  };
  EXPECT_EQ(Canon(nested(512)), nested(512));
  EXPECT_EQ(CanonError(nested(513)), "1:513: JSON nested deeper than 512 levels");
  EXPECT_EQ(CanonError(nested(100000)), "1:513: JSON nested deeper than 512 levels");
  // Objects count too, and an unbalanced hostile document fails the same way.
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_EQ(CanonError(objects), "1:2561: JSON nested deeper than 512 levels");
  EXPECT_EQ(CanonError(nested(5), 4), "1:5: JSON nested deeper than 4 levels");
  EXPECT_EQ(CanonError(std::string(100000, '[')), "1:513: JSON nested deeper than 512 levels");
}

TEST(JsonDocumentTest, FindAndMembers) {
  auto doc = JsonDocument::Parse(R"({"a":1,"b":[true,"x",null],"a":2.5})", kDepth);
  ASSERT_OK(doc);
  const JsonValue& root = (*doc)->root();
  ASSERT_TRUE(root.is_object());
  EXPECT_EQ(root.size, 3u);
  const JsonValue* a = (*doc)->Find(root, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->text, "2.5");
  EXPECT_EQ((*doc)->Find(root, "zz"), nullptr);
  const JsonValue* b = (*doc)->Find(root, "b");
  ASSERT_NE(b, nullptr);
  auto members = (*doc)->Members(*b);
  ASSERT_EQ(members.size(), 3u);
  EXPECT_TRUE(members[0].is_bool() && members[0].boolean);
  EXPECT_EQ(members[1].text, "x");
  EXPECT_TRUE(members[2].is_null());
  EXPECT_EQ((*doc)->Position(b->offset), "1:12");
}

// A thread reuses the parse buffers of documents it destroyed: documents
// alive at the same time, larger and smaller texts, a failed parse and a
// different depth limit must each still give exactly their own tree.
TEST(JsonDocumentTest, ReusedBuffersKeepEachDocumentIntact) {
  auto parse = [](std::string_view text, int depth = kDepth) {
    auto doc = JsonDocument::Parse(text, depth);
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    return doc.ok() ? std::move(*doc) : nullptr;
  };
  std::string big = "{\"z\":[";
  for (int i = 0; i < 2000; ++i) big += (i ? "," : "") + std::string("\"s\\u00e9") + "\"";
  big += "],\"a\":\"first\"}";

  auto first = parse(big);
  auto second = parse(R"({"b":"x\ty","a":1})");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->Find(first->root(), "a")->text, "first");
  first.reset();
  auto third = parse(R"(["reuses the first one's buffers"])");
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(second->Canonical(), R"({"a":1,"b":"x\ty"})");
  EXPECT_EQ(third->Canonical(), R"(["reuses the first one's buffers"])");
  EXPECT_EQ(second->Find(second->root(), "b")->text, "x\ty");

  second.reset();
  third.reset();
  EXPECT_EQ(CanonError(R"({"a":[1,2})"), "1:10: invalid JSON: unexpected '}'");
  EXPECT_EQ(CanonError("[[[1]]]", 2), "1:3: JSON nested deeper than 2 levels");
  EXPECT_EQ(Canon("[[[1]]]"), "[[[1]]]");
  auto again = parse(big);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->Members(*again->Find(again->root(), "z")).size(), 2000u);
  EXPECT_EQ(again->Members(*again->Find(again->root(), "z"))[1999].text, "s\u00e9");
  EXPECT_EQ(again->Position(again->Find(again->root(), "a")->offset), "1:20012");
}

// TextPositions gives, going on from offset to offset, what TextPosition
// gives from the start.
TEST(JsonDocumentTest, TextPositionsGoOnFromTheLastOffset) {
  const std::string_view text = "a\xc3\xa9\n\n b\r\n\xe2\x82\xac c";
  TextPositions positions(text);
  for (size_t offset : {0, 1, 1, 3, 4, 5, 7, 9, 12, 13, 14, 99}) {
    EXPECT_EQ(positions.At(offset), TextPosition(text, offset)) << offset;
  }
  auto doc = JsonDocument::Parse("[1,\n \"\xc3\xa9\", {}]", 8);
  ASSERT_OK(doc);
  EXPECT_EQ((*doc)->Positions((*doc)->Members((*doc)->root())),
            (std::vector<std::string>{"1:2", "2:2", "2:7"}));
  EXPECT_EQ((*doc)->RootElementText(1), "\"\xc3\xa9\"");
  EXPECT_EQ((*doc)->RootElementText(2), "{}");
}

TEST(JsonDocumentTest, TextPositionCountsCodePoints) {
  EXPECT_EQ(TextPosition("ab\ncd", 4), "2:2");
  EXPECT_EQ(TextPosition("\xc3\xa9\xc3\xa9x", 4), "1:3");
  EXPECT_EQ(TextPosition("ab", 2), "1:3");
}

}  // namespace
}  // namespace flowsync
