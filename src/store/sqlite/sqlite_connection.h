// A SQLite connection (Db) as the shared SQL layer sees it.
#pragma once

#include "store/sql_connection.h"
#include "store/sqlite/sqlite_db.h"

namespace flowsync::sqlite {

class SqliteConnection final : public SqlConnection {
 public:
  // REQUIRES: `db` outlives this object.
  explicit SqliteConnection(Db* db) : db_(db) {}

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  Status QueryEach(std::string_view sql, const std::vector<SqlValue>& params, std::string_view what,
                   const std::function<Status(const SqlRowView&)>& row) override;
  Status BeginRead() override { return db_->Exec("BEGIN DEFERRED"); }
  void EndRead() override { (void)db_->Exec("COMMIT"); }
  Status BeginWrite() override { return db_->BeginWrite(); }
  Status Commit() override { return db_->Exec("COMMIT"); }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_->handle())) (void)db_->Exec("ROLLBACK");
  }
  // Db binds every statement's :project parameter to the store's project.
  std::string_view ProjectSql() const override { return ":project"; }

 private:
  Db* db_;
};

}  // namespace flowsync::sqlite
