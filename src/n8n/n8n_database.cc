#include "n8n/n8n_database.h"

#include <sys/stat.h>

#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_session.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_db.h"

namespace flowsync::n8n {
namespace {

class SqliteN8nDatabase final : public N8nDatabase {
 public:
  explicit SqliteN8nDatabase(std::string path) : path_(std::move(path)), connection_(&db_) {}

  Status Open() {
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) {
      return Status::NotFound("no n8n database at " + path_ + ": the file does not exist");
    }
    FS_TRY(db_.Open(path_, /*create=*/false));
    db_.set_label(Describe());
    db_.SetLockTimeout(60'000);
    FS_TRY_ASSIGN(schema_, DetectN8nSchema(connection_, Describe()));
    return Status::OK();
  }

  SqlConnection& connection() override { return connection_; }
  const N8nSchema& schema() const override { return schema_; }
  std::string Describe() const override { return "n8n+sqlite:" + path_; }

 private:
  std::string path_;
  sqlite::Db db_;
  sqlite::SqliteConnection connection_;
  N8nSchema schema_;
};

class PgN8nDatabase final : public N8nDatabase {
 public:
  explicit PgN8nDatabase(const DatabaseUrl& url)
      : session_(url, StoreOptions{}), connection_(&session_.data()) {}

  Status Open() {
    FS_TRY(session_.Open());
    FS_TRY_ASSIGN(schema_, DetectN8nSchema(connection_, Describe()));
    return Status::OK();
  }

  SqlConnection& connection() override { return connection_; }
  const N8nSchema& schema() const override { return schema_; }
  std::string Describe() const override { return "n8n+" + session_.Describe(); }

 private:
  postgres::PgSession session_;
  postgres::PgConnection connection_;
  N8nSchema schema_;
};

}  // namespace

Result<std::unique_ptr<N8nDatabase>> OpenN8nDatabase(const DatabaseUrl& url) {
  if (url.kind == DatabaseUrl::Kind::kSqlite) {
    auto db = std::make_unique<SqliteN8nDatabase>(url.path);
    FS_TRY(db->Open());
    return std::unique_ptr<N8nDatabase>(std::move(db));
  }
  auto db = std::make_unique<PgN8nDatabase>(url);
  FS_TRY(db->Open());
  return std::unique_ptr<N8nDatabase>(std::move(db));
}

}  // namespace flowsync::n8n
