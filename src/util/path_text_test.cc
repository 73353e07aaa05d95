#include "util/path_text.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "util/utf8.h"

namespace flowsync {
namespace {

TEST(PathText, ValidUtf8NamesAreTheirOwnText) {
  for (std::string name : {"flows/a.json", "", "été/ünï ✓.json", "a\nb\tc.json", "back\\slash.json",
                           "a\\x4.json", "a\\xg1.json", "a\\XFF.json", "a\\xFF.json", "%41.json"}) {
    EXPECT_EQ(PathToText(name), name);
    EXPECT_EQ(TextToPath(name), name);
  }
}

TEST(PathText, InvalidBytesBecomeHexEscapes) {
  EXPECT_EQ(PathToText("caf\xe9.json"), "caf\\xe9.json");
  EXPECT_EQ(PathToText("\xff\xfe"), "\\xff\\xfe");
  // A truncated sequence, an overlong form, a surrogate: byte by byte.
  EXPECT_EQ(PathToText("a\xc3"), "a\\xc3");
  EXPECT_EQ(PathToText("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(PathToText("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  // A valid sequence after an invalid lead byte is kept.
  EXPECT_EQ(PathToText("\xe9\xc3\xa9"), "\\xe9\xc3\xa9");
  EXPECT_EQ(TextToPath("caf\\xe9.json"), "caf\xe9.json");
}

TEST(PathText, ABackslashThatWouldReadAsAnEscapeIsEscaped) {
  EXPECT_EQ(PathToText("a\\xe9.json"), "a\\x5cxe9.json");
  EXPECT_EQ(TextToPath("a\\x5cxe9.json"), "a\\xe9.json");
  // Before an escaped byte, a backslash stays: "\\" is no escape.
  EXPECT_EQ(PathToText("a\\\xe9"), "a\\\\xe9");
  EXPECT_EQ(TextToPath("a\\\\xe9"), "a\\\xe9");
}

TEST(PathText, RoundTripsEveryByteString) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("\\x5ce9af") + "\xe9\xc3\xa9\xff\x80/" + "a";
  for (int n = 0; n < 20000; ++n) {
    std::string path;
    const int len = static_cast<int>(rng() % 12);
    for (int i = 0; i < len; ++i) path += alphabet[rng() % alphabet.size()];
    const std::string text = PathToText(path);
    ASSERT_EQ(FindInvalidUtf8(text), std::string::npos) << text;
    ASSERT_EQ(TextToPath(text), path) << text;
  }
}

TEST(PathText, ValidUtf8LeavesValidTextAlone) {
  EXPECT_EQ(ValidUtf8("a\\xe9: Permission denied"), "a\\xe9: Permission denied");
  EXPECT_EQ(ValidUtf8("/r/caf\xe9.json: Permission denied"), "/r/caf\\xe9.json: Permission denied");
}

}  // namespace
}  // namespace flowsync
