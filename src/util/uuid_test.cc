#include "util/uuid.h"

#include <gtest/gtest.h>

#include "util/hash.h"
#include "util/time_format.h"

namespace flowsync {
namespace {

TEST(Uuid, V5MatchesRfc4122Example) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  EXPECT_EQ(UuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(Uuid, V4IsWellFormedAndRandom) {
  std::string a = UuidV4(), b = UuidV4();
  EXPECT_TRUE(IsUuid(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(a[14], '4');
}

TEST(Uuid, IsUuidRejectsMalformed) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("886313e1-3b8a-5372-9b90-0c9aee199e5"));
  EXPECT_FALSE(IsUuid("886313e1x3b8a-5372-9b90-0c9aee199e5d"));
}

TEST(Hash, KnownValues) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashHex("").size(), 32u);
  EXPECT_NE(HashHex("a"), HashHex("b"));
  Hasher h;
  h.Update("ab");
  h.Update("c");
  EXPECT_EQ(h.Hex(), HashHex("abc"));
}

}  // namespace
}  // namespace flowsync

namespace flowsync {
namespace {

TEST(TimeFormat, RoundTripsAndRejects) {
  for (int64_t ms : {int64_t{0}, int64_t{1795317913851}, int64_t{951782400123}}) {
    EXPECT_EQ(ParseTimestampMs(FormatTimestampMs(ms)), ms);
  }
  EXPECT_EQ(ParseTimestampMs("2026-11-22T03:12:49Z"), int64_t{1795317169000});
  EXPECT_EQ(ParseTimestampMs("2026-11-22T03:12:49.5Z"), int64_t{1795317169500});
  EXPECT_FALSE(ParseTimestampMs("2026-11-22 03:12:49Z").has_value());
  EXPECT_FALSE(ParseTimestampMs("2026-11-22T03:12:49").has_value());
  EXPECT_FALSE(ParseTimestampMs("2026-11-22T03:12:49.Z").has_value());
}

}  // namespace
}  // namespace flowsync
