#include "config/root.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "util/memory_file_system.h"
#include "util/test_util.h"

namespace flowsync::config {
namespace {

TEST(DiscoverRootTest, NearestMarkedFolderUpwards) {
  test::TempDir dir;
  const std::string top = std::filesystem::canonical(dir.path()).string();
  dir.Write("a/flowsync.toml", "");
  dir.Write("a/b/.flowsync/flowsync.db", "");
  dir.Write("a/b/c/d/x.json", "{}");
  EXPECT_EQ(DiscoverRoot(top + "/a/b/c/d"), top + "/a/b");
  EXPECT_EQ(DiscoverRoot(top + "/a/b"), top + "/a/b");
  EXPECT_EQ(DiscoverRoot(top + "/a"), top + "/a");
}

TEST(DiscoverRootTest, MarkersMustHaveTheirKind) {
  test::TempDir dir;
  const std::string top = std::filesystem::canonical(dir.path()).string();
  dir.Write("x/.flowsync", "a file, not a folder");
  dir.Write("x/flowsync.toml/y", "a folder, not a file");
  dir.Write("x/z/w.json", "{}");
  // Nothing above the temporary folder is marked on a test machine.
  EXPECT_EQ(DiscoverRoot(top + "/x/z"), std::nullopt);
}

TEST(DiscoverRootTest, GoesThroughTheFileSystem) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("/home/dev/repo/flowsync.toml", ""));
  ASSERT_OK(fs.CreateDirs("/home/dev/repo/flows/n8n"));
  ASSERT_OK(fs.CreateDirs("/home/dev/other/.flowsync"));
  EXPECT_EQ(DiscoverRoot("/home/dev/repo/flows/n8n", fs), "/home/dev/repo");
  EXPECT_EQ(DiscoverRoot("/home/dev/other", fs), "/home/dev/other");
  EXPECT_EQ(DiscoverRoot("/elsewhere/x", fs), std::nullopt);
  fs.SetCurrentDir("/home/dev/repo/flows");
  EXPECT_EQ(NormalisePath("n8n/../n8n/", "", fs), "/home/dev/repo/flows/n8n");
}

TEST(DiscoverRootTest, UnknownCurrentFolder) { EXPECT_EQ(DiscoverRoot(""), std::nullopt); }

// The tree of the README's tour: `flowsync sync flows/` made flows/ a root.
class FindRootTest : public ::testing::Test {
 protected:
  FindRootTest() {
    EXPECT_OK(fs_.CreateDirs("/home/dev/scratch/flows/.flowsync"));
    EXPECT_OK(fs_.SetFile("/home/dev/scratch/flows/n8n/slack-standup.json", "{}"));
    EXPECT_OK(fs_.SetFile("/home/dev/scratch/notes.txt", ""));
    EXPECT_OK(fs_.SetFile("/home/dev/other/flowsync.toml", ""));
    EXPECT_OK(fs_.SetFile("/home/dev/other/a.json", "{}"));
  }
  MemoryFileSystem fs_;
};

TEST_F(FindRootTest, FromThePathsGivenThenTheCurrentFolder) {
  // From the parent of the root, a path below it finds it.
  auto found = FindRoot({"flows/n8n/slack-standup.json"}, "/home/dev/scratch", fs_);
  ASSERT_OK(found);
  EXPECT_EQ(found->root, "/home/dev/scratch/flows");
  EXPECT_EQ(found->from_paths, 1u);
  // A folder is looked from itself; names that are no path are skipped.
  found = FindRoot({"My Workflow", "03f864b9", "flows/n8n/"}, "/home/dev/scratch", fs_);
  ASSERT_OK(found);
  EXPECT_EQ(found->root, "/home/dev/scratch/flows");
  EXPECT_EQ(found->searched, std::vector<std::string>{"/home/dev/scratch/flows/n8n"});
  // No path: the current folder.
  found = FindRoot({}, "/home/dev/scratch/flows/n8n", fs_);
  ASSERT_OK(found);
  EXPECT_EQ(found->root, "/home/dev/scratch/flows");
  EXPECT_EQ(found->from_paths, 0u);
  // A path outside any root: the current folder's root.
  found = FindRoot({"/home/dev/scratch/notes.txt"}, "/home/dev/other", fs_);
  ASSERT_OK(found);
  EXPECT_EQ(found->root, "/home/dev/other");
  EXPECT_EQ(found->searched, (std::vector<std::string>{"/home/dev/scratch", "/home/dev/other"}));
}

TEST_F(FindRootTest, NoneFoundIsNoGuess) {
  auto found = FindRoot({"notes.txt", "nope.json"}, "/home/dev/scratch", fs_);
  ASSERT_OK(found);
  EXPECT_EQ(found->root, std::nullopt);
  EXPECT_EQ(found->from_paths, 1u);
  EXPECT_EQ(found->searched, std::vector<std::string>{"/home/dev/scratch"});
  EXPECT_EQ(NoRootError(found->searched, true).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NoRootError(found->searched, true).message(),
            "no flowsync root in /home/dev/scratch or any parent (no .flowsync/ folder or "
            "flowsync.toml); run `flowsync sync TREE` first, or pass --root or --db");
  EXPECT_EQ(NoRootError({"/a", "/b", "/c"}, false).message(),
            "no flowsync root in /a (or /b, /c) or any parent (no .flowsync/ folder or "
            "flowsync.toml); run `flowsync sync TREE` first, or pass --root");
}

TEST_F(FindRootTest, PathsOfTwoRootsAreRefused) {
  auto found =
      FindRoot({"flows/n8n/slack-standup.json", "../other/a.json"}, "/home/dev/scratch", fs_);
  EXPECT_EQ(found.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(found.status().message(),
            "flows/n8n/slack-standup.json is below the flowsync root /home/dev/scratch/flows, "
            "../other/a.json below /home/dev/other: name workflows of one root at a time");
}

TEST(CheckGivenRootTest, MissingOrUnreadableIsRefused) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/srv/flows"));
  ASSERT_OK(fs.SetFile("/srv/one.toml", ""));
  EXPECT_OK(CheckGivenRoot("/srv/flows", fs));
  EXPECT_OK(CheckGivenRoot("/srv/one.toml", fs));  // a single phase file
  Status missing = CheckGivenRoot("/nonexistent", fs);
  EXPECT_EQ(missing.code(), StatusCode::kConflict);
  EXPECT_EQ(missing.message(),
            "root /nonexistent is missing or unreadable (No such file or directory); refusing to "
            "read it as an empty tree");
}

TEST(NormalisePathTest, AbsoluteNormalisedWithoutTrailingSlash) {
  EXPECT_EQ(NormalisePath("/a/b/../c/", "/cwd"), "/a/c");
  EXPECT_EQ(NormalisePath("x/./y", "/cwd"), "/cwd/x/y");
  EXPECT_EQ(NormalisePath("..", "/cwd/sub"), "/cwd");
  EXPECT_EQ(NormalisePath("/", "/cwd"), "/");
  EXPECT_EQ(NormalisePath("x", ""), NormalisePath("x", std::filesystem::current_path().string()));
}

}  // namespace
}  // namespace flowsync::config
