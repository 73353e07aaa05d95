// The database schema on both backends.
//
// What a database looks like at each schema version is pinned, per backend,
// by a golden file: testdata/schema_<backend>_v<N>.golden. The dump is
// structural. On SQLite it is the SQL that sqlite_master keeps for each
// object (that text is SQLite's schema), with comments dropped and
// whitespace normalised; on PostgreSQL it is what the catalogs say: types,
// columns, constraints, indexes, sequences, row-level security, policies,
// triggers, functions. A fresh database matches the newest golden; a
// database left at an older version by an earlier flowsync matches it too
// once a store has upgraded it, and keeps its rows.
//
// After a deliberate change of the schema (a new version: schema.h says how),
// write the newest version's goldens with
//   FLOWSYNC_UPDATE_GOLDEN=1 build-test/flowsync_tests --gtest_filter='*SchemaTest*'
// (with FLOWSYNC_PG_DIR set, for both backends), run the tests again without
// it, and review the diff of testdata/. The goldens of earlier versions are
// only written when missing.

#include "store/schema.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "flowsync/store.h"
#include "sql/dialect.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_db.h"
#include "store/sql_connection.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_db.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

// ---- The dump ---------------------------------------------------------------

// SQL text as tokens: blanks and comments dropped; strings, quoted
// identifiers and words kept whole; any other character a token of its own.
std::vector<std::string> SqlTokens(std::string_view sql) {
  std::vector<std::string> tokens;
  size_t i = 0;
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < sql.size()) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (sql.substr(i, 2) == "--") {
      i = std::min(sql.find('\n', i), sql.size());
      continue;
    }
    if (sql.substr(i, 2) == "/*") {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
      continue;
    }
    size_t start = i++;
    if (c == '\'' || c == '"' || c == '`') {
      // A doubled quote stays inside.
      while (i < sql.size()) {
        if (sql[i++] != c) continue;
        if (i < sql.size() && sql[i] == c) {
          ++i;
          continue;
        }
        break;
      }
    } else if (is_word(c)) {
      while (i < sql.size() && is_word(sql[i])) ++i;
    }
    tokens.emplace_back(sql.substr(start, i - start));
  }
  return tokens;
}

// `sql` with comments dropped and whitespace normalised: one blank between
// tokens, none after "(" or a sign or before ")" and ",", and the entries of
// a CREATE TABLE's column list one per line.
std::string NormalizedSql(std::string_view sql) {
  std::vector<std::string> tokens = SqlTokens(sql);
  bool table = tokens.size() > 1 && tokens[0] == "CREATE" && tokens[1] == "TABLE";
  std::string out;
  int depth = 0;
  bool line_start = true;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    // (Both arms string_view: `cond ? string : ""` would be a temporary.)
    std::string_view prev = i > 0 ? std::string_view(tokens[i - 1]) : std::string_view();
    bool after_sign = prev == "-" && i > 1 && (tokens[i - 2] == "(" || tokens[i - 2] == ",");
    if (t == ")") {
      --depth;
      if (table && depth == 0) {
        out += '\n';
        line_start = true;
      }
    } else if (!line_start && prev != "(" && t != "," && !after_sign) {
      out += ' ';
    }
    out += t;
    line_start = false;
    if (t == "(") ++depth;
    if (table && depth == 1 && (t == "(" || t == ",")) {
      out += "\n  ";
      line_start = true;
    }
  }
  return out;
}

// `text` on one line: each run of blanks and line breaks one blank. For the
// expressions PostgreSQL prints over several lines.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Result<std::string> DumpSqlite(SqlConnection& conn) {
  std::string out;
  FS_TRY_ASSIGN(auto meta, conn.Query("SELECT key, value FROM flowsync_meta ORDER BY key"));
  for (const SqlRow& row : meta)
    out += "flowsync_meta " + SqlText(row[0]) + " = " + SqlText(row[1]) + "\n";
  FS_TRY_ASSIGN(auto objects,
                conn.Query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY tbl_name, "
                           "type NOT IN ('table', 'view'), name"));
  for (const SqlRow& row : objects) {
    out += "\n" + SqlText(row[0]) + " " + SqlText(row[1]);
    if (SqlText(row[1]) != SqlText(row[2])) out += " on " + SqlText(row[2]);
    // Indexes SQLite makes for PRIMARY KEY and UNIQUE have no SQL.
    out += row[3] ? ":\n" + NormalizedSql(*row[3]) + "\n" : ": automatic\n";
  }
  return out;
}

