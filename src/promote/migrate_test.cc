// The migration runner: file parsing and loading (no database), and every
// operation against each backend through the real MigrationHistory.
#include "promote/migrate.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "flowsync/file_system.h"
#include "flowsync/store.h"
#include "promote/migration_format.h"
#include "store/sql_connection.h"
#include "util/hash.h"
#include "util/test_util.h"
#include "util/time_format.h"

namespace flowsync {
namespace {

// Substring checks that print the whole text when they fail.
#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)
#define EXPECT_STARTS_WITH(text, prefix) EXPECT_EQ(std::string(text).rfind(prefix, 0), 0u) << (text)

// ---- Parsing ------------------------------------------------------------------

TEST(ParseMigrationFileTest, PlainFileIsAllUp) {
  auto f = ParseMigrationFile("20261122101500_add_users.sql", "CREATE TABLE u (x INTEGER);\n");
  ASSERT_OK(f);
  EXPECT_EQ(f->version, "20261122101500");
  EXPECT_EQ(f->name, "add_users");
  EXPECT_EQ(f->up_sql, "CREATE TABLE u (x INTEGER);\n");
  EXPECT_TRUE(f->up_transaction);
  EXPECT_FALSE(f->down_sql.has_value());
  EXPECT_FALSE(f->workflow_migration);
  EXPECT_EQ(f->checksum, MigrationChecksum("CREATE TABLE u (x INTEGER);\n"));
}

TEST(ParseMigrationFileTest, DbmateSectionsKeepTheFilesLineNumbers) {
  std::string text =
      "-- a header\n"
      "-- migrate:up\n"
      "CREATE TABLE u (x INTEGER);\n"
      "\n"
      "-- migrate:down transaction:false\n"
      "DROP TABLE u;\n";
  auto f = ParseMigrationFile("7_u.sql", text);
  ASSERT_OK(f);
  EXPECT_EQ(f->up_sql, "-- a header\n-- migrate:up\nCREATE TABLE u (x INTEGER);\n\n");
  EXPECT_TRUE(f->up_transaction);
  ASSERT_TRUE(f->down_sql.has_value());
  // Four empty lines stand for lines 1-4, so DROP is on line 6 as in the file.
  EXPECT_EQ(*f->down_sql, "\n\n\n\n-- migrate:down transaction:false\nDROP TABLE u;\n");
  EXPECT_FALSE(f->down_transaction);
}

TEST(ParseMigrationFileTest, TransactionFalseUpAndCrlfMarkers) {
  auto f = ParseMigrationFile("1_i.sql",
                              "--migrate:up   transaction:false\r\nCREATE INDEX i ON t (x);\r\n");
  ASSERT_OK(f);
  EXPECT_FALSE(f->up_transaction);
  EXPECT_FALSE(f->down_sql.has_value());
}

TEST(ParseMigrationFileTest, BomIsRemovedFromTheSqlButCountsNotInTheChecksum) {
  auto f = ParseMigrationFile("1_a.sql", "\xEF\xBB\xBFSELECT 1;\r\n");
  ASSERT_OK(f);
  EXPECT_EQ(f->up_sql, "SELECT 1;\r\n");
  EXPECT_EQ(f->checksum, MigrationChecksum("SELECT 1;\n"));
}

TEST(ParseMigrationFileTest, MarkersOutOfPlaceNameFileAndLine) {
  struct Case {
    std::string text, error;
  };
  for (const Case& c : std::vector<Case>{
           {"-- migrate:down\nDROP TABLE u;\n-- migrate:up\n",
            "1_a.sql:1: '-- migrate:down' before '-- migrate:up'"},
           {"-- migrate:up\nSELECT 1;\n-- migrate:up\n",
            "1_a.sql:3: a second '-- migrate:up' (the first is on line 1)"},
           {"-- migrate:up\n-- migrate:down\n\n-- migrate:down\n",
            "1_a.sql:4: a second '-- migrate:down' (the first is on line 2)"},
           {"-- migrate:up transaction:off\n",
            "1_a.sql:1: unknown option 'transaction:off' of '-- migrate:up' (the one option is "
            "transaction:false)"},
           {"SELECT 1;\n-- migrate:sideways\n",
            "1_a.sql:2: unknown marker '-- migrate:sideways' (expected '-- migrate:up' or "
            "'-- migrate:down')"},
           {"-- header\nSELECT 1;\n-- migrate:up\nSELECT 2;\n",
            "1_a.sql:2: SQL before '-- migrate:up' (line 3): a file with sections runs only what "
            "is in them"},
       }) {
    auto f = ParseMigrationFile("1_a.sql", c.text);
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(f.status().message(), c.error);
  }
}

TEST(ParseMigrationFileTest, MarkerMustBeAWholeLine) {
  auto f = ParseMigrationFile("1_a.sql", "SELECT 1; -- migrate:down\n  -- migrate:down\n");
  ASSERT_OK(f);
  EXPECT_FALSE(f->down_sql.has_value());
}

TEST(ParseMigrationFileTest, WorkflowMarker) {
  auto f = ParseMigrationFile("1_a.sql", std::string(kWorkflowMigrationMarker) + "\nSELECT 1;\n");
  ASSERT_OK(f);
  EXPECT_TRUE(f->workflow_migration);
}

TEST(CompareMigrationVersionsTest, NumericOrder) {
  EXPECT_LT(CompareMigrationVersions("2", "10"), 0);
  EXPECT_GT(CompareMigrationVersions("20261122101500", "9"), 0);
  EXPECT_EQ(CompareMigrationVersions("0010", "0010"), 0);
  EXPECT_LT(CompareMigrationVersions("010", "10"), 0);  // same number: ties by text
  EXPECT_LT(CompareMigrationVersions("9", "010"), 0);
  EXPECT_LT(CompareMigrationVersions("9999999999999", "10000000000000"), 0);
}

TEST(CompareMigrationVersionsTest, TimestampsWithACounterSortWithinTheirSecond) {
  // 14 digits and more compare as text, as dbmate compares them: a batch's
  // counter versions sit between their second and the next.
  EXPECT_LT(CompareMigrationVersions("20261122101459", "202611221014591"), 0);
  EXPECT_LT(CompareMigrationVersions("202611221014591", "202611221014592"), 0);
  EXPECT_LT(CompareMigrationVersions("202611221014599", "20261122101500"), 0);
  EXPECT_LT(CompareMigrationVersions("202611221014592017", "20261122101500"), 0);
  EXPECT_GT(CompareMigrationVersions("202611221014590010", "202611221014590009"), 0);
  EXPECT_LT(CompareMigrationVersions("1700000000000000000", "20261122101500"), 0);
  EXPECT_EQ(CompareMigrationVersions("202611221014591", "202611221014591"), 0);
  EXPECT_LT(CompareMigrationVersions("020261122101500", "20261122101500"), 0);
  EXPECT_GT(CompareMigrationVersions("020261122101501", "20261122101500"), 0);
}

// ---- Loading ------------------------------------------------------------------

class LoadMigrationsTest : public ::testing::Test {
 protected:
  MigrationFolder Load() {
    auto folder = LoadMigrations(RealFileSystem(), dir_.path() + "/m");
    EXPECT_OK(folder);
    return folder.ok() ? std::move(folder).value() : MigrationFolder{};
  }
  std::vector<std::string> Problems(const MigrationFolder& f) {
    std::vector<std::string> out;
    for (const Status& s : f.problems) out.push_back(s.message());
    return out;
  }
  std::vector<std::string> Files(const MigrationFolder& f) {
    std::vector<std::string> out;
    for (const MigrationFile& m : f.files) out.push_back(m.file);
    return out;
  }

