#include "util/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace flowsync {
namespace {

TEST(Utf8, FindsTheFirstInvalidSequence) {
  EXPECT_EQ(FindInvalidUtf8("plain été ✓ 😀"), std::string::npos);
  EXPECT_EQ(FindInvalidUtf8(std::string("nul\0ok", 6)), std::string::npos);
  EXPECT_EQ(FindInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(FindInvalidUtf8("\xe2\x82"), 0u);          // truncated
  EXPECT_EQ(FindInvalidUtf8("x\xe0\x80\x80"), 1u);     // overlong
  EXPECT_EQ(FindInvalidUtf8("\xed\xb2\x80"), 0u);      // surrogate
  EXPECT_EQ(FindInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("😀", 0), 4u);
  EXPECT_EQ(Utf8SequenceLength("\x80", 0), 0u);
}

}  // namespace
}  // namespace flowsync
