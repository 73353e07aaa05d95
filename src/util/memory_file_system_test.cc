#include "util/memory_file_system.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "util/test_util.h"

namespace flowsync {
namespace {

using Op = MemoryFileSystem::Op;

std::vector<std::string> Names(const FileSystem& fs, const std::string& path) {
  std::vector<std::string> names;
  auto entries = fs.ListDir(path);
  EXPECT_OK(entries);
  if (entries.ok()) {
    for (const DirEntry& e : *entries) names.push_back(e.name);
  }
  return names;
}

TEST(MemoryFileSystemTest, SetFileCreatesParentsAndListsSorted) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("/t/b/x.json", "x"));
  ASSERT_OK(fs.SetFile("/t/a.json", "a"));
  ASSERT_OK(fs.SetFile("/t/b-c.json", "bc"));
  EXPECT_EQ(Names(fs, "/t"), (std::vector<std::string>{"a.json", "b", "b-c.json"}));
  EXPECT_EQ(Names(fs, "/t/b/"), std::vector<std::string>{"x.json"});
  EXPECT_EQ(fs.Stat("/t/b")->type, FileType::kDirectory);
  EXPECT_EQ(*fs.ReadFile("/t/./b//x.json", 10), "x");
  EXPECT_EQ(fs.ListDir("/t/a.json").status().message(), "/t/a.json: Not a directory");
  EXPECT_EQ(fs.Stat("/nope").status().message(), "/nope: No such file or directory");
}

TEST(MemoryFileSystemTest, RelativeAndAbsoluteTreesAreSeparate) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("rel/a", "r"));
  ASSERT_OK(fs.SetFile("/abs/a", "a"));
  EXPECT_EQ(Names(fs, ""), std::vector<std::string>{"rel"});
  EXPECT_EQ(Names(fs, "."), std::vector<std::string>{"rel"});
  EXPECT_EQ(Names(fs, "/"), std::vector<std::string>{"abs"});
  EXPECT_EQ(*fs.ReadFile("./rel/a", 10), "r");
}