  test::TempDir dir_;
};

TEST_F(LoadMigrationsTest, VersionOrderAndIgnoredFiles) {
  dir_.Write("m/10_c.sql", "SELECT 10;\n");
  dir_.Write("m/2_b.sql", "SELECT 2;\n");
  dir_.Write("m/0001_a.sql", "SELECT 1;\n");
  dir_.Write("m/2_b.json", "{}");
  dir_.Write("m/README.md", "# notes\n");
  dir_.Write("m/.5_hidden.sql", "broken");
  dir_.Write("m/sub/3_x.sql", "SELECT 3;\n");
  MigrationFolder f = Load();
  EXPECT_EQ(Files(f), (std::vector<std::string>{"0001_a.sql", "2_b.sql", "10_c.sql"}));
  EXPECT_EQ(Problems(f), std::vector<std::string>{});
  EXPECT_OK(f.ProblemsStatus());
}

TEST_F(LoadMigrationsTest, BadNamesAndDuplicateVersionsNameTheFiles) {
  dir_.Write("m/seed.sql", "SELECT 1;\n");
  dir_.Write("m/3_.sql", "SELECT 1;\n");
  dir_.Write("m/4_x.SQL", "SELECT 1;\n");
  dir_.Write("m/5_a.sql", "SELECT 1;\n");
  dir_.Write("m/05_b.sql", "SELECT 1;\n");
  dir_.Write("m/6_ok.sql", "SELECT 1;\n");
  MigrationFolder f = Load();
  EXPECT_EQ(Files(f), std::vector<std::string>{"6_ok.sql"});
  const std::string expect_name =
      ": not a migration file name: expected VERSION_NAME.sql, VERSION being digits (e.g. "
      "20261122101500_add_users.sql)";
  EXPECT_EQ(Problems(f), (std::vector<std::string>{
                             "3_.sql" + expect_name,
                             "4_x.SQL" + expect_name,
                             "seed.sql" + expect_name,
                             "version 05 is used by more than one file: 05_b.sql and 5_a.sql",
                         }));
  Status s = f.ProblemsStatus();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_STARTS_WITH(s.message(), ("4 problems in " + dir_.path() + "/m:\n  3_.sql: "));
}

TEST_F(LoadMigrationsTest, ParseErrorIsAProblem) {
  dir_.Write("m/1_a.sql", "-- migrate:down\n");
  MigrationFolder f = Load();
  EXPECT_EQ(Problems(f),
            std::vector<std::string>{"1_a.sql:1: '-- migrate:down' before '-- migrate:up'"});
  EXPECT_EQ(f.ProblemsStatus().message(), "1_a.sql:1: '-- migrate:down' before '-- migrate:up'");
}

TEST_F(LoadMigrationsTest, MissingFolderIsNotFound) {
  auto folder = LoadMigrations(RealFileSystem(), dir_.path() + "/nope");
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(folder.status().message(), "no migrations folder " + dir_.path() + "/nope");
}

TEST_F(LoadMigrationsTest, SidecarIsVerifiedAndSubstituted) {
  std::string content = "{\"name\": \"it's\"}";
  dir_.Write("m/1_wf.json", content);
  dir_.Write("m/1_wf.sql", "-- Sidecar: 1_wf.json sha256:" + Sha256Hex(content) +
                               "\nINSERT INTO t VALUES (:'flowsync_content');\n");
  MigrationFolder f = Load();
  ASSERT_EQ(Files(f), std::vector<std::string>{"1_wf.sql"});
  EXPECT_EQ(f.files[0].sidecar_file, "1_wf.json");
  EXPECT_EQ(f.files[0].UpSql(SqlDialect::kSqlite),
            "-- Sidecar: 1_wf.json sha256:" + Sha256Hex(content) +
                "\nINSERT INTO t VALUES ('{\"name\": \"it''s\"}');\n");
  EXPECT_CONTAINS(f.files[0].UpSql(SqlDialect::kPostgres), "($fs${\"name\": \"it's\"}$fs$)");
}

TEST_F(LoadMigrationsTest, SidecarMismatchOrMissingIsAProblem) {
  dir_.Write("m/1_wf.json", "changed");
  std::string header = "-- Sidecar: 1_wf.json sha256:" + Sha256Hex("original") + "\n";
  dir_.Write("m/1_wf.sql", header + "SELECT :'flowsync_content';\n");
  dir_.Write("m/2_wf.sql", "-- Sidecar: 2_wf.json sha256:00\nSELECT :'flowsync_content';\n");
  dir_.Write("m/3_tok.sql", "SELECT :'flowsync_content';\n");
  MigrationFolder f = Load();
  EXPECT_EQ(Files(f), std::vector<std::string>{});
  EXPECT_EQ(Problems(f),
            (std::vector<std::string>{
                "1_wf.sql: sidecar 1_wf.json does not match the checksum in the header (header "
                "sha256:" +
                    Sha256Hex("original") + ", file sha256:" + Sha256Hex("changed") + ")",
                "2_wf.sql: sidecar 2_wf.json is missing",
                "3_tok.sql: holds the sidecar token :'flowsync_content' but its header names no "
                "sidecar (\"-- Sidecar: NAME.json sha256:HEX\")",
            }));
}

std::vector<std::string> FilesOf(const std::vector<MigrationRef>& refs) {
  std::vector<std::string> out;
  for (const MigrationRef& r : refs) out.push_back(r.version + ":" + r.name + ":" + r.file);
  return out;
}

UpOptions AllowOutOfOrder() {
  UpOptions o;
  o.allow_out_of_order = true;
  return o;
}

UpOptions DryRun() {
  UpOptions o;
  o.dry_run = true;
  return o;
}

// ---- Against a database ----------------------------------------------------------

class MigrateTest : public ::testing::TestWithParam<test::TestBackend> {
 protected:
  void SetUp() override {
    std::string fresh = GetParam().fresh_url(tmp_.path());
    if (fresh.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
    auto url = ParseDatabaseUrl(fresh);
    ASSERT_OK(url);
    auto store = OpenStore(*url, {});
    ASSERT_OK(store);
    store_ = std::move(store).value();
    auto session = store_->OpenMigrationHistory();
    ASSERT_OK(session);
    session_ = std::move(session).value();
    dir_ = tmp_.path() + "/migrations";
    tmp_.Write("migrations/.keep", "");
  }

  void Write(const std::string& file, const std::string& text) {
    tmp_.Write("migrations/" + file, text);
  }

  MigrationFolder Load() {
    auto folder = LoadMigrations(RealFileSystem(), dir_);
    EXPECT_OK(folder);
    return folder.ok() ? std::move(folder).value() : MigrationFolder{};
  }

  Result<UpReport> Up(UpOptions options = {}) {
    options.applied_by = "tester@host";
    return MigrateUp(*session_, Load(), options);
  }

  Result<DownReport> Down(int count = 1) {
    DownOptions options;
    options.count = count;
    options.applied_by = "tester@host";
    return MigrateDown(*session_, Load(), options);
  }

  MigrationStatus State() {
    auto s = ReadMigrationStatus(*session_, Load());
    EXPECT_OK(s);
    return s.ok() ? std::move(s).value() : MigrationStatus{};
  }

  // "version:state" for every migration, in order.
  std::vector<std::string> States() {
    std::vector<std::string> out;
    for (const MigrationStatusRow& r : State().migrations) {
      out.push_back(r.version + ":" + std::string(MigrationStateName(r.state)));
    }
    return out;
  }

  std::vector<SqlRow> Rows(const std::string& sql) {
    auto rows = ConnectionOf(*store_).Query(sql);
    EXPECT_OK(rows);
    return rows.ok() ? std::move(rows).value() : std::vector<SqlRow>{};
  }

  // The first column of every row, as text ("NULL" for NULL).
  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    for (const SqlRow& r : Rows(sql)) out.push_back(r.at(0).value_or("NULL"));
    return out;
  }

