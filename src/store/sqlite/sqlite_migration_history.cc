#include "store/sqlite/sqlite_migration_history.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "sql/script.h"
#include "store/sql_migration_history.h"
#include "store/sqlite/sqlite_connection.h"
#include "util/host.h"
#include "util/posix_error.h"
#include "util/time_format.h"

namespace flowsync::sqlite {
namespace {

class SqliteMigrationHistory final : public SqlMigrationHistory {
 public:
  SqliteMigrationHistory(Db* db, int lock_fd)
      : SqlMigrationHistory(connection_), db_(db), connection_(db), lock_fd_(lock_fd) {}
  ~SqliteMigrationHistory() override {
    Rollback();
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  }

  Status Begin() override {
    FS_TRY(db_->BeginWrite());
    in_transaction_ = true;
    return Status::OK();
  }
  Status Commit() override {
    FS_TRY(db_->Exec("COMMIT"));  // on failure the transaction is still open
    in_transaction_ = false;
    return Status::OK();
  }
  void Rollback() override {
    if (in_transaction_) (void)db_->Exec("ROLLBACK");
    in_transaction_ = false;
  }

  Status ExecScript(std::string_view sql, int* statements_run) override {
    int done = 0;
    if (statements_run != nullptr) *statements_run = 0;
    const char* begin = sql.data();
    const char* rest = begin;
    const char* end = begin + sql.size();
    while (rest < end) {
      size_t offset = SkipBlanksAndComments(sql, static_cast<size_t>(rest - begin));
      sqlite3_stmt* raw = nullptr;
      const char* tail = nullptr;
      int rc = sqlite3_prepare_v2(db_->handle(), rest, static_cast<int>(end - rest), &raw, &tail);
      Stmt st(db_->handle(), raw);
      if (rc != SQLITE_OK) {
        return ScriptStatementError(sql, offset, done + 1,
                                    SqliteError(db_->handle(), rc, "preparing"));
      }
      rest = tail;
      if (!st.valid()) continue;  // blanks or comments only
      while (true) {
        Result<bool> row = st.Step();
        if (!row.ok()) return ScriptStatementError(sql, offset, done + 1, row.status());
        if (!*row) break;
      }
      ++done;
      if (statements_run != nullptr) *statements_run = done;
    }
    return Status::OK();
  }

 private:
  Db* db_;
  SqliteConnection connection_;
  int lock_fd_;
  bool in_transaction_ = false;
};

}  // namespace

Result<std::unique_ptr<MigrationHistory>> OpenSqliteMigrationHistory(Db* db,
                                                                     const std::string& path,
                                                                     const std::string& describe,
                                                                     int lock_timeout_ms,
                                                                     const Clock& clock) {
  // A private in-memory database (a plan against a database that does not
  // exist yet) has no other runner to keep out.
  if (path == ":memory:" || path.empty()) {
    return std::unique_ptr<MigrationHistory>(new SqliteMigrationHistory(db, -1));
  }
  std::string lock_path = path + "-migrate.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return PosixError("opening the migration lock " + lock_path, errno);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(lock_timeout_ms);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      ::close(fd);
      return PosixError("locking " + lock_path, err);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      char holder[256] = {};
      ssize_t n = ::pread(fd, holder, sizeof(holder) - 1, 0);
      ::close(fd);
      std::string who = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "another process";
      while (!who.empty() && (who.back() == '\n' || who.back() == '\0')) who.pop_back();
      return Status::Busy(fmt::format(
          "database {} is being migrated by {}; waited {} s (raise --lock-timeout, or retry "
          "when it is done)",
          describe, who, lock_timeout_ms / 1000.0));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Tell waiters who holds the lock, and since when.
  std::string holder = fmt::format("flowsync pid={} host={} since={}\n", ::getpid(), HostName(),
                                   FormatTimestampMs(clock.NowMs()));
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, holder.data(), holder.size(), 0) != static_cast<ssize_t>(holder.size())) {
    // The holder line is a courtesy to waiters; the lock itself is held.
  }
  return std::unique_ptr<MigrationHistory>(new SqliteMigrationHistory(db, fd));
}

}  // namespace flowsync::sqlite
