// A PostgreSQL connection (PgConn) as the shared SQL layer sees it.
#pragma once

#include <string>

#include "store/postgres/pg_db.h"
#include "store/sql_connection.h"

namespace flowsync::postgres {

class PgConnection final : public SqlConnection {
 public:
  // REQUIRES: `conn` outlives this object.
  explicit PgConnection(PgConn* conn) : conn_(conn) {}

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  Status QueryEach(std::string_view sql, const std::vector<SqlValue>& params, std::string_view what,
                   const std::function<Status(const SqlRowView&)>& row) override;
  Status BeginRead() override {
    return conn_->ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                             "starting a read-only transaction");
  }
  void EndRead() override { (void)conn_->ExecScript("COMMIT"); }
  bool InTransaction() const override {
    return PQtransactionStatus(conn_->handle()) != PQTRANS_IDLE;
  }
  Status BeginWrite() override { return conn_->ExecScript("BEGIN", "starting a transaction"); }
  Status Commit() override { return conn_->ExecScript("COMMIT", "committing"); }
  // Outside a transaction PostgreSQL only warns.
  void Rollback() override { (void)conn_->ExecScript("ROLLBACK"); }
  // Sessions set flowsync.project when they connect (PgSession::Connect).
  std::string_view ProjectSql() const override { return "current_setting('flowsync.project')"; }
  Status Notify(std::string_view channel) override;
  Result<bool> WaitForNotification(std::string_view channel, int64_t timeout_ms) override;

 private:
  PgConn* conn_;
  std::string listening_;  // the channel this session LISTENs on, if any
};

}  // namespace flowsync::postgres
