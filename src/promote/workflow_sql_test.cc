#include "promote/workflow_sql.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "flowsync/store.h"
#include "promote/migration_format.h"
#include "sql/script.h"
#include "store/sql_connection.h"
#include "util/hash.h"
#include "util/test_util.h"
#include "util/uuid.h"

namespace flowsync {
namespace {

using Backend = test::TestBackend;

constexpr char kId[] = "0b7cbf7e-4d5c-5a3a-9d0e-5f6a9a1f2b3c";

WorkflowExport MakeExport(const std::string& content, const std::string& updated_at) {
  WorkflowExport wf;
  wf.id = kId;
  wf.project = "default";
  wf.path = "flows/orders.json";
  wf.workflow.format = Format::kN8n;
  wf.workflow.name = "Orders";
  wf.workflow.source_id = "42";
  wf.workflow.content = content;
  wf.workflow.content_hash = HashHex(content);
  wf.workflow.metadata_json = "{\"team\":\"ops\"}";
  wf.workflow.categories = {"ops", "sales"};
  wf.workflow.findings = {{Severity::kWarning, "no-trigger", "nodes", "no trigger node"}};
  wf.workflow.active = true;
  wf.created_at = "2026-01-01T00:00:00.000Z";
  wf.updated_at = updated_at;
  return wf;
}

class WorkflowSqlTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string fresh = GetParam().fresh_url(dir_.path());
    if (fresh.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
    auto url = ParseDatabaseUrl(fresh);
    ASSERT_OK(url);
    url_ = *url;
    auto store = OpenStore(url_, {});
    ASSERT_OK(store);
    store_ = std::move(store).value();
    auto session = store_->OpenMigrationHistory();
    ASSERT_OK(session);
    session_ = std::move(session).value();
  }

  SqlDialect dialect() const { return session_->dialect(); }

  // Runs `sql` in one transaction, as the runner does.
  Status Apply(const std::string& sql) {
    FS_TRY(session_->Begin());
    Status s = session_->ExecScript(sql);
    if (!s.ok()) {
      session_->Rollback();
      return s;
    }
    return session_->Commit();
  }

  Status Up(const WorkflowExport& wf, const std::string& file) {
    WorkflowSqlOptions o;
    o.migration_file = file;
    o.source = "prod";
    return Apply(WorkflowUpSql(dialect(), wf, o));
  }

  std::string One(const std::string& sql) {
    auto rows = ConnectionOf(*store_).Query(sql);
    EXPECT_OK(rows);
    if (!rows.ok() || rows->empty() || rows->front().empty() || !rows->front()[0]) return "<null>";
    return *rows->front()[0];
  }

  std::optional<WorkflowDetail> Find() {
    auto d = store_->catalog().FindWorkflow(kId);
    EXPECT_OK(d);
    return d.ok() ? *d : std::nullopt;
  }

  test::TempDir dir_;
  DatabaseUrl url_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<MigrationHistory> session_;
};

TEST_P(WorkflowSqlTest, CreatesAWorkflowWithItsLogRunAndDerivedRows) {
  WorkflowExport wf = MakeExport("{\"name\":\"Orders\",\"nodes\":[]}", "2026-02-01T10:00:00.000Z");
  ASSERT_OK(Up(wf, "20260201100000_orders.sql"));
  auto d = Find();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->content, wf.workflow.content);
  EXPECT_EQ(d->summary.name, "Orders");
  EXPECT_EQ(d->summary.path, "flows/orders.json");
  EXPECT_EQ(d->summary.version, 1);
  EXPECT_EQ(d->summary.updated_at, "2026-02-01T10:00:00.000Z");
  EXPECT_TRUE(d->summary.active);
  EXPECT_EQ(d->summary.categories, (std::vector<std::string>{"ops", "sales"}));
  ASSERT_EQ(d->findings.size(), 1u);
  EXPECT_EQ(d->findings[0].code, "no-trigger");
  auto log = store_->catalog().ReadLog(0, std::string(kId));
  ASSERT_OK(log);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].event, SyncEvent::kAdded);
  EXPECT_EQ((*log)[0].message, "migration 20260201100000_orders.sql from prod");
  auto run = store_->catalog().LastRun();
  ASSERT_OK(run);
  ASSERT_TRUE(run->has_value());
  EXPECT_EQ((*run)->mode, "migration");
  EXPECT_EQ((*run)->root, "20260201100000_orders.sql");
  EXPECT_EQ((*run)->counts.added, 1);
  EXPECT_FALSE((*run)->finished_at.empty());
  EXPECT_EQ(One("SELECT action FROM migration_metadata"), "created");
  if (dialect() == SqlDialect::kPostgres) {
    EXPECT_EQ(One("SELECT definition->>'name' FROM workflows"), "Orders");
  }
}