  bool TableExists(const std::string& table) {
    return ConnectionOf(*store_).Query("SELECT * FROM " + table).ok();
  }

  // version:event of every event, in order.
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    for (const SqlRow& r :
         Rows("SELECT version, event FROM flowsync_migration_events ORDER BY id")) {
      out.push_back(r.at(0).value_or("") + ":" + r.at(1).value_or(""));
    }
    return out;
  }

  bool postgres() const { return session_->dialect() == SqlDialect::kPostgres; }

  test::TempDir tmp_;
  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<MigrationHistory> session_;
};

TEST_P(MigrateTest, AppliesInVersionOrderWithHistory) {
  Write("10_c.sql", "INSERT INTO t VALUES (10);\n");
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\n");
  Write("2_b.sql", "INSERT INTO t VALUES (2);\n");
  std::vector<std::string> seen;
  UpOptions options;
  options.on_applied = [&](const AppliedMigration& a) { seen.push_back(a.file); };
  auto r = Up(options);
  ASSERT_OK(r);
  EXPECT_OK(r->failure);
  EXPECT_EQ(seen, (std::vector<std::string>{"1_a.sql", "2_b.sql", "10_c.sql"}));
  EXPECT_EQ(r->applied.size(), 3u);
  EXPECT_EQ(r->applied[2].name, "c");
  EXPECT_EQ(r->pending.size(), 0u);
  EXPECT_FALSE(r->failed);
  EXPECT_EQ(Column("SELECT x FROM t ORDER BY x"), (std::vector<std::string>{"2", "10"}));
  auto history = Rows(
      "SELECT version, name, checksum, applied_by, installed_rank, status, execution_ms "
      "FROM flowsync_migrations ORDER BY installed_rank");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0], (SqlRow{"1", "a", MigrationChecksum("CREATE TABLE t (x INTEGER);\n"),
                                "tester@host", "1", "applied", history[0][6]}));
  EXPECT_EQ(history[1][0], "2");
  EXPECT_EQ(history[2][0], "10");
  EXPECT_EQ(history[2][4], "3");
  EXPECT_EQ(Events(), (std::vector<std::string>{"1:applied", "2:applied", "10:applied"}));
  MigrationStatus s = State();
  EXPECT_EQ(s.counts.applied, 3);
  EXPECT_EQ(s.counts.pending, 0);
  EXPECT_EQ(s.newest_applied, "10");
  EXPECT_TRUE(ParseTimestampMs(s.migrations[0].applied_at).has_value())
      << s.migrations[0].applied_at;

  auto again = Up();
  ASSERT_OK(again);
  EXPECT_TRUE(again->applied.empty());
}

