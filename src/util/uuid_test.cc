#include "util/uuid.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "util/hash.h"
#include "util/time_format.h"

namespace flowsync {
namespace {

TEST(Uuid, V5MatchesRfc4122Example) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  EXPECT_EQ(UuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, ""), uuid.uuid5(uuid.NAMESPACE_URL, "a\0b")
  EXPECT_EQ(UuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", ""),
            "4ebd0208-8328-5d69-8c44-ec50939c0967");
  EXPECT_EQ(UuidV5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", std::string_view("a\0b", 3)),
            "7881dd1e-3474-5a4c-847c-b4137040609a");
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
  EXPECT_NE(HashHex("a"), HashHex("b"));
}

// XXH3-128 with the default seed and secret, as the canonical (big-endian)
// hex digest: every stored content hash depends on these. From Debian's
// xxhash 0.8.1 (`printf abc | xxhsum -H2`) and python3-xxhash
// (xxhash.xxh3_128_hexdigest(b"a" * 300)); 300 bytes take the long-input path.
TEST(Hash, Xxh3KnownValues) {
  EXPECT_EQ(HashHex(""), "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(HashHex("abc"), "06b05ab6733a618578af5f94892f3950");
  const std::string long_input(300, 'a');
  EXPECT_EQ(HashHex(long_input), "5e563f2cb28d2005c1d17581d8eb7e21");
  Hasher empty;
  EXPECT_EQ(empty.Hex(), "99aa06d3014798d86001c324468d497f");
  Hasher h;
  h.Update("ab");
  h.Update("c");
  EXPECT_EQ(h.Hex(), "06b05ab6733a618578af5f94892f3950");
  Hasher pieces;  // streaming across the 256-byte stripe buffer
  for (size_t i = 0; i < long_input.size(); i += 7) {
    pieces.Update(std::string_view(long_input).substr(i, 7));
  }
  EXPECT_EQ(pieces.Hex(), "5e563f2cb28d2005c1d17581d8eb7e21");
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
