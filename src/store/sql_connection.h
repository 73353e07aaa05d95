// The shared SQL layer's view of a backend session (internal).
//
// The parts of the store that are the same SQL on both backends (the
// catalog's reads, the migration history) are written once against this
// interface; each backend adapts its connection to it (SqliteConnection,
// PgConnection). The hot write path of a sync stays backend-specific
// (prepared statements on SQLite, COPY on PostgreSQL).
//
// Statements use $1..$n parameters on both backends, and ProjectSql() for
// the store's project. Every result column comes back as text (NULL as
// nullopt); write booleans as CASE WHEN ... THEN 1 ELSE 0 END so both
// dialects answer "1"/"0".
//
// Thread-safety: as the Store owning it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/sql_dialect.h"
#include "flowsync/status.h"
#include "flowsync/store.h"

namespace flowsync {

// One value of a result row or a statement parameter: text, or SQL NULL.
using SqlValue = std::optional<std::string>;
using SqlRow = std::vector<SqlValue>;
// A result row as QueryEach hands it over: views valid during the call.
using SqlRowView = std::vector<std::optional<std::string_view>>;

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual SqlDialect dialect() const = 0;

  // One statement with parameters $1..$n (each may appear more than once;
  // nullopt is NULL). `what` says what was being done, for messages.
  // (QueryEach, collected.)
  Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params = {},
                                    std::string_view what = {});
  // The same, handing each row to `row` as it comes instead of collecting
  // them (for results of many rows that the caller turns into its own
  // values). A non-OK Status from `row` stops the query and is returned.
  virtual Status QueryEach(std::string_view sql, const std::vector<SqlValue>& params,
                           std::string_view what,
                           const std::function<Status(const SqlRowView&)>& row) = 0;
  // Starts a read-only snapshot (SQLite: BEGIN DEFERRED; PostgreSQL:
  // REPEATABLE READ READ ONLY) and ends it.
  virtual Status BeginRead() = 0;
  virtual void EndRead() = 0;
  // Whether a transaction is open on this connection (a read inside it
  // needs no snapshot of its own: it reads what the transaction sees).
  virtual bool InTransaction() const = 0;
  // A short write transaction (SQLite: BEGIN IMMEDIATE, waiting for the
  // writer lock up to the lock timeout; PostgreSQL: BEGIN, READ COMMITTED,
  // row locks) and its end. Rollback is a no-op outside a transaction.
  virtual Status BeginWrite() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
  // An expression for the store's project ("current_setting(...)" or a
  // bound parameter).
  virtual std::string_view ProjectSql() const = 0;

  // Wake-ups between processes, a hint only (PostgreSQL LISTEN/NOTIFY; a
  // backend without them, or a pooler that drops them, leaves the caller to
  // its polling). Notify sends on `channel` (at commit inside a
  // transaction); WaitForNotification listens on `channel` (from the first
  // call on) and returns true as soon as a notification came, false after
  // `timeout_ms` without one. Defaults: nothing sent, a plain sleep.
  virtual Status Notify(std::string_view channel);
  virtual Result<bool> WaitForNotification(std::string_view channel, int64_t timeout_ms);
};

// A store whose backend speaks SQL: every backend. Lets the shared SQL code
// and the tests reach the store's session.
class SqlStore : public Store {
 public:
  virtual SqlConnection& connection() = 0;
};

// The connection of `store` (a SqlStore: every store OpenStore returns).
// For tests that inspect tables directly, and for shared SQL code.
SqlConnection& ConnectionOf(Store& store);

// Reading rows: a column as text ("" for NULL), as an integer (0 for NULL or
// anything else that is not one), as a boolean ("1", "t" or "true").
std::string SqlText(const SqlValue& v);
int64_t SqlInt(const SqlValue& v);
int64_t SqlInt(std::optional<std::string_view> v);
bool SqlBool(const SqlValue& v);

}  // namespace flowsync
