#include "store/sqlite/sqlite_db.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "util/lock_holder.h"

namespace flowsync::sqlite {
namespace {

// Where SQLite's unix VFS takes the writer's locks (os_unix.c, wal.c): in
// WAL mode byte 120 of the -shm file (WAL_WRITE_LOCK); in rollback mode the
// RESERVED byte of the database file, or the PENDING byte before it and the
// first SHARED byte after it, which an EXCLUSIVE holder locks.
constexpr uint64_t kWalWriteLockByte = 120;
constexpr uint64_t kPendingByte = 0x40000000;

// Who holds the writer lock of the database file at `path`, in words.
std::string WriterLockHolder(const std::string& path) {
  std::optional<LockHolder> holder = PosixLockHolder(path + "-shm", kWalWriteLockByte);
  for (uint64_t byte : {kPendingByte + 1, kPendingByte, kPendingByte + 2}) {
    if (!holder) holder = PosixLockHolder(path, byte);
  }
  if (!holder) {
    return fmt::format(
        "its holder is not visible from here (`fuser -v {}` lists the processes "
        "that have the file open)",
        path);
  }
  return fmt::format("process {}{} on this machine holds it", holder->pid,
                     holder->command.empty() ? "" : " (" + holder->command + ")");
}

}  // namespace

Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg = fmt::format("{}: {}", context, detail);
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  if ((rc & 0xff) == SQLITE_READONLY && file != nullptr && *file != '\0') {
    return Status::IOError(
        fmt::format("database sqlite:{} is read-only: {} (check the permissions of the file, of "
                    "its -wal and -shm files and of its folder)",
                    file, msg));
  }
  if (((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR) && file != nullptr &&
      *file != '\0') {
    return Status::IOError(fmt::format(
        "database sqlite:{}: {} ({})", file, msg,
        (rc & 0xff) == SQLITE_FULL
            ? "the disk is full: free space on it, then run again"
            : "a read, write or fsync of the file failed: check the disk and its file system"));
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(msg));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Status::IOError(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    project_ = other.project_;
    fresh_ = other.fresh_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}

Stmt& Stmt::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Stmt& Stmt::BindOptional(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Result<bool> Stmt::Step() {
  if (fresh_ && project_ != nullptr) {
    int index = sqlite3_bind_parameter_index(stmt_, ":project");
    if (index > 0) Bind(index, std::string_view(*project_));
  }
  fresh_ = false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = SqliteError(db_, rc, std::string("executing ") + sqlite3_sql(stmt_));
  sqlite3_reset(stmt_);
  fresh_ = true;
  return s;
}

Status Stmt::Run() {
  while (true) {
    Result<bool> row = Step();
    if (!row.ok()) {
      sqlite3_clear_bindings(stmt_);
      return row.status();
    }
    if (!*row) break;
  }
  Reset();
  return Status::OK();
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  fresh_ = true;
}

std::string Stmt::Text(int column) const { return std::string(TextView(column)); }

std::string_view Stmt::TextView(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  if (p == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(p),
                          static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Stmt::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::optional<std::string> Stmt::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::Open(const std::string& path, bool create) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db_, rc, "cannot open database " + path);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return s;
  }
  sqlite3_extended_result_codes(db_, 1);
  path_ = path;
  label_ = "sqlite:" + path;
  struct stat st;
  if (path != ":memory:" && !path.empty() && ::stat(path.c_str(), &st) == 0) {
    file_id_ = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  }
  return Status::OK();
}

void Db::SetLockTimeout(int timeout_ms) {
  lock_timeout_ms_ = timeout_ms;
  sqlite3_busy_timeout(db_, timeout_ms);
}

Status Db::BeginWrite() {
  if (file_id_) {
    struct stat st;
    const bool gone = ::stat(path_.c_str(), &st) != 0;
    if (gone || std::make_pair(static_cast<uint64_t>(st.st_dev),
                               static_cast<uint64_t>(st.st_ino)) != *file_id_) {
      return Status::Corruption(fmt::format(
          "database {} was {} while this process had it open: nothing was written (start "
          "flowsync again to use the file now at that path)",
          label_, gone ? "removed (" + std::string(std::strerror(errno)) + ")" : "replaced"));
    }
  }
  int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return Status::OK();
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    return Status::Busy(fmt::format(
        "database {} is locked by another writer: {}; waited {} s (raise --lock-timeout, or "
        "retry when it is done)",
        label_, WriterLockHolder(path_), lock_timeout_ms_ / 1000.0));
  }
  Status s = SqliteError(db_, rc, "executing BEGIN IMMEDIATE");
  if ((rc & 0xff) == SQLITE_READONLY) return s;  // names the file already
  return s.WithPrefix("database " + label_);
}

Status Db::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) {
    std::string head = text.substr(0, 60);
    return SqliteError(db_, rc, "executing " + head);
  }
  return Status::OK();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "preparing " + std::string(sql.substr(0, 60)));
  return Stmt(db_, stmt, &project_);
}

}  // namespace flowsync::sqlite