// Control bytes reach the file as char(N)/chr(N), never raw, and arrive
// intact; a NUL is refused before SQL is written (migration_writer).
TEST_P(WorkflowSqlTest, ControlCharactersAreWrittenAsFunctionsAndArriveIntact) {
  WorkflowExport wf = MakeExport("{\"v\":1}", "2026-02-01T10:00:00.000Z");
  wf.path = "flows/\x1b[2Jx\n.json";
  wf.workflow.name =
      "a\x01"
      "b\x7f'c\td";
  wf.workflow.categories = {"\x1b"};
  wf.workflow.phases = {{"t\x02", "", "", "", 0, 1}};
  WorkflowSqlOptions o;
  o.migration_file = "1_ctl.sql";
  o.source = "prod";
  const std::string sql = WorkflowUpSql(dialect(), wf, o);
  for (char c : sql) {
    const auto u = static_cast<unsigned char>(c);
    ASSERT_FALSE((u < 0x20 && c != '\n' && c != '\t' && c != '\r') || u == 0x7f)
        << "raw control byte " << int{u};
  }
  ASSERT_OK(Apply(sql));
  auto d = Find();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->summary.name, wf.workflow.name);
  EXPECT_EQ(d->summary.path, wf.path);
  EXPECT_EQ(d->summary.categories, wf.workflow.categories);
  EXPECT_EQ(d->phases, wf.workflow.phases);
}

TEST_P(WorkflowSqlTest, RunningAFileTwiceHasTheEffectOfRunningItOnce) {
  WorkflowExport wf = MakeExport("{\"a\":1}", "2026-02-01T10:00:00.000Z");
  ASSERT_OK(Up(wf, "1_a.sql"));
  ASSERT_OK(Up(wf, "1_a.sql"));
  EXPECT_EQ(Find()->summary.version, 1);
  EXPECT_EQ(One("SELECT count(*) FROM workflow_sync_log"), "1");
  EXPECT_EQ(One("SELECT count(*) FROM sync_runs"), "1");
  EXPECT_EQ(One("SELECT count(*) FROM workflow_categories"), "2");
}

TEST_P(WorkflowSqlTest, NewerSourceUpdatesOlderSourceIsSkipped) {
  ASSERT_OK(Up(MakeExport("{\"v\":1}", "2026-02-01T10:00:00.000Z"), "1_a.sql"));
  ASSERT_OK(Up(MakeExport("{\"v\":2}", "2026-02-02T10:00:00.000Z"), "2_a.sql"));
  auto d = Find();
  EXPECT_EQ(d->content, "{\"v\":2}");
  EXPECT_EQ(d->summary.version, 2);
  EXPECT_EQ(d->stored_versions, 1);
  EXPECT_EQ(One("SELECT action FROM migration_metadata WHERE migration_file = '2_a.sql'"),
            "updated");
  // The target is newer than this export: "preserve if local is newer".
  ASSERT_OK(Up(MakeExport("{\"v\":0}", "2026-01-15T10:00:00.000Z"), "3_a.sql"));
  d = Find();
  EXPECT_EQ(d->content, "{\"v\":2}");
  EXPECT_EQ(d->summary.version, 2);
  EXPECT_EQ(One("SELECT action FROM migration_metadata WHERE migration_file = '3_a.sql'"),
            "skipped");
  auto log = store_->catalog().ReadLog(0, std::string(kId));
  ASSERT_OK(log);
  EXPECT_EQ(log->size(), 2u);  // added, updated; nothing for the skipped one
}

