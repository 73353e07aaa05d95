// The FileSystem contract, checked against the POSIX implementation (in a
// temporary folder) and the in-memory one alike, so that tests which use the
// latter test what the former does.
#include "flowsync/file_system.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "util/memory_file_system.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

using RenameMode = FileSystem::RenameMode;

struct Backend {
  std::string name;
  bool memory = false;
};

class FileSystemTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam().memory) memory_ = std::make_unique<MemoryFileSystem>(&clock_);
    ASSERT_OK(fs().CreateDirs(root_));
  }
  const FileSystem& fs() const { return memory_ ? *memory_ : RealFileSystem(); }
  std::string P(const std::string& rel) const { return root_ + "/" + rel; }
  std::string Read(const std::string& rel) const {
    auto text = fs().ReadFile(P(rel), 1 << 20);
    return text.ok() ? *text : "<" + text.status().ToString() + ">";
  }
  std::vector<std::string> Names(const std::string& rel) const {
    std::vector<std::string> names;
    auto entries = fs().ListDir(rel.empty() ? root_ : P(rel));
    EXPECT_OK(entries);
    if (entries.ok()) {
      for (const DirEntry& e : *entries) names.push_back(e.name);
    }
    return names;
  }

  ManualClock clock_{1'000};
  test::TempDir tmp_;
  const std::string root_ = tmp_.path() + "/root";
  std::unique_ptr<MemoryFileSystem> memory_;
};

TEST_P(FileSystemTest, CreateDirsMakesParentsAndAcceptsExistingFolders) {
  ASSERT_OK(fs().CreateDirs(P("a/b/c")));
  EXPECT_OK(fs().CreateDirs(P("a/b/c")));
  EXPECT_OK(fs().CreateDirs(P("a/b/c/")));
  EXPECT_EQ(fs().Stat(P("a/b/c"))->type, FileType::kDirectory);

  ASSERT_OK(fs().WriteNewFile(P("file"), "x", /*sync=*/false));
  Status s = fs().CreateDirs(P("file"));
  EXPECT_EQ(s.message(), P("file") + ": Not a directory");
  s = fs().CreateDirs(P("file/m"));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), P("file/m") + ": Not a directory");
}

TEST_P(FileSystemTest, WriteNewFileNeverReplaces) {
  ASSERT_OK(fs().WriteNewFile(P("a"), "first", /*sync=*/true));
  EXPECT_EQ(Read("a"), "first");
  EXPECT_EQ(fs().Stat(P("a"))->size, 5u);
  Status s = fs().WriteNewFile(P("a"), "second", /*sync=*/false);
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(s.message(), P("a") + ": File exists");
  EXPECT_EQ(Read("a"), "first");

  s = fs().WriteNewFile(P("missing/a"), "x", /*sync=*/false);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), P("missing/a") + ": No such file or directory");
}

TEST_P(FileSystemTest, RenameReplacesOrNot) {
  ASSERT_OK(fs().WriteNewFile(P("a"), "A", false));
  ASSERT_OK(fs().WriteNewFile(P("b"), "B", false));
  const uint64_t inode = fs().Stat(P("a"))->inode;

  Status s = fs().Rename(P("a"), P("b"), RenameMode::kNoReplace);
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(s.message(), P("b") + ": File exists");
  EXPECT_EQ(Read("a"), "A");

  ASSERT_OK(fs().Rename(P("a"), P("b"), RenameMode::kReplace));
  EXPECT_EQ(Read("b"), "A");
  EXPECT_EQ(fs().Stat(P("b"))->inode, inode);
  EXPECT_EQ(fs().Stat(P("a")).status().code(), StatusCode::kNotFound);

  ASSERT_OK(fs().Rename(P("b"), P("c"), RenameMode::kNoReplace));
  EXPECT_EQ(Names(""), std::vector<std::string>{"c"});

  s = fs().Rename(P("gone"), P("d"), RenameMode::kNoReplace);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), P("d") + ": No such file or directory");
}

TEST_P(FileSystemTest, RenameMovesAFolderWithItsContent) {
  ASSERT_OK(fs().CreateDirs(P("x/sub")));
  ASSERT_OK(fs().WriteNewFile(P("x/sub/f"), "F", false));
  ASSERT_OK(fs().Rename(P("x"), P("y"), RenameMode::kNoReplace));
  EXPECT_EQ(Read("y/sub/f"), "F");
  EXPECT_EQ(Names(""), std::vector<std::string>{"y"});
}

TEST_P(FileSystemTest, RemoveFile) {
  ASSERT_OK(fs().WriteNewFile(P("a"), "A", false));
  ASSERT_OK(fs().RemoveFile(P("a")));
  EXPECT_TRUE(Names("").empty());
  Status s = fs().RemoveFile(P("a"));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), P("a") + ": No such file or directory");
  ASSERT_OK(fs().CreateDirs(P("d")));
  EXPECT_FALSE(fs().RemoveFile(P("d")).ok());
}

TEST_P(FileSystemTest, Syncs) {
  ASSERT_OK(fs().WriteNewFile(P("a"), "A", false));
  EXPECT_OK(fs().SyncDir(root_));
  EXPECT_OK(fs().SyncFileSystem(root_));
  EXPECT_EQ(fs().SyncDir(P("missing")).code(), StatusCode::kNotFound);
  EXPECT_EQ(fs().SyncFileSystem(P("missing")).code(), StatusCode::kNotFound);
}

