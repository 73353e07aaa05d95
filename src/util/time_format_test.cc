#include "util/time_format.h"

#include <gtest/gtest.h>

namespace flowsync {
namespace {

constexpr int64_t k20240227T134500 = 1709041500000;

TEST(ParseRfc3339Ms, UtcOffsetsAndFractions) {
  EXPECT_EQ(ParseRfc3339Ms("2024-02-27T13:45:00Z"), k20240227T134500);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-27t13:45:00z"), k20240227T134500);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-27T14:45:00+01:00"), k20240227T134500);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-27T08:15:00-05:30"), k20240227T134500);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-27T13:45:00.5Z"), k20240227T134500 + 500);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-27T13:45:00.123456789Z"), k20240227T134500 + 123);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-29T00:00:00Z"), 1709164800000);  // a leap day
  EXPECT_EQ(ParseRfc3339Ms("1969-12-31T23:59:59Z"), -1000);
  // What FormatTimestampMs writes reads back.
  EXPECT_EQ(ParseRfc3339Ms(FormatTimestampMs(k20240227T134500 + 7)), k20240227T134500 + 7);
}

TEST(ParseRfc3339Ms, RefusesWhatIsNotOne) {
  for (const char* bad :
       {"", "2024-02-27", "2024-02-27T13:45Z", "2024-02-27 13:45:00Z", "2024-02-27T13:45:00",
        "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2024-04-31T00:00:00Z", "2024-02-27T24:00:00Z", "2024-02-27T13:60:00Z",
        "2024-02-27T13:45:61Z", "2024-02-27T13:45:00.Z", "2024-02-27T13:45:00.1234567890Z",
        "2024-02-27T13:45:00+0100", "2024-02-27T13:45:00+24:00", "2024-02-27T13:45:00Zjunk",
        "+2024-02-27T13:45:00Z", "2024-2-27T13:45:00Z"}) {
    EXPECT_EQ(ParseRfc3339Ms(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace flowsync
