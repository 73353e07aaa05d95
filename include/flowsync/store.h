// Store: where flowsync keeps workflows, their history and the audit log.
//
// A Store is an open database (SQLite or PostgreSQL, chosen by URL:
// ParseDatabaseUrl in flowsync/database_url.h + OpenStore, as ccache picks
// storage) for one project. It hands out narrow interfaces, one per kind of
// work, so each caller sees only what it needs:
//   catalog()              reads, and a change cursor    (flowsync/catalog.h)
//   BeginSync()            one sync run's writes         (flowsync/sync_transaction.h)
//   OpenMigrationHistory() the migration runner          (flowsync/migration_history.h)
// A future execution queue (the scheduler's) is opened here the same way.
// The phase cache (flowsync/phase_cache.h) is not a store of its own: it
// reads phase workflows through catalog() and refreshes them by a sync.
// Every interface is backed by the same conformance suite on both backends.
//
// Concurrency model: many readers, one writer per database. A writing
// SyncTransaction holds the writer lock from BeginSync until Commit or
// destruction, so the state a sync plans against cannot change under it;
// readers never wait for the writer. Many processes on many machines may
// share one PostgreSQL database this way.
//
// Thread model: a Store is one database session (SQLite: one connection;
// PostgreSQL: a data connection and, while writing, a lock connection), and
// everything opened from it uses that session. Use a Store and what it
// opened from one thread at a time. Code that works on several threads at
// once (a server, workers) opens one Store per thread, or keeps a pool of
// Stores and lends each to one thread at a time; opening one costs a
// connection and a schema check, so a pool is what a server wants. Objects
// opened from a Store must not outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "flowsync/catalog.h"
#include "flowsync/clock.h"
#include "flowsync/database_url.h"
#include "flowsync/migration_history.h"
#include "flowsync/sql_dialect.h"
#include "flowsync/status.h"
#include "flowsync/sync_transaction.h"
#include "flowsync/workflow.h"

namespace flowsync {

// ---- Opening ------------------------------------------------------------------

inline constexpr char kDefaultProject[] = "default";

// Project names: 1-63 characters of [a-z0-9_-], starting with a letter or
// digit.
bool IsValidProjectName(std::string_view name);

struct StoreOptions {
  // How long a writer waits for another writer before failing with Busy.
  int lock_timeout_ms = 60'000;
  // When false, opening a database that does not exist is NotFound.
  bool create_if_missing = true;
  // The database belongs to another application too (n8n's database, whose
  // tables flowsync's live beside): an SQLite file that holds tables but
  // no flowsync ones is used when none of them has a flowsync table's name
  // (PostgreSQL always does so), and its journal mode is left as it is.
  bool shared_database = false;
  // The project this store reads and writes. Every workflow, version, log
  // row and sync run belongs to one; projects share nothing but the
  // database (on PostgreSQL, row-level security enforces it for roles that
  // do not own the tables: see GrantProject).
  std::string project = kDefaultProject;
  // The time a lock holder announces to waiters ("since=..."); nullptr:
  // SystemClock(). Row timestamps are the caller's (SyncTransaction) or the
  // database's (migrations).
  const Clock* clock = nullptr;
};

class Store {
 public:
  virtual ~Store() = default;

  // Schema version this database holds (after any upgrade done at open).
  virtual int SchemaVersion() const = 0;
  // A description for messages: "sqlite:.flowsync/flowsync.db",
  // "postgresql://HOST:PORT/DB (schema S)"; never holds a password.
  virtual std::string Describe() const = 0;
  // The project this store was opened for.
  virtual const std::string& project() const = 0;
  virtual SqlDialect dialect() const = 0;

  // Reads. The catalog lives as long as the store.
  virtual Catalog& catalog() = 0;
  // flowsync's own rows of the workflows a sync mirrors, which sync, pull
  // and restore compare the files against: the catalog, except for a store
  // over another application's tables (n8n's), whose catalog reads those.
  virtual Catalog& synced_catalog() { return catalog(); }

  // Starts a sync transaction. For writing (read_only == false) it first
  // takes the writer lock, waiting up to lock_timeout_ms, else Busy.
  virtual Result<std::unique_ptr<SyncTransaction>> BeginSync(bool read_only) = 0;

  // Thumbs up (+1) or down (-1) by `user`; a second vote replaces the first.
  virtual Status Rate(const std::string& workflow_id, const std::string& user, int value,
                      std::string_view now) = 0;

  // Lets database role `role` (and its members) read and write `project`,
  // or stops it (revoke). PostgreSQL only: the tables' owner grants, and
  // row-level security keeps every other role inside its projects.
  // Unsupported on SQLite, which has no roles.
  virtual Status GrantProject(const std::string& project, const std::string& role, bool revoke) = 0;

  // The migration runner's access; waits up to lock_timeout_ms for the
  // migration lock, else Busy naming the holder.
  virtual Result<std::unique_ptr<MigrationHistory>> OpenMigrationHistory() = 0;
};

// The shortest id prefix a workflow is found by (Catalog::FindWorkflow):
// shorter ones would match too many ids to be worth typing.
inline constexpr size_t kMinIdPrefixLength = 4;

// A WORKFLOW argument as users type it ("./flows/a.json", "bundles/b/"), in
// the form paths are stored: no leading "./", no trailing '/', and a name
// that is not valid UTF-8 (the file's own bytes) as its path text
// ("caf\xe9.json", docs/formats.md), which is also how it may be typed.
std::string NormaliseWorkflowQuery(std::string_view query);

// Opens (creating and upgrading the schema as needed) the database at `url`.
// Unsupported when the database was written by a newer flowsync.
Result<std::unique_ptr<Store>> OpenStore(const DatabaseUrl& url, const StoreOptions& options);

}  // namespace flowsync
