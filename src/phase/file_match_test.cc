#include "phase/file_match.h"

#include <gtest/gtest.h>

#include "util/test_util.h"

namespace flowsync::phase {
namespace {

const std::vector<std::string> kKeys = {"f1.toml", "jobs/etl.toml", "phases/etl.toml",
                                        "phases/load.toml", "phases/nightly/report.toml"};

TEST(MatchPhaseFileTest, KeysAndAnyFileAsGiven) {
  EXPECT_EQ(*MatchPhaseFile("phases/etl.toml", kKeys), "phases/etl.toml");
  EXPECT_EQ(*MatchPhaseFile("./f1.toml", kKeys), "f1.toml");
  EXPECT_EQ(*MatchPhaseFile("*", kKeys), "*");
}

TEST(MatchPhaseFileTest, AFileNameOfOneKey) {
  // The README's example: the key is phases/load.toml.
  EXPECT_EQ(*MatchPhaseFile("load.toml", kKeys), "phases/load.toml");
  EXPECT_EQ(*MatchPhaseFile("report.toml", kKeys), "phases/nightly/report.toml");
  EXPECT_EQ(*MatchPhaseFile("nightly/report.toml", kKeys), "phases/nightly/report.toml");
  // Whole parts only: "ad.toml" does not end "load.toml".
  EXPECT_EQ(MatchPhaseFile("ad.toml", kKeys).status().code(), StatusCode::kNotFound);
}

TEST(MatchPhaseFileTest, SeveralKeysAreAmbiguous) {
  auto r = MatchPhaseFile("etl.toml", kKeys);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "phase file 'etl.toml' is ambiguous: `jobs/etl.toml` or `phases/etl.toml` (give the "
            "path below the root)");
}

TEST(MatchPhaseFileTest, NearMatchesAreSuggested) {
  auto r = MatchPhaseFile("lod.toml", kKeys);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "no phase file 'lod.toml'; did you mean `phases/load.toml`?");
  EXPECT_EQ(MatchPhaseFile("etl.tml", kKeys).status().message(),
            "no phase file 'etl.tml'; did you mean `jobs/etl.toml` or `phases/etl.toml`?");
  EXPECT_EQ(MatchPhaseFile("phases/lod.toml", kKeys).status().message(),
            "no phase file 'phases/lod.toml'; did you mean `phases/load.toml`?");
  EXPECT_EQ(MatchPhaseFile("billing.toml", kKeys).status().message(),
            "no phase file 'billing.toml'");
  EXPECT_EQ(MatchPhaseFile("x.toml", {}).status().message(), "no phase file 'x.toml'");
}

}  // namespace
}  // namespace flowsync::phase
