// Thin RAII wrappers over PGconn* and PGresult*. libpq failures become a
// Status in exactly one function, PgError().
//
// Thread-safety: none; one connection per thread.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"

namespace flowsync::postgres {

// Owns a PGresult.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r, &PQclear) {}
  PGresult* get() const { return r_.get(); }
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col),
                       static_cast<size_t>(PQgetlength(r_.get(), row, col)));
  }
  std::optional<std::string> OptionalText(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Text(row, col);
  }
  int64_t Int(int row, int col) const;
  bool Bool(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_{nullptr, &PQclear};
};

// A statement parameter: text, or SQL NULL.
using PgParam = std::optional<std::string_view>;

class PgConn {
 public:
  PgConn() = default;
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Connects with a libpq connection string or URI. `where` names the server
  // in messages ("127.0.0.1:5432/flowsync").
  Status Connect(const std::string& conninfo);
  bool connected() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  PGconn* handle() const { return conn_; }
  const std::string& where() const { return where_; }

  // Runs one statement (with $1.. parameters, text format) and returns its
  // result; any failure is a Status naming the server and `context`.
  Result<PgResult> Exec(std::string_view sql, const std::vector<PgParam>& params = {},
                        std::string_view context = {});
  // Runs statements without parameters (may hold several; no result).
  Status ExecScript(std::string_view sql, std::string_view context = {});
  // COPY ... FROM STDIN with `data` in COPY text format.
  Status Copy(std::string_view copy_sql, std::string_view data, std::string_view context = {});
  // The same in steps, so that rows stream to the server while the caller
  // produces more: CopyBegin, any number of CopyPut, CopyEnd (which reports
  // the server's verdict on all of it).
  Status CopyBegin(std::string_view copy_sql, std::string_view context = {});
  Status CopyPut(std::string_view data, std::string_view context = {});
  Status CopyEnd(std::string_view context = {});

 private:
  // The fault trials' seam (tests/crash/crash_trials.py --fault statement):
  // with FLOWSYNC_FAULT_DROP_STATEMENT=N in the environment, the server
  // ends this session (pg_terminate_backend of its own backend) just before
  // the process's N-th statement, as a dropped connection would, so that
  // statement and every later one on the session fail. Unset: nothing.
  void MaybeDropBeforeStatement();

  PGconn* conn_ = nullptr;
  std::string where_;
};

// Maps a failure of `conn` (and optionally its failed result) to a Status:
// IOError for connection and server failures (the message names host, port
// and database and says what failed), Busy for lock and serialization
// conflicts, Unsupported for missing privileges, Internal otherwise.
Status PgError(PGconn* conn, const PGresult* result, std::string_view where,
               std::string_view context);

// Builds rows of COPY text format into a buffer.
class CopyRows {
 public:
  CopyRows& Field(std::string_view text);  // escaped
  CopyRows& Field(int64_t value);
  CopyRows& Null();
  CopyRows& Optional(const std::optional<std::string>& text) {
    return text ? Field(std::string_view(*text)) : Null();
  }
  void EndRow();
  const std::string& data() const { return data_; }
  bool empty() const { return data_.empty(); }
  void Clear() { data_.clear(); }

 private:
  void Separate();
  std::string data_;
  bool row_open_ = false;
};

// COPY rows (COPY text format) into `table` (`columns`, comma-separated).
// PostgreSQL refuses COPY FROM into a table whose row-level security applies
// to the session (`rls`: roles other than the owner), so such sessions copy
// into a temporary twin and move the rows with INSERT ... SELECT, which the
// policies check row by row.
Status CopyInto(PgConn& conn, bool rls, std::string_view table, std::string_view columns,
                std::string_view data, std::string_view context);

// Moves the rows of `table`'s temporary twin (flowsync_tmp_<table>) into it
// with INSERT ... SELECT and empties the twin.
Status MoveFromTwin(PgConn& conn, std::string_view table, std::string_view columns,
                    std::string_view context);

}  // namespace flowsync::postgres