TEST_P(MigrateTest, FilesGeneratedForTheOtherBackendAreRefusedBeforeAnyRuns) {
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\n");
  const char* other = postgres() ? "sqlite" : "postgres";
  Write("2_b.sql", std::string("-- Dialect: ") + other + "\n" +
                       std::string(kWorkflowMigrationMarker) + "\nINSERT INTO t VALUES (2);\n");
  auto r = Up();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(std::string("2_b.sql (written for ") + other + ")"),
            std::string::npos)
      << r.status().message();
  EXPECT_TRUE(Events().empty());
}

TEST_P(MigrateTest, FailingFileLeavesNoTraceAndStops) {
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\n");
  Write("2_b.sql",
        "INSERT INTO t VALUES (1);\n"
        "CREATE TABLE u (x INTEGER);\n"
        "INSERT INTO nosuch VALUES (1);\n");
  Write("3_c.sql", "CREATE TABLE v (x INTEGER);\n");
  auto r = Up();
  ASSERT_OK(r);
  ASSERT_FALSE(r->failure.ok());
  EXPECT_STARTS_WITH(r->failure.message(), "migration 2_b.sql failed: ");
  EXPECT_CONTAINS(r->failure.message(), "nosuch");
  EXPECT_CONTAINS(r->failure.message(), ("line 3"));
  ASSERT_EQ(r->applied.size(), 1u);
  EXPECT_EQ(r->applied[0].file, "1_a.sql");
  ASSERT_TRUE(r->failed);
  EXPECT_EQ(FilesOf({*r->failed}), std::vector<std::string>{"2:b:2_b.sql"});
  EXPECT_EQ(FilesOf(r->pending), std::vector<std::string>{"3:c:3_c.sql"});
  // Nothing of 2_b stayed, and 3_c never ran.
  EXPECT_EQ(Column("SELECT COUNT(*) FROM t"), std::vector<std::string>{"0"});
  EXPECT_FALSE(TableExists("u"));
  EXPECT_FALSE(TableExists("v"));
  EXPECT_EQ(Column("SELECT version FROM flowsync_migrations"), std::vector<std::string>{"1"});
  EXPECT_EQ(Events(), (std::vector<std::string>{"1:applied", "2:failed"}));
  auto detail = Column("SELECT detail FROM flowsync_migration_events WHERE event = 'failed'");
  ASSERT_EQ(detail.size(), 1u);
  EXPECT_EQ("migration 2_b.sql failed: " + detail[0], r->failure.message());

  MigrationStatus s = State();
  ASSERT_EQ(s.migrations.size(), 3u);
  EXPECT_EQ(s.migrations[1].state, MigrationState::kFailed);
  EXPECT_EQ(s.migrations[1].error, detail[0]);
  EXPECT_FALSE(s.migrations[1].applied_at.empty());
  EXPECT_EQ(s.migrations[2].state, MigrationState::kPending);
  EXPECT_EQ(s.counts.failed, 1);
  EXPECT_EQ(s.counts.pending, 1);

  // Fixed, the next run continues where this one stopped.
  Write("2_b.sql",
        "INSERT INTO t VALUES (1);\n"
        "CREATE TABLE u (x INTEGER);\n");
  auto again = Up();
  ASSERT_OK(again);
  EXPECT_OK(again->failure);
  ASSERT_EQ(again->applied.size(), 2u);
  EXPECT_EQ(again->applied[0].file, "2_b.sql");
  EXPECT_EQ(States(), (std::vector<std::string>{"1:applied", "2:applied", "3:applied"}));
  EXPECT_EQ(Events(),
            (std::vector<std::string>{"1:applied", "2:failed", "2:applied", "3:applied"}));
}