TEST_P(FileSystemTest, WriteFileAtomicReplacesAndLeavesNoTempFile) {
  ASSERT_OK(WriteFileAtomic(fs(), P("a.json"), "{}"));
  EXPECT_EQ(Read("a.json"), "{}");
  ASSERT_OK(WriteFileAtomic(fs(), P("a.json"), "[1]"));
  EXPECT_EQ(Read("a.json"), "[1]");
  EXPECT_EQ(Names(""), std::vector<std::string>{"a.json"});

  // The target is a folder: the rename fails and the temp file goes.
  ASSERT_OK(fs().CreateDirs(P("d")));
  EXPECT_FALSE(WriteFileAtomic(fs(), P("d"), "x").ok());
  EXPECT_EQ(Names(""), (std::vector<std::string>{"a.json", "d"}));
  EXPECT_TRUE(Names("d").empty());
}

TEST_P(FileSystemTest, ReadErrorsAreWordedAlike) {
  ASSERT_OK(fs().CreateDirs(P("d")));
  ASSERT_OK(fs().WriteNewFile(P("big"), "12345", false));
  EXPECT_EQ(fs().ReadFile(P("d"), 10).status().message(), P("d") + ": is a directory");
  auto big = fs().ReadFile(P("big"), 4);
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(big.status().message(),
            P("big") + ": file is 5 bytes, over the limit of 4 bytes (--max-file-size)");
  EXPECT_EQ(fs().ReadFile(P("big/x"), 10).status().message(), P("big/x") + ": Not a directory");
}

// A file can hold more than fstat says (it grew since, or it is a kernel
// file whose size reads 0): the read goes on to end of file, within the
// limit.
TEST(PosixFileSystemTest, ReadsPastTheSizeFstatReported) {
  const std::string path = "/proc/self/status";
  auto info = RealFileSystem().Stat(path);
  if (!info.ok() || info->size != 0) GTEST_SKIP() << "no /proc with size-0 files here";
  auto text = RealFileSystem().ReadFile(path, 1 << 20);
  ASSERT_OK(text);
  EXPECT_TRUE(text->starts_with("Name:")) << *text;
  EXPECT_GT(text->size(), 600u);  // more than one probe's worth
  auto limited = RealFileSystem().ReadFile(path, 100);
  EXPECT_EQ(limited.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(limited.status().message(),
            path + ": file is over the limit of 100 bytes (--max-file-size)");
}

// Opening a FIFO for reading waits for a writer: ReadFile must refuse it
// without waiting (a sync holds the writer lock while it reads).
TEST(PosixFileSystemTest, RefusesAFifoWithoutWaiting) {
  test::TempDir dir;
  const std::string path = dir.path() + "/pipe.json";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto read = RealFileSystem().ReadFile(path, 1 << 20);
  EXPECT_EQ(read.status().code(), StatusCode::kIOError);
  EXPECT_EQ(read.status().message(),
            path + ": not a regular file (a FIFO); only regular files are read");
}

INSTANTIATE_TEST_SUITE_P(Implementations, FileSystemTest,
                         ::testing::Values(Backend{"posix", false}, Backend{"memory", true}),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(TempPathForTest, HiddenBesideTheFileAndUnique) {
  const std::string a = TempPathFor("m/20261122101500_a.sql");
  const std::string b = TempPathFor("m/20261122101500_a.sql");
  EXPECT_TRUE(a.starts_with("m/.20261122101500_a.sql.tmp-")) << a;
  EXPECT_NE(a, b);
  EXPECT_TRUE(TempPathFor("a.sql").starts_with(".a.sql.tmp-"));
}

// Faults no real disk produces on demand: the old content stays and no temp
// file is left behind.
TEST(WriteFileAtomicTest, AFailureKeepsTheOldContent) {
  using Op = MemoryFileSystem::Op;
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("/d/a", "old"));
  fs.InjectFault(Op::kRename, "/d/a", Status::IOError("/d/a: Input/output error"));
  Status s = WriteFileAtomic(fs, "/d/a", "new");
  EXPECT_EQ(s.message(), "/d/a: Input/output error");
  EXPECT_EQ(*fs.ReadFile("/d/a", 10), "old");
  EXPECT_EQ(fs.ListDir("/d")->size(), 1u);

  fs.ClearFaults();
  fs.InjectFault(
      Op::kWrite, [](const std::string&) { return true; }, Status::IOError("disk full"));
  EXPECT_EQ(WriteFileAtomic(fs, "/d/a", "new").message(), "disk full");
  EXPECT_EQ(fs.ListDir("/d")->size(), 1u);

  // Only the folder sync fails: the content is in place, the error told.
  fs.ClearFaults();
  fs.InjectFault(Op::kSync, "/d", Status::IOError("/d: Input/output error"));
  EXPECT_EQ(WriteFileAtomic(fs, "/d/a", "new").message(), "/d: Input/output error");
  EXPECT_EQ(*fs.ReadFile("/d/a", 10), "new");
}

TEST(ReadOnlyFileSystemTest, WritesAreUnsupported) {
  // A FileSystem that implements the reads only.
  class ReadOnly final : public FileSystem {
   public:
    Result<FileInfo> Stat(const std::string& p) const override { return RealFileSystem().Stat(p); }
    Result<FileInfo> Lstat(const std::string& p) const override {
      return RealFileSystem().Lstat(p);
    }
    Result<std::vector<DirEntry>> ListDir(const std::string& p) const override {
      return RealFileSystem().ListDir(p);
    }
    Result<std::string> ReadFile(const std::string& p, uint64_t max) const override {
      return RealFileSystem().ReadFile(p, max);
    }
  } fs;
  Status s = fs.WriteNewFile("x", "", false);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_EQ(s.message(), "x: this file system is read-only");
  EXPECT_EQ(WriteFileAtomic(fs, "d/x", "").code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace flowsync
