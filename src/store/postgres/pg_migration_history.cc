#include "store/postgres/pg_migration_history.h"

#include "sql/script.h"
#include "store/postgres/pg_connection.h"
#include "store/sql_migration_history.h"

namespace flowsync::postgres {
namespace {

class PgMigrationHistory final : public SqlMigrationHistory {
 public:
  explicit PgMigrationHistory(PgSession* session)
      : SqlMigrationHistory(connection_), store_(session), connection_(&session->data()) {}
  ~PgMigrationHistory() override {
    Rollback();
    store_->ReleaseWriterLock();
  }

  Status Begin() override {
    FS_TRY(store_->data().ExecScript("BEGIN", "starting a migration transaction"));
    in_transaction_ = true;
    return Status::OK();
  }
  Status Commit() override {
    // A lost lock connection means another runner may have started: give
    // up rather than commit unguarded.
    Status held = store_->LockStillHeld();
    if (!held.ok()) {
      Rollback();
      return held;
    }
    in_transaction_ = false;
    return store_->data().ExecScript("COMMIT", "committing a migration");
  }
  void Rollback() override {
    if (in_transaction_) (void)store_->data().ExecScript("ROLLBACK");
    in_transaction_ = false;
  }

  Status ExecScript(std::string_view sql, int* statements_run) override {
    if (statements_run != nullptr) *statements_run = 0;
    std::vector<ScriptStatement> statements = SplitSqlScript(sql);
    if (in_transaction_ && statements.size() > 1) {
      // One round trip for the whole file, behind a savepoint. Only inside
      // a transaction: outside one, a multi-statement query would be
      // wrapped in an implicit transaction.
      std::string batch = "SAVEPOINT flowsync_script;\n";
      batch.append(sql);
      if (store_->data().ExecScript(batch, "migration").ok()) {
        if (statements_run != nullptr) *statements_run = static_cast<int>(statements.size());
        return Status::OK();
      }
      // Run it again statement by statement to say which one failed.
      FS_TRY(store_->data().ExecScript("ROLLBACK TO SAVEPOINT flowsync_script", "migration"));
    }
    int done = 0;
    for (const ScriptStatement& st : statements) {
      Status s = store_->data().ExecScript(sql.substr(st.offset, st.length), "migration");
      if (!s.ok()) return ScriptStatementError(sql, st.offset, done + 1, s);
      ++done;
      if (statements_run != nullptr) *statements_run = done;
    }
    return Status::OK();
  }

 private:
  PgSession* store_;
  PgConnection connection_;
  bool in_transaction_ = false;
};

}  // namespace

Result<std::unique_ptr<MigrationHistory>> OpenPgMigrationHistory(PgSession* session) {
  FS_TRY(session->AcquireWriterLock());
  return std::unique_ptr<MigrationHistory>(new PgMigrationHistory(session));
}

}  // namespace flowsync::postgres