// Sections of the PostgreSQL dump, each a heading and its lines, printed in
// the order of their keys.
using Sections = std::map<std::string, std::vector<std::string>>;

// Runs `sql`, whose first column names the table a row belongs to, and adds
// `line(row)` to that table's section.
Status AddTableLines(SqlConnection& conn, Sections& sections, std::string_view sql,
                     const std::function<std::string(const SqlRow&)>& line) {
  FS_TRY_ASSIGN(auto rows, conn.Query(sql));
  for (const SqlRow& row : rows) sections["table " + SqlText(row[0])].push_back(line(row));
  return Status::OK();
}

// A line for a row (table, name, definition): "  <kind> name: definition".
std::function<std::string(const SqlRow&)> NamedDefinition(std::string kind) {
  return [kind](const SqlRow& row) {
    return "  " + kind + " " + SqlText(row[1]) + ": " + OneLine(SqlText(row[2]));
  };
}

Result<std::string> DumpPostgres(SqlConnection& conn) {
  Sections sections;
  // Types (enums, domains, ...), not the row and array types every table has.
  FS_TRY_ASSIGN(auto types, conn.Query(R"sql(
    SELECT t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod),
           (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
              FROM pg_enum e WHERE e.enumtypid = t.oid)
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = current_schema() AND t.typrelid = 0 AND t.typcategory <> 'A')sql"));
  for (const SqlRow& row : types) {
    std::string kind = SqlText(row[1]);
    std::string what = kind == "e"   ? "enum (" + SqlText(row[3]) + ")"
                       : kind == "d" ? "domain over " + SqlText(row[2])
                                     : "typtype " + kind;
    sections["type " + SqlText(row[0])].push_back("  " + what);
  }

  FS_TRY_ASSIGN(auto relations, conn.Query(R"sql(
    SELECT c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.relpersistence,
           c.reloptions::text, c.relacl::text,
           CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind NOT IN ('i', 'I', 'S'))sql"));
  for (const SqlRow& row : relations) {
    std::vector<std::string>& lines = sections["table " + SqlText(row[0])];
    std::string kind = SqlText(row[1]);
    if (kind != "r") lines.push_back("  relkind " + kind);
    if (SqlBool(row[2])) lines.push_back("  row-level security enabled");
    if (SqlBool(row[3])) lines.push_back("  row-level security forced");
    if (SqlText(row[4]) != "p") lines.push_back("  persistence " + SqlText(row[4]));
    if (row[5]) lines.push_back("  options " + *row[5]);
    if (row[6]) lines.push_back("  privileges " + *row[6]);
    if (row[7]) lines.push_back("  definition " + OneLine(*row[7]));
  }
  FS_TRY(AddTableLines(conn, sections, R"sql(
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid), a.attgenerated, a.attidentity, a.attcompression,
           CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN pg_collation co ON co.oid = a.attcollation
     WHERE n.nspname = current_schema() AND c.relkind NOT IN ('i', 'I', 'S') AND a.attnum > 0
       AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum)sql",
                       [](const SqlRow& row) {
                         std::string line = "  column " + SqlText(row[1]) + " " + SqlText(row[2]);
                         if (SqlBool(row[3])) line += " NOT NULL";
                         if (SqlText(row[5]) == "s") {
                           line += " GENERATED ALWAYS AS (" + OneLine(SqlText(row[4])) + ") STORED";
                         } else if (row[4]) {
                           line += " DEFAULT " + OneLine(*row[4]);
                         }
                         if (SqlText(row[6]) == "a") line += " GENERATED ALWAYS AS IDENTITY";
                         if (SqlText(row[6]) == "d") line += " GENERATED BY DEFAULT AS IDENTITY";
                         if (row[8]) line += " COLLATE " + *row[8];
                         if (SqlText(row[7]) == "l") line += " compression lz4";
                         if (SqlText(row[7]) == "p") line += " compression pglz";
                         return line;
                       }));
  // Not-null constraints (in pg_constraint from PostgreSQL 18) are the
  // columns' NOT NULL above.
  FS_TRY(AddTableLines(conn, sections, R"sql(
    SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND con.contype <> 'n'
     ORDER BY c.relname, con.conname)sql",
                       NamedDefinition("constraint")));
  FS_TRY(AddTableLines(conn, sections, R"sql(
    SELECT c.relname, i.relname, pg_get_indexdef(i.oid)
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class c ON c.oid = x.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema()
     ORDER BY c.relname, i.relname)sql",
                       NamedDefinition("index")));
  FS_TRY(AddTableLines(conn, sections, R"sql(
    SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check
      FROM pg_policies WHERE schemaname = current_schema()
     ORDER BY tablename, policyname)sql",
                       [](const SqlRow& row) {
                         std::string line = "  policy " + SqlText(row[1]) + ": " + SqlText(row[2]) +
                                            " " + SqlText(row[4]) + " TO " + SqlText(row[3]);
                         if (row[5]) line += " USING (" + OneLine(*row[5]) + ")";
                         if (row[6]) line += " WITH CHECK (" + OneLine(*row[6]) + ")";
                         return line;
                       }));
  FS_TRY(AddTableLines(conn, sections, R"sql(
    SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
      FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND NOT t.tgisinternal
     ORDER BY c.relname, t.tgname)sql",
                       NamedDefinition("trigger")));

  FS_TRY_ASSIGN(auto sequences, conn.Query(R"sql(
    SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
           s.seqmax, s.seqcache, s.seqcycle,
           (SELECT oc.relname || '.' || a.attname
              FROM pg_depend d
              JOIN pg_class oc ON oc.oid = d.refobjid
              JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
      FROM pg_sequence s
      JOIN pg_class c ON c.oid = s.seqrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema())sql"));
  for (const SqlRow& row : sequences) {
    std::string line = "  " + SqlText(row[1]) + " start " + SqlText(row[2]) + " increment " +
                       SqlText(row[3]) + " min " + SqlText(row[4]) + " max " + SqlText(row[5]) +
                       " cache " + SqlText(row[6]);
    if (SqlBool(row[7])) line += " cycle";
    if (row[8]) line += " owned by " + *row[8];
    sections["sequence " + SqlText(row[0])].push_back(line);
  }

  FS_TRY_ASSIGN(auto functions, conn.Query(R"sql(
    SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           pg_get_functiondef(p.oid), p.proacl::text
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = current_schema())sql"));
  for (const SqlRow& row : functions) {
    std::vector<std::string>& lines = sections["function " + SqlText(row[0])];
    std::istringstream def(SqlText(row[1]));
    for (std::string line; std::getline(def, line);) lines.push_back("  " + line);
    if (row[2]) lines.push_back("  privileges " + *row[2]);
  }

  std::string out;
  FS_TRY_ASSIGN(auto meta, conn.Query("SELECT key, value FROM flowsync_meta ORDER BY key"));
  for (const SqlRow& row : meta)
    out += "flowsync_meta " + SqlText(row[0]) + " = " + SqlText(row[1]) + "\n";
  for (const auto& [heading, lines] : sections) {
    out += "\n" + heading + "\n";
    for (const std::string& line : lines) out += line + "\n";
  }
  // Each test works in a schema of its own: name it SCHEMA.
  FS_TRY_ASSIGN(auto schema, conn.Query("SELECT current_schema()"));
  std::string name = SqlText(schema.at(0).at(0));
  for (size_t at = out.find(name); at != std::string::npos; at = out.find(name, at + 6)) {
    out.replace(at, name.size(), "SCHEMA");
  }
  return out;
}

// ---- The goldens ------------------------------------------------------------

std::string GoldenPath(SqlDialect dialect, int version) {
  return std::string(FLOWSYNC_SOURCE_DIR) + "/src/store/testdata/schema_" +
         std::string(SqlDialectName(dialect)) + "_v" + std::to_string(version) + ".golden";
}

bool UpdateGolden() {
  const char* update = std::getenv("FLOWSYNC_UPDATE_GOLDEN");
  return update != nullptr && std::string_view(update) == "1";
}

enum class Golden { kCompare, kCompareOrWrite };

// Checks that the schema of the database behind `conn` is what the golden of
// `version` says. With kCompareOrWrite and FLOWSYNC_UPDATE_GOLDEN=1 the
// golden is written instead, if it is the newest version's or missing: an
// earlier version is what databases out there are at, so its golden stays
// (delete it to rewrite it, after a change of the dump itself).
void ExpectGolden(SqlConnection& conn, int version, Golden mode) {
  SqlDialect dialect = conn.dialect();
  auto dump = dialect == SqlDialect::kSqlite ? DumpSqlite(conn) : DumpPostgres(conn);
  ASSERT_OK(dump);
  std::string path = GoldenPath(dialect, version);
  std::string actual = "# flowsync's " + std::string(SqlDialectName(dialect)) +
                       " schema at version " + std::to_string(version) +
                       ", as src/store/schema_test.cc dumps it (FLOWSYNC_UPDATE_GOLDEN=1 rewrites "
                       "it)\n" +
                       *dump;
  if (mode == Golden::kCompareOrWrite && UpdateGolden() &&
      (version == kSchemaVersion || !std::ifstream(path).good())) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "no golden file " << path
                         << " (write it with FLOWSYNC_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  std::string want = expected.str();
  if (dialect == SqlDialect::kPostgres) {
    // A server built without lz4 keeps the default compression (the schema
    // asks for lz4 only where the server has it).
    auto lz4 = conn.Query(
        "SELECT count(*) FROM pg_settings WHERE name = 'default_toast_compression' AND "
        "'lz4' = ANY (enumvals)");
    ASSERT_OK(lz4);
    if (SqlInt((*lz4)[0][0]) == 0) {
      for (size_t at; (at = want.find(" compression lz4")) != std::string::npos;) {
        want.erase(at, std::string_view(" compression lz4").size());
      }
    }
  }
  EXPECT_EQ(actual, want) << "the schema differs from " << path
                          << "; after a deliberate change, rewrite it with "
                             "FLOWSYNC_UPDATE_GOLDEN=1 and review the diff";
}

// ---- Databases at a version -------------------------------------------------

// A database at schema `version` as an earlier flowsync left it: the schema
// steps run the way a store runs them (in one transaction, each followed by
// its version in flowsync_meta, SQLite's with foreign keys off), without a
// store. Holds its own connection.
class DatabaseAtVersion {
 public:
  // REQUIRES: `url` is a fresh TestBackend URL.
  Status Build(const std::string& url, int version) {
    SqlDialect dialect = url.rfind("sqlite:", 0) == 0 ? SqlDialect::kSqlite : SqlDialect::kPostgres;
    if (dialect == SqlDialect::kSqlite) {
      FS_TRY(sqlite_.Open(url.substr(7), true));
      connection_ = std::make_unique<sqlite::SqliteConnection>(&sqlite_);
      FS_TRY(Exec("PRAGMA foreign_keys = OFF"));
    } else {
      size_t at = url.rfind("schema=");
      std::string schema = url.substr(at + 7);
      FS_TRY(pg_.Connect(url.substr(0, at - 1)));
      connection_ = std::make_unique<postgres::PgConnection>(&pg_);
      // As PgSession and PgStore set up a session and create its schema.
      FS_TRY(Exec("CREATE SCHEMA \"" + schema + "\"; SET search_path TO \"" + schema +
                  "\"; SET TIME ZONE 'UTC'; SET flowsync.project = 'default'"));
    }
    FS_TRY(Exec("BEGIN"));
    for (int v = 0; v < version; ++v) {
      FS_TRY(Exec(SchemaStep(dialect, v)));
      FS_TRY(Exec("UPDATE flowsync_meta SET value = '" + std::to_string(v + 1) +
                  "' WHERE key = 'schema_version'"));
    }
    return Exec("COMMIT");
  }

  Status Exec(const std::string& script) {
    return pg_.connected() ? pg_.ExecScript(script) : sqlite_.Exec(script);
  }

  SqlConnection& connection() { return *connection_; }

 private:
  sqlite::Db sqlite_;
  postgres::PgConn pg_;
  std::unique_ptr<SqlConnection> connection_;
};

class SchemaTest : public ::testing::TestWithParam<test::TestBackend> {
 protected:
  void SetUp() override {
    if (FreshUrl().empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
  }

  SqlDialect dialect() const {
    return GetParam().name == "sqlite" ? SqlDialect::kSqlite : SqlDialect::kPostgres;
  }

  // A new empty database (a new file or schema each call).
  std::string FreshUrl() {
    dirs_.push_back(std::make_unique<test::TempDir>());
    return GetParam().fresh_url(dirs_.back()->path());
  }

  std::vector<std::unique_ptr<test::TempDir>> dirs_;
};

TEST_P(SchemaTest, FreshDatabaseMatchesTheNewestGolden) {
  auto store = OpenStore(*ParseDatabaseUrl(FreshUrl()), {});
  ASSERT_OK(store);
  EXPECT_EQ((*store)->SchemaVersion(), kSchemaVersion);
  ExpectGolden(ConnectionOf(**store), kSchemaVersion, Golden::kCompareOrWrite);
}

TEST_P(SchemaTest, EveryVersionMatchesItsGolden) {
  for (int v = 1; v <= kSchemaVersion; ++v) {
    SCOPED_TRACE("version " + std::to_string(v));
    DatabaseAtVersion db;
    ASSERT_OK(db.Build(FreshUrl(), v));
    ExpectGolden(db.connection(), v, Golden::kCompareOrWrite);
  }
}

TEST_P(SchemaTest, EveryOlderVersionUpgradesToTheNewestGolden) {
  for (int v = 1; v < kSchemaVersion; ++v) {
    SCOPED_TRACE("from version " + std::to_string(v));
    std::string url = FreshUrl();
    {
      DatabaseAtVersion db;
      ASSERT_OK(db.Build(url, v));
    }
    auto store = OpenStore(*ParseDatabaseUrl(url), {});
    ASSERT_OK(store);
    EXPECT_EQ((*store)->SchemaVersion(), kSchemaVersion);
    ExpectGolden(ConnectionOf(**store), kSchemaVersion, Golden::kCompare);
  }
}

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

TEST_P(SchemaTest, Version1KeepsItsRowsWhenUpgraded) {
  std::string url = FreshUrl();
  {
    DatabaseAtVersion db;
    ASSERT_OK(db.Build(url, 1));
    ASSERT_OK(db.Exec(kVersion1Rows));
  }
  auto opened = OpenStore(*ParseDatabaseUrl(url), {});
  ASSERT_OK(opened);
  Store& store = **opened;
  EXPECT_EQ(store.SchemaVersion(), kSchemaVersion);
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
  ExpectGolden(conn, kSchemaVersion, Golden::kCompare);

  if (dialect() != SqlDialect::kSqlite) return;
  // SQLite rebuilt sync_runs: it is still the table the others refer to.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(url.substr(7).c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM sync_runs WHERE id = 7",
                         nullptr, nullptr, nullptr),
            SQLITE_CONSTRAINT);
  sqlite3_close(db);
}

// A webhook with a delivery of an execution, at version 7.
constexpr char kVersion7Webhook[] = R"sql(
INSERT INTO webhook_registrations (project, path, method, task, workflow, secret_env, created_ms)
  VALUES ('default', 'orders', 'POST', 'orders', '', 'ORDERS_SECRET', 1);
INSERT INTO webhook_registrations (project, path, method, task, workflow, secret_file, created_ms)
  VALUES ('default', 'gone', 'POST', 'gone', '', '/run/secret', 1);
DELETE FROM webhook_registrations WHERE path = 'gone';
INSERT INTO webhook_deliveries (registration_id, idempotency_key, received_ms, payload)
  SELECT id, 'k1', 2, '{}' FROM webhook_registrations WHERE path = 'orders';
)sql";

