#include "store/postgres/pg_session.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "util/host.h"
#include "util/time_format.h"

namespace flowsync::postgres {
namespace {

// The writer lock's key: one per schema, so teams sharing a server in
// different schemas do not wait for each other.
std::pair<int32_t, int32_t> LockKey(const std::string& schema) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : "flowsync:" + schema) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return {static_cast<int32_t>(h >> 32), static_cast<int32_t>(h & 0xffffffffu)};
}

}  // namespace

Status PgSession::Open() {
  lock_key_ = LockKey(url_.schema);
  return Connect(data_);
}

std::string PgSession::Describe() const {
  return fmt::format("postgresql://{} (schema {}{})", data_.where(), url_.schema,
                     options_.project == kDefaultProject ? "" : ", project " + options_.project);
}

Status PgSession::Connect(PgConn& conn) {
  FS_TRY(conn.Connect(url_.conninfo));
  FS_TRY(conn.ExecScript(fmt::format("SET search_path TO \"{}\"; SET TIME ZONE 'UTC'", url_.schema),
                         "setting the schema"));
  // Short statements only: compiling one (tens of milliseconds) never pays.
  // A PostgreSQL-compatible server without the setting is no error.
  (void)conn.ExecScript("SET jit = off", "turning JIT off");
  return conn
      .Exec("SELECT set_config('flowsync.project', $1, false)", {options_.project},
            "choosing the project")
      .status();
}

Status PgSession::AcquireWriterLock() {
  if (!lock_.connected()) FS_TRY(Connect(lock_));
  // PgParam views these strings: they must outlive the loop.
  const std::string key1 = std::to_string(lock_key_.first);
  const std::string key2 = std::to_string(lock_key_.second);
  const std::vector<PgParam> key = {key1, key2};
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.lock_timeout_ms);
  while (true) {
    FS_TRY_ASSIGN(PgResult r, lock_.Exec("SELECT pg_try_advisory_lock($1::int, $2::int)", key,
                                         "taking the writer lock"));
    if (r.Bool(0, 0)) break;
    if (std::chrono::steady_clock::now() >= deadline) return Status::Busy(HolderMessage());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Tell waiters who holds the lock, and since when.
  std::string holder =
      fmt::format("flowsync pid={} host={} since={}", ::getpid(), HostName().substr(0, 20),
                  FormatTimestampMs((options_.clock ? *options_.clock : SystemClock()).NowMs()));
  (void)lock_.Exec("SELECT set_config('application_name', $1, false)", {holder});
  return Status::OK();
}

std::string PgSession::HolderMessage() {
  std::string who = "another flowsync process";
  auto r = lock_.Exec(
      "SELECT a.application_name, a.pid, COALESCE(a.client_hostname, host(a.client_addr), "
      "'local socket') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE "
      "l.locktype = 'advisory' AND l.granted AND l.classid::int = $1::int AND "
      "l.objid::int = $2::int AND l.objsubid = 2",
      {std::to_string(lock_key_.first), std::to_string(lock_key_.second)});
  if (r.ok() && r->rows() > 0) {
    who = fmt::format("{} (server backend pid {}, client {})", r->Text(0, 0), r->Text(0, 1),
                      r->Text(0, 2));
  }
  return fmt::format(
      "database {} is locked by another writer: {}; waited {} s (raise --lock-timeout, or "
      "retry when it is done)",
      Describe(), who, options_.lock_timeout_ms / 1000.0);
}

Status PgSession::LockStillHeld() {
  auto r = lock_.Exec("SELECT 1", {}, "checking the writer lock");
  if (!r.ok()) {
    return Status::IOError("lost the writer lock connection to PostgreSQL " + lock_.where() +
                           "; the run was rolled back");
  }
  return Status::OK();
}

void PgSession::ReleaseWriterLock() {
  if (lock_.connected()) {
    (void)lock_.Exec("SELECT pg_advisory_unlock($1::int, $2::int)",
                     {std::to_string(lock_key_.first), std::to_string(lock_key_.second)});
    (void)lock_.Exec("SET application_name = 'flowsync'");
  }
}

}  // namespace flowsync::postgres
