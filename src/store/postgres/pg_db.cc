#include "store/postgres/pg_db.h"

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace flowsync::postgres {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

int64_t PgResult::Int(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  int64_t out = 0;
  std::from_chars(v, v + std::strlen(v), out);
  return out;
}

Status PgError(PGconn* conn, const PGresult* result, std::string_view where,
               std::string_view context) {
  std::string detail = Trim(result != nullptr ? PQresultErrorMessage(result)
                                              : (conn ? PQerrorMessage(conn) : "out of memory"));
  if (detail.empty() && conn != nullptr) detail = Trim(PQerrorMessage(conn));
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string msg =
      fmt::format("PostgreSQL {}: {}{}{}", where, context, context.empty() ? "" : ": ", detail);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    return Status::IOError(fmt::format("PostgreSQL {}: {}{}connection failed or lost: {}", where,
                                       context, context.empty() ? "" : ": ", detail));
  }
  if (sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57", 0) == 0 ||
      sqlstate.rfind("53", 0) == 0 || sqlstate.rfind("58", 0) == 0) {
    // Connection exceptions, operator intervention (statement timeout,
    // terminated backend), insufficient resources, system errors.
    return Status::IOError(std::move(msg));
  }
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Status::Busy(std::move(msg));
  }
  if (sqlstate == "42501" || sqlstate.rfind("28", 0) == 0) {
    return Status::IOError(std::move(msg));
  }
  return Status::Internal(std::move(msg));
}

PgConn::~PgConn() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgConn::Connect(const std::string& conninfo) {
  // A connection made again (after the server ended the last one) first
  // lets the old one go.
  if (conn_ != nullptr) {
    PQfinish(conn_);
    conn_ = nullptr;
    where_.clear();
  }
  // The whole connection string or URL goes in as an expanded dbname, so
  // both forms work; application_name identifies our sessions in
  // pg_stat_activity unless the URL or $PGAPPNAME names another.
  const char* keywords[] = {"dbname", "fallback_application_name", nullptr};
  const char* values[] = {conninfo.c_str(), "flowsync", nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn_ != nullptr) {
    const char* host = PQhost(conn_);
    const char* port = PQport(conn_);
    const char* db = PQdb(conn_);
    std::string shown = host && *host ? host : "localhost";
    // An IPv6 address in brackets, as in a URL, so that its port stands apart.
    if (shown.find(':') != std::string::npos) shown = "[" + shown + "]";
    where_ = fmt::format("{}:{}/{}", shown, port ? port : "", db ? db : "");
  }
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string detail = Trim(conn_ ? PQerrorMessage(conn_) : "out of memory");
    return Status::IOError(fmt::format("PostgreSQL {}: cannot connect: {}",
                                       where_.empty() ? "server" : where_, detail));
  }
  // Our own messages carry the context; notices on stderr would only be noise.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return Status::OK();
}

void PgConn::MaybeDropBeforeStatement() {
  static const int64_t drop_at = [] {
    const char* v = std::getenv("FLOWSYNC_FAULT_DROP_STATEMENT");
    return v == nullptr ? int64_t{0} : std::strtoll(v, nullptr, 10);
  }();
  static std::atomic<int64_t> statements{0};
  if (drop_at <= 0 || statements.fetch_add(1) + 1 != drop_at) return;
  PgResult ended(PQexec(conn_, "SELECT pg_terminate_backend(pg_backend_pid())"));
}

Result<PgResult> PgConn::Exec(std::string_view sql, const std::vector<PgParam>& params,
                              std::string_view context) {
  MaybeDropBeforeStatement();
  std::string query(sql);
  std::vector<std::string> storage;
  storage.reserve(params.size());
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (const PgParam& p : params) {
    if (p) {
      storage.emplace_back(*p);
      values.push_back(storage.back().c_str());
      lengths.push_back(static_cast<int>(storage.back().size()));
    } else {
      values.push_back(nullptr);
      lengths.push_back(0);
    }
  }
  PgResult r(PQexecParams(conn_, query.c_str(), static_cast<int>(params.size()), nullptr,
                          values.data(), lengths.data(), nullptr, 0));
  ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn_, r.get(), where_,
                   context.empty() ? std::string_view(query).substr(0, 60) : context);
  }
  return r;
}