TEST_P(MigrateTest, ChangedFileRefusedUntilRepaired) {
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\n");
  Write("2_b.sql", "CREATE TABLE u (x INTEGER);\n");
  ASSERT_OK(Up());
  std::string old_sum = MigrationChecksum("CREATE TABLE t (x INTEGER);\n");
  Write("1_a.sql", "CREATE TABLE t (x INTEGER, y TEXT);\n");
  std::string new_sum = MigrationChecksum("CREATE TABLE t (x INTEGER, y TEXT);\n");
  Write("3_c.sql", "CREATE TABLE v (x INTEGER);\n");
  auto r = Up();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_EQ(r.status().message(),
            "1 migration file changed since it was applied:\n  1_a.sql: applied as " + old_sum +
                ", now " + new_sum +
                "\nrestore the applied text, or run `flowsync migrate repair` to accept the "
                "files as they are now");
  EXPECT_FALSE(TableExists("v"));
  EXPECT_EQ(States(), (std::vector<std::string>{"1:changed", "2:applied", "3:pending"}));
  Status v = ValidateMigrations(*session_, Load(), {});
  EXPECT_EQ(v.code(), StatusCode::kConflict);
  EXPECT_EQ(v.message(), "1_a.sql: changed since it was applied (applied as " + old_sum + ", now " +
                             new_sum + ")");

  // Repair refuses versions that are not changed.
  auto bad = RepairMigrations(*session_, Load(), {"2"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "2_b.sql is applied, not changed: nothing to repair");
  bad = RepairMigrations(*session_, Load(), {"99"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bad.status().message(), "no migration has version 99");

  auto repaired = RepairMigrations(*session_, Load(), {"1"}, "fixer@host");
  ASSERT_OK(repaired);
  ASSERT_EQ(repaired->size(), 1u);
  EXPECT_EQ((*repaired)[0].file, "1_a.sql");
  EXPECT_EQ((*repaired)[0].old_checksum, old_sum);
  EXPECT_EQ((*repaired)[0].new_checksum, new_sum);
  EXPECT_EQ(Column("SELECT detail FROM flowsync_migration_events WHERE event = 'repaired'"),
            std::vector<std::string>{old_sum + " -> " + new_sum});
  EXPECT_EQ(States(), (std::vector<std::string>{"1:applied", "2:applied", "3:pending"}));
  auto up = Up();
  ASSERT_OK(up);
  ASSERT_EQ(up->applied.size(), 1u);
  EXPECT_EQ(up->applied[0].file, "3_c.sql");
  // Nothing left to repair.
  auto none = RepairMigrations(*session_, Load(), {});
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(MigrateTest, CrlfAndBomAreNoChange) {
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\nINSERT INTO t VALUES (1);\n");
  ASSERT_OK(Up());
  Write("1_a.sql",
        "\xEF\xBB\xBF"
        "CREATE TABLE t (x INTEGER);\r\nINSERT INTO t VALUES (1);\r\n");
  EXPECT_EQ(States(), std::vector<std::string>{"1:applied"});
  EXPECT_OK(ValidateMigrations(*session_, Load(), {}));
}

TEST_P(MigrateTest, OutOfOrderRefusedUnlessAllowed) {
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\n");
  Write("3_c.sql", "INSERT INTO t VALUES (3);\n");
  ASSERT_OK(Up());
  Write("2_b.sql", "INSERT INTO t VALUES (2);\n");
  Write("4_d.sql", "INSERT INTO t VALUES (4);\n");
  auto r = Up();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_EQ(r.status().message(),
            "1 pending migration is older than the newest applied version 3:\n  2_b.sql\n"
            "they were probably merged from another branch; run with --allow-out-of-order to "
            "apply them anyway");
  EXPECT_EQ(Column("SELECT COUNT(*) FROM t"), std::vector<std::string>{"1"});  // 4 not applied
  MigrationStatus s = State();
  EXPECT_TRUE(s.migrations[1].out_of_order);
  EXPECT_FALSE(s.migrations[3].out_of_order);
  Status v = ValidateMigrations(*session_, Load(), {});
  EXPECT_EQ(v.code(), StatusCode::kConflict);
  EXPECT_EQ(v.message(),
            "2_b.sql: pending but older than the newest applied version 3 (--allow-out-of-order)");
  EXPECT_OK(ValidateMigrations(*session_, Load(), {.allow_out_of_order = true}));

  UpOptions allow;
  allow.allow_out_of_order = true;
  auto ok = Up(allow);
  ASSERT_OK(ok);
  ASSERT_EQ(ok->applied.size(), 2u);
  EXPECT_EQ(ok->applied[0].file, "2_b.sql");
  EXPECT_EQ(ok->applied[1].file, "4_d.sql");
  EXPECT_EQ(Column("SELECT version FROM flowsync_migrations ORDER BY installed_rank"),
            (std::vector<std::string>{"1", "3", "2", "4"}));
}

TEST_P(MigrateTest, TargetVersionStopsThere) {
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\n");
  Write("2_b.sql", "INSERT INTO t VALUES (2);\n");
  Write("3_c.sql", "INSERT INTO t VALUES (3);\n");
  UpOptions to;
  to.target = "2";
  auto r = Up(to);
  ASSERT_OK(r);
  EXPECT_EQ(r->applied.size(), 2u);
  EXPECT_EQ(FilesOf(r->pending), std::vector<std::string>{"3:c:3_c.sql"});
  EXPECT_EQ(States(), (std::vector<std::string>{"1:applied", "2:applied", "3:pending"}));
}

TEST_P(MigrateTest, DbmateSectionsUpAndDown) {
  Write("1_a.sql",
        "-- migrate:up\n"
        "CREATE TABLE t (x INTEGER);\n"
        "-- migrate:down\n"
        "DROP TABLE t;\n");
  auto r = Up();
  ASSERT_OK(r);
  EXPECT_OK(r->failure);
  EXPECT_TRUE(TableExists("t"));  // the down section did not run
  std::vector<std::string> seen;
  DownOptions options;
  options.applied_by = "tester@host";
  options.on_reverted = [&](const RevertedMigration& m) { seen.push_back(m.file); };
  auto d = MigrateDown(*session_, Load(), options);
  ASSERT_OK(d);
  EXPECT_OK(d->failure);
  EXPECT_EQ(seen, std::vector<std::string>{"1_a.sql"});
  ASSERT_EQ(d->reverted.size(), 1u);
  EXPECT_FALSE(d->reverted[0].builtin);
  EXPECT_FALSE(TableExists("t"));
  EXPECT_EQ(Column("SELECT COUNT(*) FROM flowsync_migrations"), std::vector<std::string>{"0"});
  EXPECT_EQ(Events(), (std::vector<std::string>{"1:applied", "1:reverted"}));
  EXPECT_EQ(Column("SELECT detail FROM flowsync_migration_events WHERE event = 'reverted'"),
            std::vector<std::string>{"down section"});
  EXPECT_EQ(States(), std::vector<std::string>{"1:pending"});
  // Nothing applied: nothing to revert.
  auto none = Down();
  ASSERT_OK(none);
  EXPECT_TRUE(none->reverted.empty());
}

TEST_P(MigrateTest, TransactionFalseRunsOutsideATransaction) {
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\n");
  std::string index =
      postgres() ? "CREATE INDEX CONCURRENTLY t_x ON t (x);\n" : "CREATE INDEX t_x ON t (x);\n";
  Write("2_i.sql", "-- migrate:up transaction:false\n" + index +
                       "-- migrate:down transaction:false\nDROP INDEX t_x;\n");
  auto r = Up();
  ASSERT_OK(r);
  EXPECT_OK(r->failure);
  EXPECT_EQ(r->applied.size(), 2u);
  EXPECT_FALSE(r->applied[1].transaction);
  EXPECT_EQ(States(), (std::vector<std::string>{"1:applied", "2:applied"}));
  auto d = Down();
  ASSERT_OK(d);
  EXPECT_OK(d->failure);
  EXPECT_EQ(States(), (std::vector<std::string>{"1:applied", "2:pending"}));

  // A failure part-way leaves what ran, and says so.
  Write("3_x.sql",
        "-- migrate:up transaction:false\n"
        "CREATE TABLE u (x INTEGER);\n"
        "INSERT INTO nosuch VALUES (1);\n");
  UpOptions all;
  all.allow_out_of_order = true;
  auto f = Up(all);
  ASSERT_OK(f);
  ASSERT_FALSE(f->failure.ok());
  EXPECT_STARTS_WITH(f->failure.message(), "migration 3_x.sql failed: ");
  EXPECT_CONTAINS(f->failure.message(),
                  (" (1 statement before it ran outside a transaction (transaction:false) "
                   "and stay applied)"));
  EXPECT_TRUE(TableExists("u"));
  EXPECT_EQ(States(), (std::vector<std::string>{"1:applied", "2:applied", "3:failed"}));
}

TEST_P(MigrateTest, DownGoesInReverseApplyOrder) {
  Write("1_a.sql", "SELECT 1;\n-- migrate:down\nSELECT 1;\n");
  Write("1_a.sql", "-- migrate:up\nCREATE TABLE a (x INTEGER);\n-- migrate:down\nDROP TABLE a;\n");
  Write("3_c.sql", "-- migrate:up\nCREATE TABLE c (x INTEGER);\n-- migrate:down\nDROP TABLE c;\n");
  ASSERT_OK(Up());
  Write("2_b.sql", "-- migrate:up\nCREATE TABLE b (x INTEGER);\n-- migrate:down\nDROP TABLE b;\n");
  ASSERT_OK(Up(AllowOutOfOrder()));
  // Applied 1, 3, 2: down takes 2 first (last applied), then 3.
  auto d = Down(2);
  ASSERT_OK(d);
  EXPECT_OK(d->failure);
  ASSERT_EQ(d->reverted.size(), 2u);
  EXPECT_EQ(d->reverted[0].file, "2_b.sql");
  EXPECT_EQ(d->reverted[1].file, "3_c.sql");
  EXPECT_TRUE(TableExists("a"));
  EXPECT_FALSE(TableExists("b"));
  EXPECT_FALSE(TableExists("c"));
  EXPECT_EQ(States(), (std::vector<std::string>{"1:applied", "2:pending", "3:pending"}));
}

TEST_P(MigrateTest, DownChecksEveryTargetFirst) {
  Write("1_a.sql", "CREATE TABLE a (x INTEGER);\n");
  Write("2_b.sql", "-- migrate:up\nCREATE TABLE b (x INTEGER);\n-- migrate:down\nDROP TABLE b;\n");
  ASSERT_OK(Up());
  auto d = Down(2);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(), "1_a.sql has no down section");
  EXPECT_TRUE(TableExists("b"));  // 2 was not reverted either
  d = Down(3);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kConflict);
  EXPECT_EQ(d.status().message(),
            "cannot revert 3 migrations: only 2 are applied; nothing reverted");
  d = Down(0);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  // A changed file's down is not trusted.
  Write("2_b.sql",
        "-- migrate:up\nCREATE TABLE b (x INTEGER);\n-- migrate:down\nDROP TABLE b;\n\n");
  d = Down();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kConflict);
  EXPECT_STARTS_WITH(d.status().message(), "2_b.sql changed since it was applied");
}

