#include "util/temp_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "util/memory_file_system.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

TEST(TempFilePidTest, OnlyNamesTempPathForMakes) {
  EXPECT_EQ(TempFilePid(".20261122101500_a.sql.tmp-4711-3"), 4711);
  EXPECT_EQ(TempFilePid(TempPathFor("a.json")), ::getpid());
  for (const char* name :
       {"a.sql.tmp-1-1", ".tmp-1-1", ".a.tmp-1", ".a.tmp--1", ".a.tmp-1-", ".a.tmp-x-1",
        ".a.tmp-1-2-3", ".a.tmp-1234567890123456789-1", ".a.sql"}) {
    EXPECT_EQ(TempFilePid(name), std::nullopt) << name;
  }
}

TEST(ProcessRunningTest, ThisProcessRunsAndImpossiblePidsDoNot) {
  EXPECT_TRUE(ProcessRunning(::getpid()));
  EXPECT_FALSE(ProcessRunning(0));
  EXPECT_FALSE(ProcessRunning(-5));
  EXPECT_FALSE(ProcessRunning(4194305));  // above Linux's largest PID, 2^22
  EXPECT_FALSE(ProcessRunning(int64_t{1} << 40));
}

TEST(RemoveStaleTempFilesTest, OnlyTempFilesOfProcessesThatAreGone) {
  MemoryFileSystem fs;
  for (const char* name : {".a.sql.tmp-100-1", ".a.json.tmp-100-2", ".b.sql.tmp-200-1",
                           ".c.sql.tmp-100", "d.sql.tmp-100-1", "f.sql"}) {
    ASSERT_OK(fs.SetFile(std::string("/m/") + name, "x"));
  }
  const std::string own = TempPathFor("/m/e.sql");
  ASSERT_OK(fs.SetFile(own, "x"));
  ASSERT_OK(fs.CreateDirs("/m/.g.tmp-100-1"));
  std::vector<int64_t> asked;
  auto running = [&asked](int64_t pid) {
    asked.push_back(pid);
    return pid == 200;
  };
  Result<int> removed = RemoveStaleTempFiles(fs, "/m", running);
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 2);
  std::sort(asked.begin(), asked.end());
  EXPECT_EQ(asked, (std::vector<int64_t>{100, 100, 200}));
  std::vector<std::string> names;
  auto listed = fs.ListDir("/m");
  ASSERT_OK(listed);
  for (const DirEntry& e : *listed) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  std::vector<std::string> want = {".b.sql.tmp-200-1", ".c.sql.tmp-100",  ".g.tmp-100-1",
                                   own.substr(3),      "d.sql.tmp-100-1", "f.sql"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want);
  EXPECT_EQ(*RemoveStaleTempFiles(fs, "/nowhere", running), 0);

  fs.InjectFault(MemoryFileSystem::Op::kRemove, "/m/.b.sql.tmp-200-1",
                 Status::IOError("/m/.b.sql.tmp-200-1: Permission denied"));
  EXPECT_EQ(RemoveStaleTempFiles(fs, "/m", [](int64_t) { return false; }).status().message(),
            "/m/.b.sql.tmp-200-1: Permission denied");
}

}  // namespace
}  // namespace flowsync