TEST(MemoryFileSystemTest, SizeMtimeAndInode) {
  ManualClock clock(5'000);
  MemoryFileSystem fs(&clock);
  ASSERT_OK(fs.SetFile("/a", "abc"));
  auto info = fs.Stat("/a");
  ASSERT_OK(info);
  EXPECT_EQ(info->type, FileType::kRegular);
  EXPECT_EQ(info->size, 3u);
  EXPECT_EQ(info->mtime_ns, 5'000'000'000);
  const uint64_t inode = info->inode;
  EXPECT_NE(fs.Stat("/")->inode, inode);

  // A rewrite keeps the inode and takes the clock's time.
  clock.Advance(1'000);
  ASSERT_OK(fs.SetFile("/a", "abcd"));
  EXPECT_EQ(fs.Stat("/a")->inode, inode);
  EXPECT_EQ(fs.Stat("/a")->mtime_ns, 6'000'000'000);

  ASSERT_OK(fs.SetMtime("/a", 42));
  ASSERT_OK(fs.SetInode("/a", 7));
  ASSERT_OK(fs.SetSize("/a", 100));
  info = fs.Stat("/a");
  EXPECT_EQ(info->mtime_ns, 42);
  EXPECT_EQ(info->inode, 7u);
  EXPECT_EQ(info->size, 100u);
  EXPECT_EQ(*fs.ReadFile("/a", 10), "abcd");  // the bytes stay
  EXPECT_EQ(fs.SetMtime("/b", 1).code(), StatusCode::kNotFound);
}

TEST(MemoryFileSystemTest, SymlinksAreFollowedExceptByLstat) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("/t/a/x.json", "x"));
  ASSERT_OK(fs.SetSymlink("/t/a/up", ".."));
  ASSERT_OK(fs.SetSymlink("/t/self", "/t"));
  ASSERT_OK(fs.SetSymlink("/t/link.json", "a/x.json"));
  ASSERT_OK(fs.SetSymlink("/t/loop1", "loop2"));
  ASSERT_OK(fs.SetSymlink("/t/loop2", "loop1"));
  ASSERT_OK(fs.SetSymlink("/t/dangling", "nowhere"));

  EXPECT_EQ(*fs.ReadFile("/t/link.json", 10), "x");
  EXPECT_EQ(*fs.ReadFile("/t/a/up/a/up/self/a/x.json", 10), "x");
  EXPECT_EQ(fs.Stat("/t/self")->type, FileType::kDirectory);
  EXPECT_EQ(fs.Lstat("/t/self")->type, FileType::kSymlink);
  EXPECT_EQ(fs.Lstat("/t/link.json")->size, 8u);  // the target's length, as lstat(2)
  EXPECT_EQ(Names(fs, "/t/self"),
            (std::vector<std::string>{"a", "dangling", "link.json", "loop1", "loop2", "self"}));
  auto entries = fs.ListDirWithInfo("/t");
  ASSERT_OK(entries);
  EXPECT_EQ(entries->at(0).type, FileType::kDirectory);
  EXPECT_EQ(entries->at(2).type, FileType::kSymlink);

  auto loop = fs.Stat("/t/loop1");
  EXPECT_EQ(loop.status().code(), StatusCode::kIOError);
  EXPECT_EQ(loop.status().message(),
            "/t/loop1: symbolic link loop (too many levels of symbolic links)");
  EXPECT_EQ(fs.Stat("/t/dangling").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs.Lstat("/t/dangling")->type, FileType::kSymlink);
  // Creating a file never goes through a final link.
  EXPECT_EQ(fs.WriteNewFile("/t/dangling", "x", false).code(), StatusCode::kConflict);
  // Removing a link leaves its target.
  ASSERT_OK(fs.RemoveFile("/t/link.json"));
  EXPECT_EQ(*fs.ReadFile("/t/a/x.json", 10), "x");
}

TEST(MemoryFileSystemTest, RemoveAllAndRenameOfAFolder) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("/t/x/one", "1"));
  ASSERT_OK(fs.SetFile("/t/x/sub/two", "2"));
  ASSERT_OK(fs.SetFile("/t/x0", "keep"));
  EXPECT_EQ(fs.Rename("/t/x", "/t/x/sub/in", FileSystem::RenameMode::kNoReplace).code(),
            StatusCode::kIOError);
  ASSERT_OK(fs.Rename("/t/x", "/t/y", FileSystem::RenameMode::kNoReplace));
  EXPECT_EQ(*fs.ReadFile("/t/y/sub/two", 10), "2");
  ASSERT_OK(fs.RemoveAll("/t/y"));
  EXPECT_EQ(Names(fs, "/t"), std::vector<std::string>{"x0"});
  EXPECT_EQ(fs.RemoveAll("/t/y").code(), StatusCode::kNotFound);
}

