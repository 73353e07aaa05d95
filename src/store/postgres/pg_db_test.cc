#include "store/postgres/pg_db.h"

#include <gtest/gtest.h>

#include <string>

#include "util/test_util.h"

namespace flowsync::postgres {
namespace {

// The server's URL without flowsync's schema= parameter, or empty.
std::string ServerUrl() {
  for (const test::TestBackend& b : test::TestBackends()) {
    if (b.name != "postgres") continue;
    std::string url = b.fresh_url("");
    if (url.empty()) return url;
    return url.substr(0, url.rfind("schema=") - 1);
  }
  return "";
}

// A connection the server ended is made again on the same PgConn (as the
// writer lock's connection is after a drop): the new session works, and
// the old handle is released (the sanitizer build reports it otherwise).
TEST(PgConnTest, ConnectAgainAfterTheServerEndedTheSession) {
  std::string url = ServerUrl();
  if (url.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
  PgConn conn;
  ASSERT_TRUE(conn.Connect(url).ok());
  ASSERT_TRUE(conn.connected());
  EXPECT_FALSE(conn.ExecScript("SELECT pg_terminate_backend(pg_backend_pid())").ok());
  EXPECT_FALSE(conn.Exec("SELECT 1").ok());
  EXPECT_FALSE(conn.connected());

  ASSERT_TRUE(conn.Connect(url).ok());
  EXPECT_TRUE(conn.connected());
  auto r = conn.Exec("SELECT 41 + 1");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->Text(0, 0), "42");
  // And once more while connected: the live session is closed first.
  ASSERT_TRUE(conn.Connect(url).ok());
  EXPECT_TRUE(conn.Exec("SELECT 1").ok());
}

}  // namespace
}  // namespace flowsync::postgres
