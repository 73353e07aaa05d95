#include "cli/progress.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace flowsync::cli {
namespace {

using std::chrono::milliseconds;

TEST(ProgressLine, RendersAStageWithoutACountAsRunningTime) {
  EXPECT_EQ(ProgressLine::Render("walking the tree", 0, 0, milliseconds(1234)),
            "walking the tree... 1.2 s");
}

TEST(ProgressLine, RendersACountAsABar) {
  EXPECT_EQ(ProgressLine::Render("reading", 0, 6171, milliseconds(600)),
            "reading [                              ] 0/6171 0.6 s");
  EXPECT_EQ(ProgressLine::Render("reading", 3085, 6171, milliseconds(2000)),
            "reading [##############                ] 3085/6171 2.0 s");
  EXPECT_EQ(ProgressLine::Render("reading", 6171, 6171, milliseconds(4000)),
            "reading [##############################] 6171/6171 4.0 s");
}

// A stage that reports nothing for a while (a walk, a commit) is still
// drawn, with its running time, and the line is erased at the end.
TEST(ProgressLine, DrawsTheStageWhileItRuns) {
  testing::internal::CaptureStderr();
  {
    ProgressLine line(true, milliseconds(0));
    line.Set("walking the tree", 0, 0);
    std::this_thread::sleep_for(milliseconds(250));
  }
  const std::string drawn = testing::internal::GetCapturedStderr();
  EXPECT_NE(drawn.find("\r\033[Kwalking the tree... 0."), std::string::npos) << drawn;
  EXPECT_TRUE(drawn.ends_with("\r\033[K")) << drawn;
}

TEST(ProgressLine, NothingDuringTheQuietPeriod) {
  testing::internal::CaptureStderr();
  {
    ProgressLine line(true, milliseconds(10'000));
    line.Set("reading", 1, 2);
    std::this_thread::sleep_for(milliseconds(150));
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ProgressLine, DisabledDrawsNothingAndStartsNoThread) {
  ProgressLine line(false);
  line.Set("reading", 1, 2);
  line.Clear();
}

}  // namespace
}  // namespace flowsync::cli
