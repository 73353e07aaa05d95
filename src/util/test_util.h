// Helpers for unit tests: Status assertions and scoped temporary trees.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "flowsync/status.h"

#define ASSERT_OK(expr)                                            \
  do {                                                             \
    const auto& fs_assert_ok_ = (expr);                            \
    ASSERT_TRUE(fs_assert_ok_.ok()) << ::flowsync::test::StatusText(fs_assert_ok_); \
  } while (false)
#define EXPECT_OK(expr)                                            \
  do {                                                             \
    const auto& fs_expect_ok_ = (expr);                            \
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

// Directory holding the shared corpus and fixtures (../shared of the repo).
std::string SharedDir();

}  // namespace flowsync::test