TEST_P(WorkflowSqlTest, DownRestoresTheReplacedVersionOrRemovesACreatedWorkflow) {
  WorkflowExport first = MakeExport("{\"v\":1}", "2026-02-01T10:00:00.000Z");
  first.workflow.phases = {{"load:hourly", "", "cron=0 * * * *", "{{.x}} 'q'", 3, 2},
                           {"report", "load:hourly", "", "", 0, 9}};
  ASSERT_OK(Up(first, "1_a.sql"));
  WorkflowExport second = MakeExport("{\"v\":2}", "2026-02-02T10:00:00.000Z");
  second.workflow.categories = {"new"};
  second.workflow.findings = {{Severity::kError, "bad", "x:1", "other"}};
  ASSERT_OK(Up(second, "2_a.sql"));
  EXPECT_EQ(Find()->summary.categories, (std::vector<std::string>{"new"}));
  ASSERT_OK(Apply(WorkflowDownSql(dialect(), "2_a.sql")));
  auto d = Find();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->content, "{\"v\":1}");
  // The derived rows it had come back with it.
  EXPECT_EQ(d->summary.categories, first.workflow.categories);
  EXPECT_EQ(d->findings, first.workflow.findings);
  ASSERT_EQ(d->phases.size(), 2u);
  EXPECT_EQ(d->phases, first.workflow.phases);
  EXPECT_EQ(d->summary.content_hash, HashHex("{\"v\":1}"));
  EXPECT_EQ(d->summary.version, 3);  // history only grows
  EXPECT_EQ(d->summary.updated_at, "2026-02-01T10:00:00.000Z");
  EXPECT_EQ(One("SELECT count(*) FROM migration_metadata"), "1");
  if (dialect() == SqlDialect::kPostgres) {
    EXPECT_EQ(One("SELECT definition->>'v' FROM workflows"), "1");
  }
  // Applying it again updates again: the restored copy is older.
  ASSERT_OK(Up(MakeExport("{\"v\":2}", "2026-02-02T10:00:00.000Z"), "2_a.sql"));
  EXPECT_EQ(Find()->content, "{\"v\":2}");
  ASSERT_OK(Apply(WorkflowDownSql(dialect(), "2_a.sql")));
  ASSERT_OK(Apply(WorkflowDownSql(dialect(), "1_a.sql")));
  EXPECT_FALSE(Find().has_value());
  EXPECT_EQ(One("SELECT count(*) FROM workflow_versions"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM workflow_categories"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM migration_metadata"), "0");
  auto log = store_->catalog().ReadLog(1, std::nullopt);
  ASSERT_OK(log);
  EXPECT_EQ((*log)[0].event, SyncEvent::kDeleted);
  EXPECT_EQ((*log)[0].message, "reverted migration 1_a.sql");
}

TEST_P(WorkflowSqlTest, DownLeavesAWorkflowChangedSinceAlone) {
  ASSERT_OK(Up(MakeExport("{\"v\":1}", "2026-02-01T10:00:00.000Z"), "1_a.sql"));
  ASSERT_OK(Up(MakeExport("{\"v\":3}", "2026-03-01T10:00:00.000Z"), "5_a.sql"));
  ASSERT_OK(Apply(WorkflowDownSql(dialect(), "1_a.sql")));
  auto d = Find();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->content, "{\"v\":3}");
  EXPECT_EQ(One("SELECT count(*) FROM migration_metadata WHERE migration_file = '1_a.sql'"), "0");
}

TEST_P(WorkflowSqlTest, SidecarContentIsSubstituted) {
  WorkflowExport wf = MakeExport("{\"big\":\"it's $$ \\\\ \"}", "2026-02-01T10:00:00.000Z");
  WorkflowSqlOptions o;
  o.migration_file = "1_big.sql";
  o.source = "dev";
  o.content_in_sidecar = true;
  std::string sql = WorkflowUpSql(dialect(), wf, o);
  ASSERT_NE(sql.find(kSidecarToken), std::string::npos);
  EXPECT_EQ(sql.find("it's"), std::string::npos);
  ASSERT_OK(Apply(SubstituteSidecar(dialect(), sql, wf.workflow.content)));
  EXPECT_EQ(Find()->content, wf.workflow.content);
}

