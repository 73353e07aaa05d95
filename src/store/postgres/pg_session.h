// The PostgreSQL session behind a store: the data connection every
// operation of the store uses, and the writer lock.
//
// Writers serialise on a session advisory lock keyed by the schema, taken
// with pg_try_advisory_lock in a loop (every 100 ms, up to the store's lock
// timeout) on a dedicated connection, never blocking inside
// pg_advisory_lock, so a waiter can give up and name the holder: the holder
// sets its application_name to "flowsync pid=... host=... since=...".
//
// Thread-safety: none; one thread at a time, as its Store.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "flowsync/store.h"
#include "store/postgres/pg_db.h"

namespace flowsync::postgres {

class PgSession {
 public:
  PgSession(DatabaseUrl url, StoreOptions options)
      : url_(std::move(url)), options_(std::move(options)) {}

  // Connects the data connection, with search_path, UTC and the project set.
  // REQUIRES: `url` came from ParseDatabaseUrl (conninfo and schema set).
  Status Open();

  PgConn& data() { return data_; }
  const std::string& schema() const { return url_.schema; }
  const StoreOptions& options() const { return options_; }
  // "postgresql://HOST:PORT/DB (schema S[, project P])".
  std::string Describe() const;

  // Whether row-level security applies to this session's role (any role
  // but the tables' owner): such sessions may not COPY into the tables.
  bool rls() const { return rls_; }
  void set_rls(bool rls) { rls_ = rls; }

  // Takes the writer lock, waiting up to the lock timeout; Busy naming the
  // holder after that.
  Status AcquireWriterLock();
  // IOError when the lock connection died (another writer may be running):
  // check before every COMMIT made under the lock.
  Status LockStillHeld();
  // Releases the lock (a no-op when not held).
  void ReleaseWriterLock();

 private:
  Status Connect(PgConn& conn);
  std::string HolderMessage();

  DatabaseUrl url_;
  StoreOptions options_;
  std::pair<int32_t, int32_t> lock_key_;
  PgConn data_;
  PgConn lock_;
  bool rls_ = false;
};

}  // namespace flowsync::postgres
