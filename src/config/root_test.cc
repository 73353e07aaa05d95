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
  EXPECT_EQ(DiscoverRoot(top + "/x/z"), top + "/x/z");
}

TEST(DiscoverRootTest, GoesThroughTheFileSystem) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("/home/dev/repo/flowsync.toml", ""));
  ASSERT_OK(fs.CreateDirs("/home/dev/repo/flows/n8n"));
  ASSERT_OK(fs.CreateDirs("/home/dev/other/.flowsync"));
  EXPECT_EQ(DiscoverRoot("/home/dev/repo/flows/n8n", fs), "/home/dev/repo");
  EXPECT_EQ(DiscoverRoot("/home/dev/other", fs), "/home/dev/other");
  EXPECT_EQ(DiscoverRoot("/elsewhere/x", fs), "/elsewhere/x");
  fs.SetCurrentDir("/home/dev/repo/flows");
  EXPECT_EQ(NormalisePath("n8n/../n8n/", "", fs), "/home/dev/repo/flows/n8n");
}

TEST(DiscoverRootTest, UnknownCurrentFolder) { EXPECT_EQ(DiscoverRoot(""), "."); }

TEST(NormalisePathTest, AbsoluteNormalisedWithoutTrailingSlash) {
  EXPECT_EQ(NormalisePath("/a/b/../c/", "/cwd"), "/a/c");
  EXPECT_EQ(NormalisePath("x/./y", "/cwd"), "/cwd/x/y");
  EXPECT_EQ(NormalisePath("..", "/cwd/sub"), "/cwd");
  EXPECT_EQ(NormalisePath("/", "/cwd"), "/");
  EXPECT_EQ(NormalisePath("x", ""), NormalisePath("x", std::filesystem::current_path().string()));
}

}  // namespace
}  // namespace flowsync::config