TEST_P(SchemaTest, Version7WebhooksKeepTheirDeliveriesAndIdsWhenUpgraded) {
  std::string url = FreshUrl();
  {
    DatabaseAtVersion db;
    ASSERT_OK(db.Build(url, 7));
    ASSERT_OK(db.Exec(kVersion7Webhook));
  }
  auto opened = OpenStore(*ParseDatabaseUrl(url), {});
  ASSERT_OK(opened);
  Store& store = **opened;
  EXPECT_EQ(store.SchemaVersion(), kSchemaVersion);
  SqlConnection& conn = ConnectionOf(store);
  auto rows = conn.Query(
      "SELECT r.id, r.secret_env, d.idempotency_key FROM webhook_registrations r JOIN "
      "webhook_deliveries d ON d.registration_id = r.id");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][0], std::optional<std::string>("1"));
  EXPECT_EQ((*rows)[0][1], std::optional<std::string>("ORDERS_SECRET"));
  EXPECT_EQ((*rows)[0][2], std::optional<std::string>("k1"));
  // Exactly one secret: none, or two, is refused; a sealed one alone is not.
  const std::string insert =
      "INSERT INTO webhook_registrations (project, path, method, task, workflow, secret_env, "
      "secret_file, secret_sealed, created_ms) VALUES ('default', $1, 'POST', 't', '', $2, $3, "
      "$4, 1) RETURNING id";
  EXPECT_FALSE(conn.Query(insert, {"none", std::nullopt, std::nullopt, std::nullopt}).ok());
  EXPECT_FALSE(conn.Query(insert, {"two", "A", std::nullopt, "sealed:v1:x"}).ok());
  auto sealed = conn.Query(insert, {"sealed", std::nullopt, std::nullopt, "sealed:v1:x"});
  ASSERT_OK(sealed);
  // Ids are not reused: 2 was taken before the upgrade (PostgreSQL's
  // sequence also moved past the refused rows).
  EXPECT_GT(std::stoi((*sealed)[0][0].value_or("0")), 2);
  // Removing the registration still removes its deliveries.
  ASSERT_OK(conn.Query("DELETE FROM webhook_registrations WHERE id = 1"));
  auto left = conn.Query("SELECT count(*) FROM webhook_deliveries");
  ASSERT_OK(left);
  EXPECT_EQ((*left)[0][0], std::optional<std::string>("0"));
}

