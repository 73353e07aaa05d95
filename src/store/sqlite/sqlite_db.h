// Thin RAII wrappers over sqlite3* and sqlite3_stmt*. SQLite result codes
// become a Status in exactly one function, SqliteError().
//
// Thread-safety: none; one connection per thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "flowsync/status.h"

namespace flowsync::sqlite {

// Busy for SQLITE_BUSY/LOCKED, Corruption for CORRUPT/NOTADB, IOError for
// CANTOPEN/IOERR/FULL/READONLY, Internal otherwise; the message is
// "<context>: <sqlite message>", and for READONLY it names the database
// file: "database sqlite:FILE is read-only: <context>: <sqlite message> ...".
Status SqliteError(sqlite3* db, int rc, std::string_view context);

class Stmt {
 public:
  Stmt() = default;
  // `project`, when given, is bound to the statement's :project parameter
  // (if it has one) before each execution. REQUIRES: it outlives the Stmt.
  Stmt(sqlite3* db, sqlite3_stmt* stmt, const std::string* project = nullptr)
      : db_(db), stmt_(stmt), project_(project) {}
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(Stmt&& other) noexcept
      : db_(other.db_), stmt_(other.stmt_), project_(other.project_), fresh_(other.fresh_) {
    other.stmt_ = nullptr;
  }
  Stmt& operator=(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool valid() const { return stmt_ != nullptr; }
  sqlite3_stmt* handle() const { return stmt_; }

  // Parameters are 1-based, as in SQLite. A named parameter (":name") is
  // numbered one above the largest number before it in the text, so use
  // names or numbers consistently within one statement. Text is bound as a copy-free view:
  // REQUIRES: the data outlives the next Step()/Reset().
  Stmt& Bind(int index, std::string_view text);
  Stmt& Bind(int index, int64_t value);
  Stmt& BindNull(int index);
  Stmt& BindOptional(int index, const std::optional<std::string>& text);

  // true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion and resets for reuse (keeps bindings cleared).
  Status Run();
  void Reset();

  std::string Text(int column) const;
  std::string_view TextView(int column) const;
  int64_t Int(int column) const;
  bool IsNull(int column) const;
  std::optional<std::string> OptionalText(int column) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  const std::string* project_ = nullptr;
  bool fresh_ = true;  // not stepped since the last reset
};

class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Opens (or creates, when `create`) the database file at `path`.
  Status Open(const std::string& path, bool create);
  // The project every statement's :project parameter is bound to.
  void set_project(std::string project) { project_ = std::move(project); }
  // How the database is named in messages ("sqlite:x.db (project p)").
  void set_label(std::string label) { label_ = std::move(label); }
  // How long a statement waits for a lock another connection holds.
  void SetLockTimeout(int timeout_ms);
  Status Exec(std::string_view sql);
  // BEGIN IMMEDIATE: takes the writer lock, waiting up to the lock timeout.
  // Busy after that, naming the database and the process holding the lock
  // where the system tells it (else how to find it); other failures name
  // the database too. Corruption, before anything is written, when the
  // file at the path is no longer the one opened (replaced or removed
  // since: what this connection would write nobody would read).
  Status BeginWrite();
  Result<Stmt> Prepare(std::string_view sql);
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::string project_;
  std::string label_;
  int lock_timeout_ms_ = 0;
  // The opened file's device and inode (unset for an in-memory database).
  std::optional<std::pair<uint64_t, uint64_t>> file_id_;
};

}  // namespace flowsync::sqlite
