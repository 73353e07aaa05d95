// Databases written by an earlier flowsync are upgraded in place when
// opened, keeping every row.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "flowsync/store.h"
#include "sql/dialect.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"
#include "store/sql_connection.h"
#include "store/sqlite/schema.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

// Rows of every kind that references a sync run, at schema 1.
constexpr char kVersion1Rows[] = R"sql(
INSERT INTO sync_runs (id, project, mode, root, started_at, finished_at, added)
  VALUES (7, 'default', 'full', '/tree', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', 1);
INSERT INTO workflows (id, project, path, format, content_hash, name, version, created_at,
                       updated_at, content)
  VALUES ('0b7cbf7e-4d5c-5a3a-9d0e-5f6a9a1f2b3c', 'default', 'a.json', 'n8n', 'h2', 'A', 2,
          '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{"v":2}');
INSERT INTO workflow_versions (workflow_id, project, version, path, name, content, content_hash,
                               metadata, documentation, valid_from, replaced_at, run_id)
  VALUES ('0b7cbf7e-4d5c-5a3a-9d0e-5f6a9a1f2b3c', 'default', 1, 'a.json', 'A', '{"v":1}', 'h1',
          '{}', '', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 7);
INSERT INTO workflow_sync_log (project, run_id, event, workflow_id, path, created_at)
  VALUES ('default', 7, 'added', '0b7cbf7e-4d5c-5a3a-9d0e-5f6a9a1f2b3c', 'a.json',
          '2026-01-01T00:00:00.000Z');
)sql";

void ExpectUpgraded(Store& store) {
  EXPECT_EQ(store.SchemaVersion(), 2);
  auto run = store.catalog().LastRun();
  ASSERT_OK(run);
  ASSERT_TRUE(run->has_value());
  EXPECT_EQ((*run)->id, 7);
  EXPECT_EQ((*run)->mode, "full");
  auto wf = store.catalog().FindWorkflow("a.json");
  ASSERT_OK(wf);
  ASSERT_TRUE(wf->has_value());
  EXPECT_EQ((*wf)->stored_versions, 1);
  auto log = store.catalog().ReadLog(0, std::nullopt);
  ASSERT_OK(log);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].run_id, 7);
  // What schema 2 adds works.
  auto session = store.OpenMigrationHistory();
  ASSERT_OK(session);
  ASSERT_OK((*session)->Begin());
  SqlConnection& conn = ConnectionOf(store);
  EXPECT_OK(conn.Query(
      "INSERT INTO sync_runs (project, mode, root, started_at) VALUES ('default', 'migration', "
      "'1_a.sql', " +
      std::string(SqlNow(conn.dialect())) + ")"));
  auto count = conn.Query("SELECT count(*) FROM flowsync_migrations");
  ASSERT_OK(count);
  EXPECT_EQ((*count)[0][0], std::optional<std::string>("0"));
  (*session)->Rollback();
}

TEST(SchemaUpgrade, SqliteVersion1KeepsItsRows) {
  test::TempDir dir;
  std::string path = dir.path() + "/v1.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string v1(sqlite::SchemaStep(0));
  ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, kVersion1Rows, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);

  auto store = OpenStore(*ParseDatabaseUrl(path), {});
  ASSERT_OK(store);
  ExpectUpgraded(**store);
  // The rebuilt table is still the one the others refer to.
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM sync_runs WHERE id = 7",
                         nullptr, nullptr, nullptr),
            SQLITE_CONSTRAINT);
  sqlite3_close(db);
}

TEST(SchemaUpgrade, PostgresVersion1KeepsItsRows) {
  std::string url;
  for (const test::TestBackend& b : test::TestBackends()) {
    if (b.name == "postgres") url = b.fresh_url("");
  }
  if (url.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
  size_t at = url.rfind("schema=");
  std::string schema = url.substr(at + 7);
  std::string server = url.substr(0, at - 1);
  postgres::PgConn conn;
  ASSERT_OK(conn.Connect(server));
  ASSERT_OK(conn.ExecScript("CREATE SCHEMA " + schema + "; SET search_path TO " + schema +
                            "; SET flowsync.project = 'default'"));
  ASSERT_OK(conn.ExecScript(postgres::SchemaStep(0)));
  ASSERT_OK(conn.ExecScript(kVersion1Rows));
  auto store = OpenStore(*ParseDatabaseUrl(url), {});
  ASSERT_OK(store);
  ExpectUpgraded(**store);
}

}  // namespace
}  // namespace flowsync