// Regression: a tool that carries on after an error (sqlite3 without -bail,
// psql without ON_ERROR_STOP) used to leave the claim 'created' with no
// workflow, so the file could never apply again.
TEST_P(WorkflowSqlTest, AClaimWhoseUpsertFailedStaysPending) {
  WorkflowExport other = MakeExport("{\"other\":1}", "2026-01-01T00:00:00.000Z");
  other.id = UuidV5(kId, "other");
  ASSERT_OK(Up(other, "0_other.sql"));  // holds the path flows/orders.json
  WorkflowExport wf = MakeExport("{\"v\":1}", "2026-02-01T10:00:00.000Z");
  WorkflowSqlOptions o;
  o.migration_file = "1_a.sql";
  o.source = "dev";
  std::string sql = WorkflowUpSql(dialect(), wf, o);
  // Statement by statement, each on its own (autocommit), errors ignored.
  int failed = 0;
  for (const ScriptStatement& st : SplitSqlScript(sql)) {
    std::string one(sql.substr(st.offset, st.length));
    if (one.rfind("SAVEPOINT", 0) == 0 || one.rfind("RELEASE", 0) == 0) continue;
    if (!session_->ExecScript(one).ok()) ++failed;
  }
  EXPECT_GE(failed, 1);  // the upsert (the path is taken), and rows that need the workflow
  EXPECT_EQ(One("SELECT action FROM migration_metadata WHERE migration_file = '1_a.sql'"),
            "pending");
}

TEST(SqlScript, LongDetailLinesAreCut) {
  Status s =
      ScriptStatementError("INSERT INTO t VALUES (1);", 0, 1,
                           Status::Internal("ERROR: null value\nDETAIL: Failing row contains (" +
                                            std::string(5000, 'x') + ")"));
  EXPECT_LT(s.message().size(), 500u);
  EXPECT_NE(s.message().find("DETAIL: Failing row contains (xxx"), std::string::npos);
}

TEST(SidecarToken, OnlyTheOneOutsideQuotesAndCommentsIsSubstituted) {
  // Regression: a name or README holding the token text got the content
  // pasted into it, and a comment holding it turned content into SQL.
  std::string sql =
      "-- Workflow: :'flowsync_content'\nINSERT INTO t VALUES ('a:''flowsync_content''', "
      "$fs$ :'flowsync_content' $fs$, :'flowsync_content');\n";
  EXPECT_EQ(CountSidecarTokens(sql), 1u);
  EXPECT_EQ(SubstituteSidecar(SqlDialect::kPostgres, sql, "C"),
            "-- Workflow: :'flowsync_content'\nINSERT INTO t VALUES ('a:''flowsync_content''', "
            "$fs$ :'flowsync_content' $fs$, $fs$C$fs$);\n");
}

TEST_P(WorkflowSqlTest, ExecScriptNamesTheFailingStatement) {
  ASSERT_OK(session_->Begin());
  int ran = -1;
  Status s = session_->ExecScript(
      "CREATE TABLE t (x integer);\n-- a comment; with a semicolon\nINSERT INTO t VALUES (1);\n"
      "INSERT INTO missing_table VALUES (2);\nINSERT INTO t VALUES (3);\n",
      &ran);
  session_->Rollback();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ran, 2);
  EXPECT_NE(s.message().find("statement 3 (line 4: INSERT INTO missing_table VALUES (2))"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("missing_table"), std::string::npos);
}

TEST_P(WorkflowSqlTest, QueryBindsRepeatedParameters) {
  auto rows =
      ConnectionOf(*store_).Query("SELECT $1 || $2 || $1", {std::string("a"), std::string("b")});
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][0], std::optional<std::string>("aba"));
  auto null = ConnectionOf(*store_).Query("SELECT $1", {std::nullopt});
  ASSERT_OK(null);
  EXPECT_FALSE((*null)[0][0].has_value());
}