Status PgConn::ExecScript(std::string_view sql, std::string_view context) {
  MaybeDropBeforeStatement();
  std::string query(sql);
  PgResult r(PQexec(conn_, query.c_str()));
  ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn_, r.get(), where_,
                   context.empty() ? std::string_view(query).substr(0, 60) : context);
  }
  return Status::OK();
}

Status PgConn::Copy(std::string_view copy_sql, std::string_view data, std::string_view context) {
  FS_TRY(CopyBegin(copy_sql, context));
  FS_TRY(CopyPut(data, context));
  return CopyEnd(context);
}

Status PgConn::CopyBegin(std::string_view copy_sql, std::string_view context) {
  MaybeDropBeforeStatement();
  std::string query(copy_sql);
  PgResult start(PQexec(conn_, query.c_str()));
  if (!start.get() || PQresultStatus(start.get()) != PGRES_COPY_IN) {
    return PgError(conn_, start.get(), where_, context);
  }
  return Status::OK();
}

Status PgConn::CopyPut(std::string_view data, std::string_view context) {
  constexpr size_t kChunk = 1 << 20;
  for (size_t off = 0; off < data.size(); off += kChunk) {
    size_t n = std::min(kChunk, data.size() - off);
    if (PQputCopyData(conn_, data.data() + off, static_cast<int>(n)) != 1) {
      return PgError(conn_, nullptr, where_, context);
    }
  }
  return Status::OK();
}

Status PgConn::CopyEnd(std::string_view context) {
  if (PQputCopyEnd(conn_, nullptr) != 1) return PgError(conn_, nullptr, where_, context);
  Status status;
  while (PGresult* raw = PQgetResult(conn_)) {
    PgResult r(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && status.ok()) {
      status = PgError(conn_, raw, where_, context);
    }
  }
  return status;
}

void CopyRows::Separate() {
  if (row_open_) data_.push_back('\t');
  row_open_ = true;
}

CopyRows& CopyRows::Field(std::string_view text) {
  Separate();
  for (char c : text) {
    switch (c) {
      case '\\':
        data_.append("\\\\");
        break;
      case '\t':
        data_.append("\\t");
        break;
      case '\n':
        data_.append("\\n");
        break;
      case '\r':
        data_.append("\\r");
        break;
      default:
        data_.push_back(c);
    }
  }
  return *this;
}

CopyRows& CopyRows::Field(int64_t value) { return Field(std::string_view(std::to_string(value))); }

CopyRows& CopyRows::Null() {
  Separate();
  data_.append("\\N");
  return *this;
}

void CopyRows::EndRow() {
  data_.push_back('\n');
  row_open_ = false;
}

Status MoveFromTwin(PgConn& conn, std::string_view table, std::string_view columns,
                    std::string_view context) {
  return conn.ExecScript(fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM flowsync_tmp_{0}; "
                                     "TRUNCATE flowsync_tmp_{0}",
                                     table, columns),
                         context);
}

Status CopyInto(PgConn& conn, bool rls, std::string_view table, std::string_view columns,
                std::string_view data, std::string_view context) {
  if (!rls) {
    return conn.Copy(fmt::format("COPY {} ({}) FROM STDIN", table, columns), data, context);
  }
  FS_TRY(conn.ExecScript(fmt::format("CREATE TEMP TABLE IF NOT EXISTS flowsync_tmp_{0} "
                                     "(LIKE {0} INCLUDING DEFAULTS)",
                                     table),
                         context));
  FS_TRY(conn.Copy(fmt::format("COPY flowsync_tmp_{} ({}) FROM STDIN", table, columns), data,
                   context));
  return MoveFromTwin(conn, table, columns, context);
}

}  // namespace flowsync::postgres