TEST_P(MigrateTest, FailedDownKeepsTheMigrationApplied) {
  Write("1_a.sql",
        "-- migrate:up\nCREATE TABLE a (x INTEGER);\n-- migrate:down\nDROP TABLE nosuch;\n");
  ASSERT_OK(Up());
  auto d = Down();
  ASSERT_OK(d);
  ASSERT_FALSE(d->failure.ok());
  EXPECT_STARTS_WITH(d->failure.message(), ("down of migration 1_a.sql failed: "));
  ASSERT_TRUE(d->failed);
  EXPECT_EQ(FilesOf({*d->failed}), std::vector<std::string>{"1:a:1_a.sql"});
  EXPECT_TRUE(d->reverted.empty());
  EXPECT_CONTAINS(d->failure.message(), "line 4");
  EXPECT_TRUE(TableExists("a"));
  EXPECT_EQ(States(), std::vector<std::string>{"1:applied"});
  EXPECT_EQ(Events(), (std::vector<std::string>{"1:applied", "1:failed"}));
}

// A generated file's claim, as workflow_sql writes it, for `key`.
std::string ClaimSql(const std::string& key) {
  return "INSERT INTO migration_metadata (migration_file, project, source, workflow_id, "
         "content_hash, source_updated_at, action, created_at, synced_at) VALUES ('" +
         key +
         "', 'default', 'dev', '00000000-0000-5000-8000-000000000001', 'h', "
         "'2026-11-22T10:15:00.000Z', 'skipped', '2026-11-22T10:15:00.000Z', "
         "'2026-11-22T10:15:00.000Z');\n";
}

TEST_P(MigrateTest, WorkflowMigrationWithoutDownSectionUsesTheBuiltInDown) {
  // Regression: the built-in down of a renamed file looked for the new name
  // in migration_metadata, found nothing, and still recorded a revert.
  Write("1_renamed.sql", "-- Migration: 1_generated.sql\n" + std::string(kWorkflowMigrationMarker) +
                             "\n" + ClaimSql("1_generated.sql"));
  ASSERT_OK(Up());
  auto d = Down();
  ASSERT_OK(d);
  EXPECT_OK(d->failure);
  ASSERT_EQ(d->reverted.size(), 1u);
  EXPECT_TRUE(d->reverted[0].builtin);
  EXPECT_EQ(Column("SELECT detail FROM flowsync_migration_events WHERE event = 'reverted'"),
            std::vector<std::string>{"built-in workflow down"});
  EXPECT_EQ(Column("SELECT count(*) FROM migration_metadata"), std::vector<std::string>{"0"});
  EXPECT_EQ(States(), std::vector<std::string>{"1:pending"});
}