// ---- Rendering --------------------------------------------------------------

TEST(RenderSchemaSql, NamedDifferences) {
  constexpr std::string_view kSql = "at {{timestamp}} NOT NULL, id {{ uuid }}";
  EXPECT_EQ(RenderSchemaSql(SqlDialect::kSqlite, kSql), "at TEXT NOT NULL, id TEXT");
  EXPECT_EQ(RenderSchemaSql(SqlDialect::kPostgres, kSql), "at timestamptz NOT NULL, id uuid");
}

TEST(RenderSchemaSql, AlternativesAreTrimmedAndMaySpanLines) {
  constexpr std::string_view kSql =
      "v {{INTEGER CHECK (v IN (0, 1))\n   | boolean}} NOT NULL DEFAULT '{}'";
  EXPECT_EQ(RenderSchemaSql(SqlDialect::kSqlite, kSql),
            "v INTEGER CHECK (v IN (0, 1)) NOT NULL DEFAULT '{}'");
  EXPECT_EQ(RenderSchemaSql(SqlDialect::kPostgres, kSql), "v boolean NOT NULL DEFAULT '{}'");
}

TEST(RenderSchemaSql, NothingTakesItsBlanksAndItsLine) {
  constexpr std::string_view kSql =
      "CREATE TABLE t (\n  a TEXT NOT NULL {{project_default}},\n  {{ | b jsonb,}}\n  c TEXT\n) "
      "{{without_rowid}};\n{{ | CREATE INDEX t_b ON t (b);}}\nCREATE INDEX t_c ON t (c);\n";
  EXPECT_EQ(RenderSchemaSql(SqlDialect::kSqlite, kSql),
            "CREATE TABLE t (\n  a TEXT NOT NULL,\n  c TEXT\n) WITHOUT ROWID;\n"
            "CREATE INDEX t_c ON t (c);\n");
  EXPECT_EQ(RenderSchemaSql(SqlDialect::kPostgres, kSql),
            "CREATE TABLE t (\n  a TEXT NOT NULL DEFAULT current_setting('flowsync.project'),\n"
            "  b jsonb,\n  c TEXT\n);\nCREATE INDEX t_b ON t (b);\nCREATE INDEX t_c ON t (c);\n");
}

TEST(RenderSchemaSql, MistakesThrow) {
  EXPECT_THROW(RenderSchemaSql(SqlDialect::kSqlite, "a {{timestmp}}"), std::logic_error);
  EXPECT_THROW(RenderSchemaSql(SqlDialect::kSqlite, "a {{timestamp"), std::logic_error);
}

TEST(SchemaStep, EveryStepRendersCompletelyOnBothDialects) {
  for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
    for (int from = 0; from < kSchemaVersion; ++from) {
      std::string step = SchemaStep(dialect, from);
      EXPECT_FALSE(step.empty()) << from;
      EXPECT_EQ(step.find("{{"), std::string::npos) << from;
      EXPECT_EQ(step.find("}}"), std::string::npos) << from;
    }
    EXPECT_EQ(SchemaStep(dialect, kSchemaVersion), "");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SchemaTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