TEST(MemoryFileSystemTest, FaultsByPathAndByMatcher) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("/t/a", "a"));
  ASSERT_OK(fs.SetFile("/t/b", "b"));
  fs.InjectFault(Op::kRead, "/t/a", Status::IOError("/t/a: Input/output error"));
  fs.InjectFault(Op::kStat, "/t/b", Status::IOError("nop stat error"));
  fs.InjectFault(Op::kList, "/t", Status::IOError("/t: Permission denied"));
  fs.InjectFault(
      Op::kWrite, [](const std::string& p) { return p.ends_with(".sql"); },
      Status::IOError("disk full"));
  fs.InjectFault(Op::kRename, "/t/c", Status::IOError("/t/c: Input/output error"));
  fs.InjectFault(Op::kSync, "/t", Status::IOError("/t: Input/output error"));
  fs.InjectFault(Op::kCreateDir, "/t/d", Status::IOError("/t/d: Permission denied"));
  fs.InjectFault(Op::kRemove, "/t/b", Status::IOError("/t/b: Permission denied"));

  EXPECT_EQ(fs.ReadFile("/t/a", 10).status().message(), "/t/a: Input/output error");
  EXPECT_EQ(*fs.ReadFile("/t/b", 10), "b");
  EXPECT_EQ(fs.Stat("/t/b").status().message(), "nop stat error");
  EXPECT_EQ(fs.Lstat("/t/b").status().message(), "nop stat error");
  EXPECT_EQ(fs.ListDir("/t").status().message(), "/t: Permission denied");
  EXPECT_EQ(fs.WriteNewFile("/t/x.sql", "", false).message(), "disk full");
  EXPECT_OK(fs.WriteNewFile("/t/x.json", "", false));
  EXPECT_EQ(fs.Rename("/t/a", "/t/c", FileSystem::RenameMode::kReplace).message(),
            "/t/c: Input/output error");
  EXPECT_EQ(fs.SyncDir("/t").message(), "/t: Input/output error");
  EXPECT_EQ(fs.SyncFileSystem("/t").message(), "/t: Input/output error");
  EXPECT_EQ(fs.CreateDirs("/t/d").message(), "/t/d: Permission denied");
  EXPECT_EQ(fs.RemoveFile("/t/b").message(), "/t/b: Permission denied");
  EXPECT_EQ(fs.reads(), 2);
  fs.InjectError(
      Op::kWrite, [](const std::string& p) { return p.starts_with("/t/e"); }, EACCES);
  Status s = fs.WriteNewFile("/t/e1", "", false);
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(s.message(), "/t/e1: Permission denied");

  fs.ClearFaults();
  EXPECT_EQ(*fs.ReadFile("/t/a", 10), "a");
  EXPECT_OK(fs.ListDir("/t"));
}

TEST(MemoryFileSystemTest, CopyFromTheRealFileSystem) {
  test::TempDir tmp;
  tmp.Write("tree/a.json", "{}");
  tmp.Write("tree/sub/b.toml", "x = 1\n");
  MemoryFileSystem fs;
  const std::string root = tmp.path() + "/tree";
  ASSERT_OK(fs.CopyFrom(RealFileSystem(), root));
  EXPECT_EQ(*fs.ReadFile(root + "/sub/b.toml", 100), "x = 1\n");
  EXPECT_EQ(fs.Stat(root + "/a.json")->mtime_ns, RealFileSystem().Stat(root + "/a.json")->mtime_ns);
  EXPECT_EQ(Names(fs, root), (std::vector<std::string>{"a.json", "sub"}));
}

// Readers on several threads while a writer changes other files (run under
// ThreadSanitizer or ASan to see the point).
TEST(MemoryFileSystemTest, ConcurrentReadersAndAWriter) {
  MemoryFileSystem fs;
  for (int i = 0; i < 20; ++i) ASSERT_OK(fs.SetFile("/t/f" + std::to_string(i), "x"));
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        if (!fs.ReadFile("/t/f" + std::to_string(round % 20), 10).ok()) ++bad;
        if (!fs.ListDir("/t").ok()) ++bad;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 200; ++i) {
      if (!fs.WriteNewFile("/t/new" + std::to_string(i), "n", false).ok()) ++bad;
    }
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(fs.reads(), 600);
}

TEST(MemoryFileSystemTest, RealPathResolvesLinksAsFarAsThePathExists) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/data/repo/flows"));
  ASSERT_OK(fs.SetSymlink("/home/me/repo", "/data/repo"));
  EXPECT_EQ(*fs.RealPath("/home/me/repo/flows"), "/data/repo/flows");
  EXPECT_EQ(*fs.RealPath("/home/me/repo/flows/new/../a.json"), "/data/repo/flows/a.json");
  EXPECT_EQ(*fs.RealPath("/nowhere/x"), "/nowhere/x");
  EXPECT_EQ(*fs.CurrentDir(), "/");
  fs.SetCurrentDir("/home/me");
  EXPECT_EQ(*fs.RealPath("repo/./flows"), "/data/repo/flows");
}

}  // namespace
}  // namespace flowsync