TEST_P(MigrateTest, WorkflowMigrationWithoutItsClaimIsNotReverted) {
  Write("1_wf.sql", std::string(kWorkflowMigrationMarker) + "\nSELECT 1;\n");
  ASSERT_OK(Up());
  auto d = Down();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_CONTAINS(d.status().message(), "migration_metadata holds no row for 1_wf.sql");
  EXPECT_EQ(States(), std::vector<std::string>{"1:applied"});
}

TEST_P(MigrateTest, MigrationMetadataRowSelectsTheBuiltInDownEvenWithTheFileGone) {
  // No marker, but the file recorded itself in migration_metadata, as
  // generated migrations do.
  Write("1_wf.sql",
        "INSERT INTO migration_metadata (migration_file, project, source, workflow_id, "
        "content_hash, source_updated_at, action, created_at, synced_at) VALUES ('1_wf.sql', "
        "'default', 'dev', '00000000-0000-5000-8000-000000000001', 'h', "
        "'2026-11-22T10:15:00.000Z', 'created', '2026-11-22T10:15:00.000Z', "
        "'2026-11-22T10:15:00.000Z');\n");
  Write("2_plain.sql", "SELECT 1;\n");
  ASSERT_OK(Up());
  tmp_.Remove("migrations/1_wf.sql");
  tmp_.Remove("migrations/2_plain.sql");
  auto plain = Down();
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().message(), "2_plain.sql is no longer in " + dir_ +
                                          " and is no workflow migration: there is no down to run");
  Write("2_plain.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
  EXPECT_EQ(States(), (std::vector<std::string>{"1:missing", "2:changed"}));
  auto d = Down();  // the changed file's down is not trusted until repaired
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kConflict);
  ASSERT_OK(RepairMigrations(*session_, Load(), {}));
  auto two = Down(2);
  ASSERT_OK(two);
  EXPECT_OK(two->failure);
  ASSERT_EQ(two->reverted.size(), 2u);
  EXPECT_FALSE(two->reverted[0].builtin);
  EXPECT_EQ(two->reverted[1].file, "1_wf.sql");
  EXPECT_TRUE(two->reverted[1].builtin);
  EXPECT_EQ(Column("SELECT COUNT(*) FROM migration_metadata"), std::vector<std::string>{"0"});
  EXPECT_EQ(States(), std::vector<std::string>{"2:pending"});
}

TEST_P(MigrateTest, BaselineMarksWithoutRunning) {
  // 1 and 2 would fail if they ran: the database already holds t.
  ASSERT_OK(session_->ExecScript("CREATE TABLE t (x INTEGER);"));
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\n");
  Write("2_b.sql", "CREATE TABLE t (y INTEGER);\n");
  Write("3_c.sql", "-- migrate:up\nINSERT INTO t VALUES (3);\n-- migrate:down\nDELETE FROM t;\n");
  auto b = BaselineMigrations(*session_, Load(), "2", "tester@host");
  ASSERT_OK(b);
  EXPECT_EQ(FilesOf(*b), (std::vector<std::string>{"1:a:1_a.sql", "2:b:2_b.sql"}));
  EXPECT_EQ(States(), (std::vector<std::string>{"1:baseline", "2:baseline", "3:pending"}));
  EXPECT_EQ(Column("SELECT status FROM flowsync_migrations ORDER BY installed_rank"),
            (std::vector<std::string>{"baseline", "baseline"}));
  EXPECT_EQ(Events(), (std::vector<std::string>{"1:baseline", "2:baseline"}));
  auto again = BaselineMigrations(*session_, Load(), "2", "tester@host");
  ASSERT_OK(again);
  EXPECT_TRUE(again->empty());
  auto bad = BaselineMigrations(*session_, Load(), "v2", "tester@host");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "baseline version 'v2' is not all digits");

  auto up = Up();
  ASSERT_OK(up);
  EXPECT_OK(up->failure);
  ASSERT_EQ(up->applied.size(), 1u);
  EXPECT_EQ(up->applied[0].file, "3_c.sql");
  ASSERT_OK(Down());
  auto d = Down();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kConflict);
  EXPECT_EQ(d.status().message(),
            "2_b.sql is a baseline, nothing to revert (it was marked applied, never run)");
}

TEST_P(MigrateTest, StatusShowsEveryState) {
  Write("1_applied.sql", "CREATE TABLE t (x INTEGER);\n");
  Write("2_changed.sql", "INSERT INTO t VALUES (2);\n");
  Write("3_missing.sql", "INSERT INTO t VALUES (3);\n");
  ASSERT_OK(Up());
  ASSERT_OK(BaselineMigrations(*session_, Load(), "0", "x"));
  Write("0_base.sql", "SELECT 1;\n");  // older than all: baseline it
  ASSERT_OK(BaselineMigrations(*session_, Load(), "0", "x"));
  Write("2_changed.sql", "INSERT INTO t VALUES (22);\n");
  tmp_.Remove("migrations/3_missing.sql");
  Write("4_failed.sql", "INSERT INTO nosuch VALUES (1);\n");
  Write("5_pending.sql", "SELECT 1;\n");
  // Up refuses (changed); record a failure of 4 by applying it alone.
  {
    test::TempDir other;
    other.Write("4_failed.sql", "INSERT INTO nosuch VALUES (1);\n");
    auto folder = LoadMigrations(RealFileSystem(), other.path());
    ASSERT_OK(folder);
    auto r = MigrateUp(*session_, *folder, AllowOutOfOrder());
    ASSERT_OK(r);
    EXPECT_FALSE(r->failure.ok());
    // Applied, and not in that folder.
    EXPECT_EQ(FilesOf(r->missing),
              (std::vector<std::string>{"0:base:0_base.sql", "1:applied:1_applied.sql",
                                        "2:changed:2_changed.sql", "3:missing:3_missing.sql"}));
  }
  EXPECT_EQ(States(), (std::vector<std::string>{"0:baseline", "1:applied", "2:changed", "3:missing",
                                                "4:failed", "5:pending"}));
  MigrationStatus s = State();
  EXPECT_EQ(s.counts.applied, 1);
  EXPECT_EQ(s.counts.baseline, 1);
  EXPECT_EQ(s.counts.changed, 1);
  EXPECT_EQ(s.counts.missing, 1);
  EXPECT_EQ(s.counts.failed, 1);
  EXPECT_EQ(s.counts.pending, 1);
  EXPECT_EQ(s.migrations[3].file, "3_missing.sql");
  EXPECT_EQ(s.migrations[3].checksum, MigrationChecksum("INSERT INTO t VALUES (3);\n"));
  EXPECT_CONTAINS(s.migrations[4].error, ("nosuch"));
  EXPECT_EQ(s.migrations[1].applied_by.empty(), false);

  Status v = ValidateMigrations(*session_, Load(), {});
  EXPECT_EQ(v.code(), StatusCode::kConflict);
  EXPECT_STARTS_WITH(v.message(), ("2 problems:\n  2_changed.sql: changed since it was "
                                   "applied (applied as "));
  EXPECT_CONTAINS(v.message(), "\n  3_missing.sql: applied on ");
}

