#include "store/postgres/pg_connection.h"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace flowsync::postgres {

Status PgConnection::QueryEach(std::string_view sql, const std::vector<SqlValue>& params,
                               std::string_view what,
                               const std::function<Status(const SqlRowView&)>& row) {
  std::vector<PgParam> pg;
  pg.reserve(params.size());
  for (const SqlValue& p : params) pg.push_back(p ? PgParam(*p) : PgParam());
  FS_TRY_ASSIGN(PgResult r, conn_->Exec(sql, pg, what));
  const int columns = r.get() != nullptr ? PQnfields(r.get()) : 0;
  SqlRowView view(static_cast<size_t>(columns));
  for (int i = 0; i < r.rows(); ++i) {
    for (int c = 0; c < columns; ++c) {
      view[static_cast<size_t>(c)] =
          r.IsNull(i, c) ? std::optional<std::string_view>()
                         : std::string_view(PQgetvalue(r.get(), i, c),
                                            static_cast<size_t>(PQgetlength(r.get(), i, c)));
    }
    FS_TRY(row(view));
  }
  return Status::OK();
}

namespace {

// Takes the notifications libpq has read so far; true when there was one.
bool DrainNotifications(PGconn* conn) {
  bool any = false;
  while (PGnotify* n = PQnotifies(conn)) {
    any = true;
    PQfreemem(n);
  }
  return any;
}

}  // namespace

Status PgConnection::Notify(std::string_view channel) {
  return conn_->Exec("SELECT pg_notify($1, '')", {PgParam(std::string(channel))}, "notifying")
      .status();
}

Result<bool> PgConnection::WaitForNotification(std::string_view channel, int64_t timeout_ms) {
  if (listening_ != channel) {
    // Channel names are flowsync's own constants: quoted as identifiers.
    FS_TRY(conn_->ExecScript("LISTEN \"" + std::string(channel) + "\"", "listening"));
    listening_ = std::string(channel);
  }
  PGconn* pg = conn_->handle();
  if (DrainNotifications(pg)) return true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now())
                             .count();
    if (left <= 0) return false;
    pollfd fd = {PQsocket(pg), POLLIN, 0};
    if (fd.fd < 0) return PgError(pg, nullptr, conn_->where(), "waiting for work");
    int ready = ::poll(&fd, 1, static_cast<int>(left));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(std::string("waiting for work: poll: ") + std::strerror(errno));
    }
    if (ready == 0) return false;
    if (PQconsumeInput(pg) == 0) return PgError(pg, nullptr, conn_->where(), "waiting for work");
    if (DrainNotifications(pg)) return true;
  }
}

}  // namespace flowsync::postgres
