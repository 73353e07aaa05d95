#include "store/sqlite/sqlite_db.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "util/test_util.h"

namespace flowsync::sqlite {
namespace {

TEST(SqliteDb, BusyWriterNamesTheDatabaseAndTheLockHolder) {
  test::TempDir dir;
  const std::string path = dir.path() + "/flows.db";
  Db holder;
  ASSERT_OK(holder.Open(path, true));
  ASSERT_OK(holder.Exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x)"));
  ASSERT_OK(holder.BeginWrite());

  Db waiter;
  ASSERT_OK(waiter.Open(path, false));
  waiter.set_label("sqlite:flows.db (project p)");
  waiter.SetLockTimeout(100);
  Status s = waiter.BeginWrite();
  EXPECT_EQ(s.code(), StatusCode::kBusy);
  // The holder is this very process (another connection of it).
  EXPECT_EQ(s.message(),
            fmt::format("database sqlite:flows.db (project p) is locked by another writer: "
                        "process {} (flowsync_tests) on this machine holds it; waited 0.1 s "
                        "(raise --lock-timeout, or retry when it is done)",
                        ::getpid()));
  ASSERT_OK(holder.Exec("ROLLBACK"));
  EXPECT_OK(waiter.BeginWrite());
}

TEST(SqliteDb, BusyWriterNamesAHolderInAnotherProcess) {
  test::TempDir dir;
  const std::string path = dir.path() + "/flows.db";
  Db db;
  ASSERT_OK(db.Open(path, true));
  ASSERT_OK(db.Exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x)"));
  // Another process holds the WAL write lock (byte 120 of the -shm file).
  test::ChildLock writer(path + "-shm", 120);
  ASSERT_TRUE(writer.locked());
  db.SetLockTimeout(0);
  Status s = db.BeginWrite();
  EXPECT_EQ(s.code(), StatusCode::kBusy);
  EXPECT_EQ(s.message(), fmt::format("database sqlite:{} is locked by another writer: process {} "
                                     "(flowsync_tests) on this machine holds it; waited 0 s (raise "
                                     "--lock-timeout, or retry when it is done)",
                                     path, writer.pid()));
}

TEST(SqliteDb, BusyWriterWithoutVisibleHolderSaysHowToFindIt) {
  test::TempDir dir;
  const std::string path = dir.path() + "/flows.db";
  Db db;
  ASSERT_OK(db.Open(path, true));
  ASSERT_OK(db.Exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x)"));
  // A lock that names no process, as one held from another pid namespace.
  test::ChildLock writer(path + "-shm", 120, /*ofd=*/true);
  ASSERT_TRUE(writer.locked());
  db.SetLockTimeout(0);
  Status s = db.BeginWrite();
  EXPECT_EQ(s.code(), StatusCode::kBusy);
  EXPECT_EQ(s.message(),
            fmt::format("database sqlite:{0} is locked by another writer: its holder is not "
                        "visible from here (`fuser -v {0}` lists the processes that have the "
                        "file open); waited 0 s (raise --lock-timeout, or retry when it is done)",
                        path));
}

TEST(SqliteDb, ReadOnlyDatabaseIsNamed) {
  test::TempDir dir;
  const std::string path = dir.path() + "/flows.db";
  Db db;
  ASSERT_OK(db.Open(path, true));
  // query_only refuses writes as a read-only file does, also for root.
  ASSERT_OK(db.Exec("PRAGMA query_only = 1"));
  Status s = db.Exec("CREATE TABLE t (x)");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(s.message(),
            "database sqlite:" + path +
                " is read-only: executing CREATE TABLE t (x): attempt to write a readonly database "
                "(check the permissions of the file, of its -wal and -shm files and of its "
                "folder)");
  s = db.BeginWrite();
  EXPECT_EQ(s.message(),
            "database sqlite:" + path +
                " is read-only: executing BEGIN IMMEDIATE: attempt to write a readonly database "
                "(check the permissions of the file, of its -wal and -shm files and of its "
                "folder)");
}

TEST(SqliteDb, AFileReplacedOrRemovedWhileOpenIsNotWrittenTo) {
  test::TempDir dir;
  const std::string path = dir.path() + "/flows.db";
  Db db;
  ASSERT_OK(db.Open(path, true));
  ASSERT_OK(db.Exec("CREATE TABLE t (x)"));
  ASSERT_OK(db.BeginWrite());
  ASSERT_OK(db.Exec("COMMIT"));
  // Another file moved over the path (a restore from a backup, say).
  {
    Db other;
    ASSERT_OK(other.Open(path + ".new", true));
    ASSERT_OK(other.Exec("CREATE TABLE u (y)"));
  }
  ASSERT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
  Status s = db.BeginWrite();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(), "database sqlite:" + path +
                             " was replaced while this process had it open: nothing was written "
                             "(start flowsync again to use the file now at that path)");
  ASSERT_EQ(std::remove(path.c_str()), 0);
  s = db.BeginWrite();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find(" was removed (No such file or directory) while"), std::string::npos)
      << s.message();
  // A fresh open of the new file works as usual.
  Db reopened;
  ASSERT_OK(reopened.Open(path, true));
  ASSERT_OK(reopened.BeginWrite());
  ASSERT_OK(reopened.Exec("ROLLBACK"));
}

}  // namespace
}  // namespace flowsync::sqlite