TEST_P(MigrateTest, ValidateReportsBrokenFilesAndWritesNothing) {
  Write("1_a.sql", "CREATE TABLE t (x INTEGER);\n");
  ASSERT_OK(Up());
  Write("2_b.sql", "-- migrate:up bogus\n");
  Status v = ValidateMigrations(*session_, Load(), {});
  EXPECT_EQ(v.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(v.message(),
            "2_b.sql:1: unknown option 'bogus' of '-- migrate:up' (the one option is "
            "transaction:false)");
  // Every operation refuses a broken folder before touching the database.
  auto up = Up();
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().message(), v.message());
  EXPECT_EQ(Events(), std::vector<std::string>{"1:applied"});
}

// Regression: `migrate status` on a fresh database failed ("holds no
// flowsync data yet") although `migrate up` works there.
TEST_P(MigrateTest, AFreshDatabaseShowsEveryFilePendingAsAnEmptyHistoryDoes) {
  Write("2_b.sql", "SELECT 2;\n");
  Write("1_a.sql", "SELECT 1;\n");
  // A database nothing was synced or migrated to (SQLite: an empty file, as
  // `touch` leaves it; PostgreSQL: a schema that does not exist), opened
  // without creating it: NotFound, and nothing is created.
  const std::string fresh = GetParam().fresh_url(tmp_.path());  // PostgreSQL: a new schema
  tmp_.Write("empty.db", "");
  auto url = ParseDatabaseUrl(postgres() ? fresh : "sqlite:" + tmp_.path() + "/empty.db");
  ASSERT_OK(url);
  StoreOptions options;
  options.create_if_missing = false;
  auto opened = OpenStore(*url, options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kNotFound) << opened.status().message();
  EXPECT_CONTAINS(opened.status().message(), "holds no flowsync data yet");
  if (postgres()) {
    const std::string schema = fresh.substr(fresh.rfind("schema=") + 7);
    EXPECT_EQ(Column("SELECT count(*) FROM information_schema.schemata WHERE schema_name = '" +
                     schema + "'"),
              std::vector<std::string>{"0"});
  } else {
    EXPECT_EQ(tmp_.Read("empty.db"), "");
  }

  // Its status is that of an empty history: every file pending.
  MigrationStatus status = FreshMigrationStatus(Load());
  std::vector<std::string> states;
  for (const MigrationStatusRow& r : status.migrations) {
    states.push_back(r.file + ":" + std::string(MigrationStateName(r.state)));
  }
  EXPECT_EQ(states, (std::vector<std::string>{"1_a.sql:pending", "2_b.sql:pending"}));
  EXPECT_EQ(status.counts.pending, 2);
  EXPECT_EQ(status.newest_applied, "");
  MigrationStatus empty = State();  // this test's own database: created, nothing applied
  ASSERT_EQ(empty.migrations.size(), status.migrations.size());
  for (size_t i = 0; i < status.migrations.size(); ++i) {
    EXPECT_EQ(status.migrations[i].checksum, empty.migrations[i].checksum);
    EXPECT_EQ(status.migrations[i].state, empty.migrations[i].state);
  }
  MigrationValidation valid = ValidateMigrationStatus(Load(), status, {});
  EXPECT_EQ(valid.code, StatusCode::kOk);
  EXPECT_OK(valid.ToStatus());
}

TEST_P(MigrateTest, DryRunPrintsSqlAndWritesNothing) {
  std::string content = "{\"a\": 1}";
  Write("1_wf.json", content);
  Write("1_wf.sql",
        "-- Sidecar: 1_wf.json sha256:" + Sha256Hex(content) +
            "\nCREATE TABLE t (x TEXT);\nINSERT INTO t VALUES (:'flowsync_content');\n");
  Write("2_b.sql", "-- migrate:up transaction:false\nSELECT 2;\n");
  auto r = Up(DryRun());
  ASSERT_OK(r);
  EXPECT_TRUE(r->dry_run);
  ASSERT_EQ(r->applied.size(), 2u);
  EXPECT_EQ(r->pending.size(), 0u);  // none left, had it run
  EXPECT_EQ(r->applied[0].file, "1_wf.sql");
  EXPECT_EQ(r->applied[0].sql, Load().files[0].UpSql(session_->dialect()));
  EXPECT_CONTAINS(r->applied[0].sql,
                  (postgres() ? "VALUES ($fs${\"a\": 1}$fs$)" : "VALUES ('{\"a\": 1}')"));
  EXPECT_FALSE(r->applied[1].transaction);
  EXPECT_FALSE(TableExists("t"));
  EXPECT_EQ(Column("SELECT COUNT(*) FROM flowsync_migrations"), std::vector<std::string>{"0"});
  EXPECT_EQ(Events(), std::vector<std::string>{});
  // ... and then applies as planned.
  auto real = Up();
  ASSERT_OK(real);
  EXPECT_OK(real->failure);
  EXPECT_EQ(Column("SELECT x FROM t"), std::vector<std::string>{content});
}

INSTANTIATE_TEST_SUITE_P(Backends, MigrateTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