TEST_P(WorkflowSqlTest, SecondSessionWaitsForTheFirst) {
  StoreOptions options;
  options.lock_timeout_ms = 300;
  auto same = OpenStore(url_, options);
  ASSERT_OK(same);
  auto second = (*same)->OpenMigrationHistory();
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  EXPECT_NE(second.status().message().find("pid="), std::string::npos) << second.status().message();
  session_.reset();
  EXPECT_OK((*same)->OpenMigrationHistory());
}

// ---- Any content survives create, apply and read back byte for byte. --------

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Random text (valid UTF-8 without NUL, as every stored text is), biased
// towards what breaks quoting: quotes, backslashes, dollar tags, comment
// and statement syntax, psql variables, control and exotic characters.
std::string RandomText(std::mt19937& rng, size_t max_pieces) {
  static const std::vector<std::string> kNasty = {
      "'",   "''", "\"",   "\\",   "\\'", "$",    "$$",    "$fs$", "$fs1$",       "$fs",
      "fs$", ";",  "--",   "/*",   "*/",  ":'x'", ":name", "E'",   "\\u0000",     "\r\n",
      "\n",  "\t", "\x01", "\x7f", "?",   "$1",   "%s",    "{}",   "\xEF\xBB\xBF"};
  std::uniform_int_distribution<size_t> pieces(0, max_pieces);
  std::uniform_int_distribution<int> kind(0, 5);
  std::uniform_int_distribution<size_t> nasty(0, kNasty.size() - 1);
  std::uniform_int_distribution<uint32_t> ascii(1, 0x7F);
  std::uniform_int_distribution<uint32_t> bmp(0x80, 0xFFFD);
  std::uniform_int_distribution<uint32_t> astral(0x10000, 0x10FFFF);
  std::string out;
  size_t n = pieces(rng);
  for (size_t i = 0; i < n; ++i) {
    switch (kind(rng)) {
      case 0:
      case 1:
        out += kNasty[nasty(rng)];
        break;
      case 2:
        AppendUtf8(out, ascii(rng));
        break;
      case 3: {
        uint32_t cp = bmp(rng);
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0x2028;  // no surrogates in UTF-8
        AppendUtf8(out, cp);
        break;
      }
      case 4:
        AppendUtf8(out, astral(rng));
        break;
      default:
        out += "plain words ";
    }
  }
  return out;
}

