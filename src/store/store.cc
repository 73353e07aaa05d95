// Backend selection by URL, and the names of store enums.
#include "flowsync/store.h"

#include "flowsync/sync_transaction.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "util/path_text.h"

namespace flowsync {

Result<std::vector<WorkflowVersion>> Catalog::ListVersions(const std::string&) {
  return Status::Unsupported("this database keeps no workflow versions");
}

Result<std::optional<WorkflowVersion>> Catalog::ReadVersion(const std::string&, int64_t) {
  return Status::Unsupported("this database keeps no workflow versions");
}

Status SyncTransaction::RecordBases(const std::vector<BaseRecord>& records) {
  for (const BaseRecord& r : records) FS_TRY(RecordBase(r.id, r.base_hash, r.base_path));
  return Status::OK();
}

Result<std::map<std::string, WorkflowVersion>> Catalog::ReadCurrent(
    const std::vector<std::string>& ids) {
  std::map<std::string, WorkflowVersion> out;
  for (const std::string& id : ids) {
    FS_TRY_ASSIGN(std::optional<WorkflowDetail> d, FindWorkflow(id));
    if (!d || d->summary.id != id) continue;
    FS_TRY_ASSIGN(std::optional<WorkflowVersion> v, ReadVersion(id, d->summary.version));
    if (v) out.emplace(id, std::move(*v));
  }
  return out;
}

std::string_view SyncEventName(SyncEvent event) {
  switch (event) {
    case SyncEvent::kAdded:
      return "added";
    case SyncEvent::kUpdated:
      return "updated";
    case SyncEvent::kRenamed:
      return "renamed";
    case SyncEvent::kDeleted:
      return "deleted";
    case SyncEvent::kRestored:
      return "restored";
    case SyncEvent::kError:
      return "error";
  }
  return "unknown";
}

std::optional<SyncEvent> ParseSyncEvent(std::string_view name) {
  for (SyncEvent e : {SyncEvent::kAdded, SyncEvent::kUpdated, SyncEvent::kRenamed,
                      SyncEvent::kDeleted, SyncEvent::kRestored, SyncEvent::kError}) {
    if (SyncEventName(e) == name) return e;
  }
  return std::nullopt;
}

std::string NormaliseWorkflowQuery(std::string_view query_in) {
  std::string query(query_in);
  while (query.size() > 2 && query.compare(0, 2, "./") == 0) query.erase(0, 2);
  while (query.size() > 1 && query.back() == '/') query.pop_back();
  return ValidUtf8(std::move(query));
}

bool IsValidProjectName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_'))) return false;
  }
  return true;
}

Result<std::unique_ptr<Store>> OpenStore(const DatabaseUrl& url, const StoreOptions& options) {
  if (!IsValidProjectName(options.project)) {
    return Status::InvalidArgument("project '" + options.project +
                                   "': use 1-63 characters of a-z, 0-9, '-' and '_', starting "
                                   "with a letter or digit");
  }
  switch (url.kind) {
    case DatabaseUrl::Kind::kSqlite:
      return sqlite::OpenSqliteStore(url.path, options);
    case DatabaseUrl::Kind::kPostgres:
      return postgres::OpenPostgresStore(url, options);
  }
  return Status::Internal("unknown database kind");
}

}  // namespace flowsync
