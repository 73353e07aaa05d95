#include "store/postgres/pg_store.h"

#include <fmt/format.h>

#include "flowsync/phase_cache.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_migration_history.h"
#include "store/postgres/pg_session.h"
#include "store/postgres/pg_sync_transaction.h"
#include "store/schema.h"
#include "store/sql_catalog.h"

namespace flowsync::postgres {
namespace {

class PgStore final : public SqlStore {
 public:
  PgStore(DatabaseUrl url, StoreOptions options)
      : session_(std::move(url), std::move(options)),
        data_(session_.data()),
        schema_(session_.schema()),
        connection_(&session_.data()),
        catalog_(connection_) {}

  Status Open() {
    FS_TRY(session_.Open());
    return UpgradeSchema();
  }

  int SchemaVersion() const override { return schema_version_; }

  std::string Describe() const override { return session_.Describe(); }
  const std::string& project() const override { return session_.options().project; }
  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  Catalog& catalog() override { return catalog_; }
  SqlConnection& connection() override { return connection_; }

  Status GrantProject(const std::string& project, const std::string& role, bool revoke) override {
    if (!IsValidProjectName(project))
      return Status::InvalidArgument("bad project '" + project + "'");
    if (revoke) {
      return data_
          .Exec("DELETE FROM project_grants WHERE project = $1 AND role_name = $2", {project, role},
                "revoking a project")
          .status();
    }
    std::string quoted_role = "\"";
    for (char c : role) quoted_role += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted_role += "\"";
    std::string schema = "\"" + schema_ + "\"";
    FS_TRY(data_.ExecScript("BEGIN", "granting a project"));
    Status s = data_
                   .Exec(
                       "INSERT INTO project_grants (project, role_name) VALUES ($1, $2) ON "
                       "CONFLICT DO NOTHING",
                       {project, role}, "granting a project")
                   .status();
    if (s.ok()) {
      // Table privileges are what any member needs; the rows it may touch
      // are decided by the policies.
      s = data_.ExecScript(
          fmt::format("GRANT USAGE ON SCHEMA {0} TO {1}; "
                      "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {0} TO {1}; "
                      "REVOKE INSERT, UPDATE, DELETE ON {0}.project_grants, {0}.flowsync_meta "
                      "FROM {1}; "
                      "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {0} TO {1}",
                      schema, quoted_role),
          "granting table privileges");
    }
    if (!s.ok()) {
      (void)data_.ExecScript("ROLLBACK");
      return s;
    }
    return data_.ExecScript("COMMIT", "granting a project");
  }

  Result<std::unique_ptr<SyncTransaction>> BeginSync(bool read_only) override {
    if (read_only) {
      FS_TRY(data_.ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                              "starting a read-only transaction"));
      return NewPgSyncTransaction(&session_, true);
    }
    FS_TRY(session_.AcquireWriterLock());
    Status s = data_.ExecScript("BEGIN", "starting the sync transaction");
    if (s.ok() && session_.rls()) {
      // The workflows COPY streams, so its twin must exist before it starts
      // (CopyInto makes the others on demand).
      s = data_.ExecScript(
          "CREATE TEMP TABLE IF NOT EXISTS flowsync_tmp_workflows "
          "(LIKE workflows INCLUDING DEFAULTS)",
          "preparing the row-level security write path");
    }
    if (!s.ok()) {
      (void)data_.ExecScript("ROLLBACK");
      session_.ReleaseWriterLock();
      return s;
    }
    return NewPgSyncTransaction(&session_, false);
  }

  Status Rate(const std::string& workflow_id, const std::string& user, int value,
              std::string_view now) override {
    if (value != 1 && value != -1) return Status::InvalidArgument("a rating is +1 or -1");
    return data_
        .Exec(
            "INSERT INTO workflow_ratings (workflow_id, user_name, value, rated_at) VALUES "
            "($1::uuid, $2, $3::smallint, $4::timestamptz) ON CONFLICT (workflow_id, user_name) "
            "DO UPDATE SET value = excluded.value, rated_at = excluded.rated_at",
            {workflow_id, user, std::to_string(value), now}, "rating a workflow")
        .status();
  }

  Result<std::unique_ptr<MigrationHistory>> OpenMigrationHistory() override {
    return OpenPgMigrationHistory(&session_);
  }

