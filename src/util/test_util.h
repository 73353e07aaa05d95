// Helpers for unit tests: Status assertions and scoped temporary trees.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "flowsync/status.h"

#define ASSERT_OK(expr)                                                             \
  do {                                                                              \
    const auto& fs_assert_ok_ = (expr);                                             \
    ASSERT_TRUE(fs_assert_ok_.ok()) << ::flowsync::test::StatusText(fs_assert_ok_); \
  } while (false)
#define EXPECT_OK(expr)                                                             \
  do {                                                                              \
    const auto& fs_expect_ok_ = (expr);                                             \
    EXPECT_TRUE(fs_expect_ok_.ok()) << ::flowsync::test::StatusText(fs_expect_ok_); \
  } while (false)

namespace flowsync::test {

inline std::string StatusText(const Status& s) { return s.ToString(); }
template <typename T>
std::string StatusText(const Result<T>& r) {
  return r.status().ToString();
}

// A fresh directory under $TMPDIR, removed with everything in it on scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/relative, creating parent folders.
  void Write(const std::string& relative, const std::string& content) const;
  std::string Read(const std::string& relative) const;
  void Remove(const std::string& relative) const;

 private:
  std::string path_;
};

// An n8n workflow of `nodes` manual-trigger nodes named `name` (with `id`
// when not empty, as an element of an array export has one), as JSON.
std::string N8nWorkflow(const std::string& name, int nodes = 1, const std::string& id = "");

// Directory holding the shared corpus and fixtures (../shared of the repo).
std::string SharedDir();

// A database backend the store tests run against.
struct TestBackend {
  std::string name;  // "sqlite", "postgres"
  // A URL of a fresh, empty database: a file under `dir` (SQLite) or a new
  // schema on the test server (PostgreSQL). Empty when this backend has no
  // server configured (FLOWSYNC_PG_DIR unset): the test skips itself.
  std::function<std::string(const std::string& dir)> fresh_url;
};
void PrintTo(const TestBackend& b, std::ostream* os);

// SQLite and PostgreSQL. The PostgreSQL server is the one named by
// $FLOWSYNC_PG_DIR/url, written by tests/pg/cluster.sh (CTest starts it and
// sets the variable). With FLOWSYNC_PG_DIR set and no server there the test
// binary aborts: under CTest, PostgreSQL tests are never skipped.
std::vector<TestBackend> TestBackends();

// A child process that holds a write lock on byte `offset` of the file at
// `path` until destroyed: a POSIX record lock (F_SETLK, as SQLite takes
// them), or with `ofd` an open file description lock (F_OFD_SETLK), which
// conflicts alike but names no process. locked() says whether it got it.
class ChildLock {
 public:
  ChildLock(const std::string& path, off_t offset, bool ofd = false);
  ~ChildLock();
  ChildLock(const ChildLock&) = delete;
  ChildLock& operator=(const ChildLock&) = delete;
  pid_t pid() const { return pid_; }
  bool locked() const { return locked_; }

 private:
  pid_t pid_ = -1;
  int release_ = -1;  // closing it lets the child exit
  bool locked_ = false;
};

}  // namespace flowsync::test
