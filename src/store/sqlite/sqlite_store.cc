// SQLite backend. One connection per Store. Writers serialise on SQLite's
// own write lock, taken at the start of a sync with BEGIN IMMEDIATE and
// waited for through the busy timeout; readers use WAL snapshots and never
// wait.
#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "flowsync/phase_cache.h"
#include "store/schema.h"
#include "store/sql_catalog.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_migration_history.h"
#include "store/sqlite/sqlite_sync_transaction.h"

namespace flowsync::sqlite {
namespace {

class SqliteStore final : public SqlStore {
 public:
  SqliteStore(std::string path, StoreOptions options)
      : path_(std::move(path)), options_(options), connection_(&db_), catalog_(connection_) {}

  Status Open() {
    FS_TRY(db_.Open(path_, options_.create_if_missing));
    db_.set_project(options_.project);
    db_.set_label(Describe());
    db_.SetLockTimeout(options_.lock_timeout_ms);
    // Two processes creating or upgrading one database can deadlock on
    // SQLite's lock upgrade, which returns BUSY at once instead of waiting:
    // try again until the lock timeout.
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.lock_timeout_ms);
    while (true) {
      Status s = Initialize();
      if (s.code() != StatusCode::kBusy || std::chrono::steady_clock::now() >= deadline) {
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  Status Initialize() {
    if (options_.create_if_missing && !options_.shared_database) {
      // Workflow rows are ~10 KB of JSON: big pages mean fewer overflow
      // pages and far fewer system calls. Takes effect on a new database.
      FS_TRY(db_.Exec("PRAGMA page_size = 16384"));
      // WAL: readers never wait for the writer. The mode is stored in the
      // file, so only the process that may create the database sets it.
      Status s = db_.Exec("PRAGMA journal_mode = WAL");
      if (!s.ok()) return Describe(s);
    }
    // synchronous=NORMAL is safe against process crashes (a run is all or
    // nothing); a power loss can lose the last committed run, never corrupt
    // the file. Temporary tables and sorts beyond the cache spill to a
    // temporary file (SQLite's default), not to memory: the duplicate source
    // id check of a million workflows sorts them all (480 MB in memory).
    FS_TRY(db_.Exec(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -16000"));
    return UpgradeSchema();
  }

  int SchemaVersion() const override { return schema_version_; }
  std::string Describe() const override {
    return "sqlite:" + path_ +
           (options_.project == kDefaultProject ? "" : " (project " + options_.project + ")");
  }
  const std::string& project() const override { return options_.project; }

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  Catalog& catalog() override { return catalog_; }
  SqlConnection& connection() override { return connection_; }

  Result<std::unique_ptr<MigrationHistory>> OpenMigrationHistory() override {
    return OpenSqliteMigrationHistory(&db_, path_, Describe(), options_.lock_timeout_ms,
                                      options_.clock ? *options_.clock : SystemClock());
  }

  Status GrantProject(const std::string&, const std::string&, bool) override {
    return Status::Unsupported(
        "projects are granted to database roles, which SQLite does not have; use PostgreSQL");
  }

  Result<std::unique_ptr<SyncTransaction>> BeginSync(bool read_only) override {
    if (read_only) {
      Status s = db_.Exec("BEGIN DEFERRED");
      if (!s.ok()) return Describe(s);
    } else {
      FS_TRY(db_.BeginWrite());
    }
    return NewSqliteSyncTransaction(&db_, read_only);
  }

  Status Rate(const std::string& workflow_id, const std::string& user, int value,
              std::string_view now) override {
    if (value != 1 && value != -1) return Status::InvalidArgument("a rating is +1 or -1");
    FS_TRY(db_.BeginWrite());
    FS_TRY_ASSIGN(Stmt st, db_.Prepare("INSERT INTO workflow_ratings (workflow_id, user_name, "
                                       "value, rated_at) VALUES (?, ?, ?, ?) ON CONFLICT "
                                       "(workflow_id, user_name) DO UPDATE SET value = "
                                       "excluded.value, rated_at = excluded.rated_at"));
    st.Bind(1, workflow_id).Bind(2, user).Bind(3, int64_t{value}).Bind(4, now);
    Status s = st.Run();
    if (!s.ok()) {
      (void)db_.Exec("ROLLBACK");
      return s;
    }
    return db_.Exec("COMMIT");
  }

 private:
  Status Describe(const Status& s) const {
    // SqliteError names a read-only database itself.
    if (s.message().rfind("database ", 0) == 0) return s;
    return s.WithPrefix("database " + Describe());
  }

  Result<int> ReadSchemaVersion() {
    FS_TRY_ASSIGN(Stmt tables, db_.Prepare("SELECT COUNT(*), SUM(name = 'flowsync_meta') FROM "
                                           "sqlite_master WHERE type = 'table'"));
    FS_TRY_ASSIGN(bool row, tables.Step());
    (void)row;
    int64_t count = tables.Int(0);
    bool has_meta = tables.Int(1) > 0;
    tables.Reset();
    if (count == 0) return 0;
    if (!has_meta && options_.shared_database) {
      FS_TRY_ASSIGN(Stmt clash, db_.Prepare("SELECT count(*) FROM sqlite_master WHERE type = "
                                            "'table' AND name IN ('workflows', 'sync_runs', "
                                            "'workflow_sync_log', 'workflow_versions')"));
      FS_TRY_ASSIGN(bool clash_row, clash.Step());
      (void)clash_row;
      if (clash.Int(0) == 0) return 0;
    }
    if (!has_meta) {
      return Status::Unsupported("database " + Describe() +
                                 " holds tables but is no flowsync database (no flowsync_meta "
                                 "table); refusing to touch it");
    }
    FS_TRY_ASSIGN(Stmt st,
                  db_.Prepare("SELECT value FROM flowsync_meta WHERE key = 'schema_version'"));
    FS_TRY_ASSIGN(bool has, st.Step());
    if (!has) return Status::Corruption("database " + Describe() + ": no schema_version");
    std::string text = st.Text(0);
    try {
      size_t used = 0;
      int v = std::stoi(text, &used);
      if (used == text.size() && v >= 0) return v;
    } catch (const std::exception&) {
    }
    return Status::Corruption("database " + Describe() + ": bad schema_version '" + text + "'");
  }

  Status UpgradeSchema() {
    FS_TRY_ASSIGN(int version, ReadSchemaVersion());
    if (version > kSchemaVersion) return TooNew(version);
    if (version == 0 && !options_.create_if_missing) {
      // An empty file: not created yet, or being created right now.
      return Status::NotFound("database " + Describe() +
                              " holds no flowsync data yet (run `flowsync sync` first)");
    }
    if (version == kSchemaVersion) {
      schema_version_ = version;
      return Status::OK();
    }
    // Steps may rebuild tables, which SQLite allows only with foreign keys
    // off (the pragma is a no-op inside a transaction); they are checked
    // before the commit instead.
    FS_TRY(db_.Exec("PRAGMA foreign_keys = OFF"));
    Status s = UpgradeWithoutForeignKeys(version);
    Status on = db_.Exec("PRAGMA foreign_keys = ON");
    FS_TRY(s);
    return on;
  }

  Status UpgradeWithoutForeignKeys(int version) {
    // Take the write lock, then look again: another process may have
    // upgraded the database meanwhile.
    Status s = db_.BeginWrite();
    if (!s.ok()) return s;
    auto reread = ReadSchemaVersion();
    if (!reread.ok()) {
      (void)db_.Exec("ROLLBACK");
      return reread.status();
    }
    version = *reread;
    if (version > kSchemaVersion) {
      (void)db_.Exec("ROLLBACK");
      return TooNew(version);
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      s = db_.Exec(SchemaStep(SqlDialect::kSqlite, v));
      if (s.ok()) {
        auto st = db_.Prepare("UPDATE flowsync_meta SET value = ? WHERE key = 'schema_version'");
        s = st.ok() ? st->Bind(1, std::to_string(v + 1)).Run() : st.status();
      }
      if (!s.ok()) {
        (void)db_.Exec("ROLLBACK");
        return s.WithPrefix(fmt::format("upgrading {} from schema {} to {}", Describe(), v, v + 1));
      }
    }
    if (auto check = db_.Prepare("PRAGMA foreign_key_check"); !check.ok()) {
      s = check.status();
    } else {
      Result<bool> broken = check->Step();
      if (!broken.ok()) {
        s = broken.status();
      } else if (*broken) {
        s = Status::Corruption("a foreign key is broken after the upgrade");
      }
    }
    if (!s.ok()) {
      (void)db_.Exec("ROLLBACK");
      return s.WithPrefix(fmt::format("upgrading {} to schema {}", Describe(), kSchemaVersion));
    }
    FS_TRY(db_.Exec("COMMIT"));
    schema_version_ = kSchemaVersion;
    return Status::OK();
  }

  Status TooNew(int version) const {
    return Status::Unsupported(
        fmt::format("database {} has schema version {}, newer than this flowsync supports ({}); "
                    "upgrade flowsync to use it (the database was not changed)",
                    Describe(), version, kSchemaVersion));
  }

  std::string path_;
  StoreOptions options_;
  mutable Db db_;
  SqliteConnection connection_;
  SqlCatalog catalog_;
  int schema_version_ = 0;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const StoreOptions& options) {
  if (!options.create_if_missing) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return Status::NotFound("no database at " + path + ": the file does not exist");
    }
  }
  auto store = std::make_unique<SqliteStore>(path, options);
  FS_TRY(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace flowsync::sqlite