 private:
  Status UpgradeSchema() {
    FS_TRY_ASSIGN(int version, ReadSchemaVersion());
    if (version > kSchemaVersion) return TooNew(version);
    if (version == kSchemaVersion) {
      schema_version_ = version;
      return DetectRowSecurity();
    }
    if (!session_.options().create_if_missing && version == 0) {
      return Status::NotFound("database " + Describe() +
                              " holds no flowsync data yet (run `flowsync sync` first)");
    }
    FS_TRY(session_.AcquireWriterLock());
    Status s = UpgradeLocked();
    session_.ReleaseWriterLock();
    FS_TRY(s);
    return DetectRowSecurity();
  }

  Status DetectRowSecurity() {
    FS_TRY_ASSIGN(PgResult r, data_.Exec("SELECT row_security_active('workflows')", {},
                                         "checking row-level security"));
    session_.set_rls(r.Bool(0, 0));
    return Status::OK();
  }

  Status UpgradeLocked() {
    FS_TRY(data_.ExecScript(fmt::format("CREATE SCHEMA IF NOT EXISTS \"{}\"", schema_),
                            "creating the schema"));
    FS_TRY(data_.ExecScript("BEGIN", "upgrading the schema"));
    auto reread = ReadSchemaVersion();
    if (!reread.ok()) {
      (void)data_.ExecScript("ROLLBACK");
      return reread.status();
    }
    int version = *reread;
    if (version > kSchemaVersion) {
      (void)data_.ExecScript("ROLLBACK");
      return TooNew(version);
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      Status s = data_.ExecScript(SchemaStep(SqlDialect::kPostgres, v),
                                  fmt::format("upgrading schema {} to {}", v, v + 1));
      if (s.ok()) {
        s = data_
                .Exec("UPDATE flowsync_meta SET value = $1 WHERE key = 'schema_version'",
                      {std::to_string(v + 1)})
                .status();
      }
      if (!s.ok()) {
        (void)data_.ExecScript("ROLLBACK");
        return s;
      }
    }
    FS_TRY(data_.ExecScript("COMMIT", "upgrading the schema"));
    schema_version_ = kSchemaVersion;
    return Status::OK();
  }

  Result<int> ReadSchemaVersion() {
    FS_TRY_ASSIGN(PgResult exists,
                  data_.Exec("SELECT to_regclass(format('%I.flowsync_meta', $1::text)) IS NOT "
                             "NULL, EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1)",
                             {schema_}, "reading the schema version"));
    if (!exists.Bool(0, 0)) {
      if (exists.Bool(0, 1)) {
        // Tables but no flowsync_meta: not ours, or another tool's tables in
        // a shared schema. Refuse only when they collide with ours.
        FS_TRY_ASSIGN(PgResult clash,
                      data_.Exec("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND "
                                 "tablename IN ('workflows', 'sync_runs', 'workflow_sync_log')",
                                 {schema_}));
        if (clash.Int(0, 0) > 0) {
          return Status::Unsupported("database " + Describe() +
                                     " holds a 'workflows' table that is not flowsync's (no "
                                     "flowsync_meta); refusing to touch it (choose another "
                                     "?schema=)");
        }
      }
      return 0;
    }
    FS_TRY_ASSIGN(PgResult r, data_.Exec("SELECT value FROM flowsync_meta WHERE key = "
                                         "'schema_version'"));
    if (r.rows() == 0) return Status::Corruption("database " + Describe() + ": no schema_version");
    std::string text = r.Text(0, 0);
    try {
      size_t used = 0;
      int v = std::stoi(text, &used);
      if (used == text.size() && v >= 0) return v;
    } catch (const std::exception&) {
    }
    return Status::Corruption("database " + Describe() + ": bad schema_version '" + text + "'");
  }

  Status TooNew(int version) const {
    return Status::Unsupported(fmt::format(
        "database {} has schema version {}, newer than this flowsync supports ({}); upgrade "
        "flowsync to use it (the database was not changed)",
        Describe(), version, kSchemaVersion));
  }

  PgSession session_;
  PgConn& data_;               // session_.data()
  const std::string& schema_;  // session_.schema()
  PgConnection connection_;
  SqlCatalog catalog_;
  int schema_version_ = 0;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const DatabaseUrl& url,
                                                 const StoreOptions& options) {
  DatabaseUrl parsed = url;
  // A DatabaseUrl made by hand has no conninfo or schema yet.
  if (parsed.schema.empty()) {
    FS_TRY_ASSIGN(parsed, ParseDatabaseUrl(url.url));
  }
  auto store = std::make_unique<PgStore>(std::move(parsed), options);
  FS_TRY(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace flowsync::postgres
