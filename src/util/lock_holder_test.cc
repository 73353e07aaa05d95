#include "util/lock_holder.h"

#include <gtest/gtest.h>

#include "util/test_util.h"

namespace flowsync {
namespace {

constexpr char kLocks[] =
    "1: POSIX  ADVISORY  READ 18168 fe:00:10960930 128 128\n"
    "2: POSIX  ADVISORY  READ 18168 fe:00:10960927 1073741826 1073742335\n"
    "3: -> POSIX  ADVISORY  WRITE 2222 fe:00:10960930 120 120\n"
    "4: FLOCK  ADVISORY  WRITE 3333 fe:00:10960930 0 EOF\n"
    "5: POSIX  ADVISORY  WRITE 18168 fe:00:10960930 120 120\n"
    "6: POSIX  ADVISORY  WRITE 4444 103:02:10960930 120 120\n"
    "7: POSIX  ADVISORY  WRITE 5555 fe:00:77 100 EOF\n";

TEST(FindLockHolderPid, ReadsTheGrantedPosixWriteLockOnTheByte) {
  // Waiting requests (->), flock locks, read locks and other devices hold nothing here.
  EXPECT_EQ(FindLockHolderPid(kLocks, 0xfe, 0, 10960930, 120), 18168);
  EXPECT_EQ(FindLockHolderPid(kLocks, 0x103, 2, 10960930, 120), 4444);
  EXPECT_EQ(FindLockHolderPid(kLocks, 0xfe, 0, 10960930, 121), std::nullopt);
  EXPECT_EQ(FindLockHolderPid(kLocks, 0xfe, 0, 10960930, 128), std::nullopt);  // a read lock
  EXPECT_EQ(FindLockHolderPid(kLocks, 0xfe, 0, 10960927, 1073741826), std::nullopt);
  // "EOF": to the end of the file.
  EXPECT_EQ(FindLockHolderPid(kLocks, 0xfe, 0, 77, 0x40000001), 5555);
  EXPECT_EQ(FindLockHolderPid(kLocks, 0xfe, 0, 77, 99), std::nullopt);
  EXPECT_EQ(FindLockHolderPid("", 0xfe, 0, 77, 100), std::nullopt);
  EXPECT_EQ(FindLockHolderPid("garbage\n1: POSIX ADVISORY WRITE x fe:00:77 1 2\n", 0xfe, 0, 77, 1),
            std::nullopt);
}

TEST(PosixLockHolder, NamesTheProcessHoldingTheLock) {
  test::TempDir dir;
  dir.Write("f", std::string(200, 'x'));
  const std::string path = dir.path() + "/f";
  EXPECT_EQ(PosixLockHolder(path, 120), std::nullopt);
  EXPECT_EQ(PosixLockHolder(dir.path() + "/missing", 120), std::nullopt);

  std::optional<LockHolder> holder;
  pid_t child = -1;
  {
    test::ChildLock lock(path, 120);
    ASSERT_TRUE(lock.locked());
    child = lock.pid();
    holder = PosixLockHolder(path, 120);
    EXPECT_EQ(PosixLockHolder(path, 119), std::nullopt);
  }
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(holder->pid, child);
  EXPECT_EQ(holder->command, "flowsync_tests");
  EXPECT_EQ(PosixLockHolder(path, 120), std::nullopt);  // released with the child
}

TEST(PosixLockHolder, OpenFileDescriptionLocksNameNoProcess) {
  test::TempDir dir;
  dir.Write("f", std::string(200, 'x'));
  test::ChildLock lock(dir.path() + "/f", 120, /*ofd=*/true);
  ASSERT_TRUE(lock.locked());
  EXPECT_EQ(PosixLockHolder(dir.path() + "/f", 120), std::nullopt);
}

}  // namespace
}  // namespace flowsync