TEST_P(WorkflowSqlTest, AnyContentSurvivesByteForByte) {
  std::mt19937 rng(20261122);  // fixed seed: a failure reproduces
  for (int i = 0; i < 150; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    // n8n content must be JSON (PostgreSQL also keeps it as jsonb); phase
    // content is any text.
    bool phase = i % 3 == 2;
    nlohmann::json doc = {{"name", RandomText(rng, 8)},
                          {"nodes", nlohmann::json::array({{{"code", RandomText(rng, 40)}}})}};
    WorkflowExport wf = MakeExport(phase ? RandomText(rng, 60) : doc.dump(-1, ' ', false),
                                   "2026-02-01T10:00:00.000Z");
    wf.id = UuidV5(kId, std::to_string(i));
    wf.path = "p" + std::to_string(i) + "/" + RandomText(rng, 6);
    wf.workflow.format = phase ? Format::kPhase : Format::kN8n;
    wf.workflow.name = RandomText(rng, 10);
    wf.workflow.documentation = RandomText(rng, 30);
    wf.workflow.categories = {RandomText(rng, 4) + "a"};
    wf.workflow.findings = {{Severity::kInfo, "x", RandomText(rng, 4), RandomText(rng, 6)}};
    nlohmann::json meta = {{RandomText(rng, 3), RandomText(rng, 10)}};
    wf.workflow.metadata_json = meta.dump(-1, ' ', false);
    bool sidecar = i % 4 == 1;
    WorkflowSqlOptions o;
    o.migration_file = std::to_string(i) + "_" + RandomText(rng, 5) + ".sql";
    o.source = "dev";
    o.notes = RandomText(rng, 8);
    o.content_in_sidecar = sidecar;
    std::string sql = WorkflowUpSql(dialect(), wf, o);
    if (sidecar) sql = SubstituteSidecar(dialect(), sql, wf.workflow.content);
    ASSERT_OK(Apply(sql));
    auto d = store_->catalog().FindWorkflow(wf.id);
    ASSERT_OK(d);
    ASSERT_TRUE(d->has_value());
    const WorkflowDetail& got = **d;
    EXPECT_EQ(got.content, wf.workflow.content);
    EXPECT_EQ(got.summary.name, wf.workflow.name);
    EXPECT_EQ(got.summary.path, wf.path);
    EXPECT_EQ(got.documentation, wf.workflow.documentation);
    EXPECT_EQ(got.summary.categories, wf.workflow.categories);
    ASSERT_EQ(got.findings.size(), 1u);
    EXPECT_EQ(got.findings[0].location, wf.workflow.findings[0].location);
    EXPECT_EQ(got.findings[0].message, wf.workflow.findings[0].message);
    EXPECT_EQ(nlohmann::json::parse(got.metadata_json), meta);
    auto notes = ConnectionOf(*store_).Query(
        "SELECT notes FROM migration_metadata WHERE migration_file = $1", {o.migration_file});
    ASSERT_OK(notes);
    ASSERT_EQ(notes->size(), 1u);
    EXPECT_EQ((*notes)[0][0], o.notes.empty() ? std::nullopt : std::optional<std::string>(o.notes));
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowSqlTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(SqlScript, SplitsOnSemicolonsOutsideQuotesAndComments) {
  std::string sql =
      "-- lead; comment\nSELECT 'a;b' AS \"c;d\";\n/* x; /* nested; */ y; */ SELECT $$;$$, "
      "$t$ $$; $t$, E'\\';', 1;;\n  SELECT a$b FROM t -- tail;\n";
  std::vector<std::string> got;
  for (const ScriptStatement& s : SplitSqlScript(sql))
    got.emplace_back(sql.substr(s.offset, s.length));
  EXPECT_EQ(got, (std::vector<std::string>{"SELECT 'a;b' AS \"c;d\"",
                                           "SELECT $$;$$, $t$ $$; $t$, E'\\';', 1",
                                           "SELECT a$b FROM t -- tail;"}));
}

TEST(SqlLiteral, DollarTagNeverEndsEarly) {
  for (std::string text : {"", "$", "$fs$", "a$fs", "$fs$$fs1$", "fs$", "x$fs1"}) {
    std::string lit = SqlStringLiteral(SqlDialect::kPostgres, text);
    size_t tag_end = lit.find('$', 1);
    std::string tag = lit.substr(0, tag_end + 1);
    EXPECT_EQ(lit.find(tag, tag.size()), lit.size() - tag.size()) << text;
  }
  EXPECT_EQ(SqlStringLiteral(SqlDialect::kSqlite, "it's"), "'it''s'");
}

TEST(SqlLiteral, HiddenControlBytesBecomeFunctionCalls) {
  EXPECT_EQ(SqlStringLiteral(SqlDialect::kSqlite, "tab\tline\nret\r"), "'tab\tline\nret\r'");
  EXPECT_EQ(SqlStringLiteral(SqlDialect::kSqlite, "a\x1b[0m'"), "('a' || char(27) || '[0m''')");
  EXPECT_EQ(SqlStringLiteral(SqlDialect::kSqlite, std::string("\0\x7f", 2)),
            "(char(0) || char(127))");
  EXPECT_EQ(SqlStringLiteral(SqlDialect::kPostgres, "x\x01"), "($fs$x$fs$ || chr(1))");
}

TEST(MigrationChecksum, IgnoresBomAndCrlf) {
  EXPECT_EQ(MigrationChecksum("a\r\nb\n"), MigrationChecksum("\xEF\xBB\xBF"
                                                             "a\nb\n"));
  EXPECT_NE(MigrationChecksum("a\nb\n"), MigrationChecksum("a\nb \n"));
  EXPECT_EQ(MigrationChecksum("").substr(0, 7), "sha256:");
}

}  // namespace
}  // namespace flowsync
