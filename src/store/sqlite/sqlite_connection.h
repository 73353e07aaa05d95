// A SQLite connection (Db) as the shared SQL layer sees it.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

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
  bool InTransaction() const override { return !sqlite3_get_autocommit(db_->handle()); }
  Status BeginWrite() override { return db_->BeginWrite(); }
  Status Commit() override { return db_->Exec("COMMIT"); }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_->handle())) (void)db_->Exec("ROLLBACK");
  }
  // Db binds every statement's :project parameter to the store's project.
  std::string_view ProjectSql() const override { return ":project"; }

 private:
  // Statements prepared once per connection and reused (reset after each
  // use, so none holds a read open), up to kCacheSize distinct texts; a
  // statement already running (a query inside another's row callback)
  // gets a fresh one.
  struct Cached {
    Stmt stmt;
    bool in_use = false;
  };
  static constexpr size_t kCacheSize = 128;

  Db* db_;
  std::unordered_map<std::string, std::unique_ptr<Cached>> cache_;
};

}  // namespace flowsync::sqlite
