#include "n8n/n8n_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "flowsync/clock.h"
#include "n8n/n8n_edits.h"
#include "n8n/n8n_ids.h"
#include "n8n/n8n_rows.h"
#include "util/time_format.h"
#include "util/uuid.h"

namespace flowsync::n8n {
namespace {

// The id map's own version: this module's tables, not flowsync's schema.
// 2: flowsync_n8n_workflows.version_id, n8n's versionId as flowsync last
//    wrote or read it (n8n_edits.h).
constexpr int kN8nTablesVersion = 2;
constexpr size_t kMaxTagChars = 24;

Status CreateTables(SqlConnection& conn) {
  for (const char* sql : {
           "CREATE TABLE IF NOT EXISTS flowsync_n8n_meta (key VARCHAR(64) PRIMARY KEY, value "
           "TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS flowsync_n8n_workflows (workflow_id VARCHAR(36) PRIMARY "
           "KEY, n8n_id VARCHAR(36) NOT NULL UNIQUE, source_id TEXT, version_id TEXT)",
       }) {
    FS_TRY(conn.Query(sql, {}, "creating flowsync's n8n tables").status());
  }
  FS_TRY_ASSIGN(std::vector<SqlRow> v,
                conn.Query("SELECT value FROM flowsync_n8n_meta WHERE key = 'version'", {},
                           "reading the version of flowsync's n8n tables"));
  if (v.empty()) {
    return conn
        .Query("INSERT INTO flowsync_n8n_meta (key, value) VALUES ('version', $1)",
               {std::to_string(kN8nTablesVersion)}, "versioning flowsync's n8n tables")
        .status();
  }
  const int64_t version = SqlInt(v[0][0]);
  if (version > kN8nTablesVersion) {
    return Status::Unsupported(fmt::format(
        "flowsync_n8n_meta says version {}: written by a newer flowsync (this one knows {})",
        SqlText(v[0][0]), kN8nTablesVersion));
  }
  if (version < 2) {
    // What n8n holds now is taken as what flowsync wrote: edits made in n8n
    // before the upgrade are not told apart.
    for (const char* sql : {
             "ALTER TABLE flowsync_n8n_workflows ADD COLUMN version_id TEXT",
             "UPDATE flowsync_n8n_workflows SET version_id = (SELECT e.\"versionId\" FROM "
             "workflow_entity e WHERE e.id = flowsync_n8n_workflows.n8n_id)",
             "UPDATE flowsync_n8n_meta SET value = '2' WHERE key = 'version'",
         }) {
      FS_TRY(conn.Query(sql, {}, "upgrading flowsync's n8n tables").status());
    }
  }
  return Status::OK();
}

// Workflows converted and written to n8n at a time.
constexpr size_t kWriteBatch = 200;

// One n8n write the run decided, applied when it finishes.
struct Pending {
  enum class Kind { kWrite, kArchive, kUnarchive } kind = Kind::kWrite;
  std::string id;  // flowsync's
  std::optional<ParsedWorkflow> wf;
};

class N8nSyncTransaction final : public SyncTransaction {
 public:
  N8nSyncTransaction(std::unique_ptr<SyncTransaction> inner, SqlConnection* conn,
                     const N8nSchema* schema, const N8nSyncOptions* options, N8nSyncNotes* notes)
      : inner_(std::move(inner)), conn_(conn), schema_(schema), options_(options), notes_(notes) {}

  Result<std::vector<IndexRow>> LoadIndex() override { return Remember(inner_->LoadIndex()); }
  Result<std::vector<IndexRow>> LoadIndexUnder(const std::set<std::string>& keys) override {
    return Remember(inner_->LoadIndexUnder(keys));
  }
  Result<std::vector<IndexRow>> LoadIndexWithHash(const std::string& hash) override {
    return Remember(inner_->LoadIndexWithHash(hash));
  }
  Result<bool> IdTaken(const std::string& id) override { return inner_->IdTaken(id); }
  Result<int64_t> CountLive() override { return inner_->CountLive(); }
  Result<int64_t> BeginRun(std::string_view mode, std::string_view root,
                           std::string_view now) override {
    return inner_->BeginRun(mode, root, now);
  }
  Status AddWorkflow(const std::string& id, const std::string& path, const ParsedWorkflow& wf,
                     const std::string& sig, std::string_view now) override {
    FS_TRY(inner_->AddWorkflow(id, path, wf, sig, now));
    paths_[id] = path;
    if (wf.format != Format::kPhase) pending_.push_back({Pending::Kind::kWrite, id, wf});
    return Status::OK();
  }
  Status UpdateWorkflow(const std::string& id, const ParsedWorkflow& wf, const std::string& sig,
                        bool content_changed, int64_t run_id, std::string_view now) override {
    FS_TRY(inner_->UpdateWorkflow(id, wf, sig, content_changed, run_id, now));
    if (content_changed && wf.format != Format::kPhase) {
      pending_.push_back({Pending::Kind::kWrite, id, wf});
    }
    return Status::OK();
  }
  Status MoveWorkflow(const std::string& id, const std::string& new_path, const std::string& sig,
                      std::string_view now) override {
    FS_TRY(inner_->MoveWorkflow(id, new_path, sig, now));
    paths_[id] = new_path;
    return Status::OK();
  }
  Status RecordSourceSig(const std::string& id, const std::string& sig) override {
    return inner_->RecordSourceSig(id, sig);
  }
  Status RecordBase(const std::string& id, const std::string& base_hash,
                    const std::string& base_path) override {
    return inner_->RecordBase(id, base_hash, base_path);
  }
  Status RecordBases(const std::vector<BaseRecord>& records) override {
    return inner_->RecordBases(records);
  }
  Status MarkDeleted(const std::string& id, std::string_view now) override {
    FS_TRY(inner_->MarkDeleted(id, now));
    pending_.push_back({Pending::Kind::kArchive, id, std::nullopt});
    return Status::OK();
  }
  Status Restore(const std::string& id, std::string_view now) override {
    FS_TRY(inner_->Restore(id, now));
    pending_.push_back({Pending::Kind::kUnarchive, id, std::nullopt});
    return Status::OK();
  }
  Status AppendLog(const LogRecord& record) override { return inner_->AppendLog(record); }
  Status RefreshSourceIdFindings() override { return inner_->RefreshSourceIdFindings(); }
  Status FinishRun(int64_t run_id, const RunCounts& counts, std::string_view now) override {
    // flowsync's rows first (on PostgreSQL this ends their COPY), then n8n's
    // on the same connection, in the same transaction.
    FS_TRY(inner_->FinishRun(run_id, counts, now));
    return WriteN8n(std::string(now));
  }
  Status Commit() override { return inner_->Commit(); }

 private:
  Status WriteN8n(const std::string& now_rfc3339);
  // Adds the `fresh` workflows to the id map and records the versionId
  // written for each workflow of `versions`, a few statements per batch.
  Status RecordIds(const std::set<std::string>& fresh,
                   const std::map<std::string, std::string>& n8n_ids,
                   const std::map<std::string, std::string>& versions);
  // The paths of the rows a sync loaded: n8n's rows are written by them.
  Result<std::vector<IndexRow>> Remember(Result<std::vector<IndexRow>> rows) {
    if (rows.ok()) {
      for (const IndexRow& r : *rows) paths_[r.id] = r.path;
    }
    return rows;
  }

  std::unique_ptr<SyncTransaction> inner_;
  SqlConnection* conn_;
  const N8nSchema* schema_;
  const N8nSyncOptions* options_;
  N8nSyncNotes* notes_;
  std::map<std::string, std::string> paths_;  // flowsync id -> path
  std::vector<Pending> pending_;
};

Status N8nSyncTransaction::RecordIds(const std::set<std::string>& fresh,
                                     const std::map<std::string, std::string>& n8n_ids,
                                     const std::map<std::string, std::string>& versions) {
  constexpr size_t kBatch = 500;
  std::vector<SqlValue> added;
  std::vector<SqlValue> changed;
  auto flush_added = [&]() -> Status {
    if (added.empty()) return Status::OK();
    std::string rows;
    for (size_t r = 0; r < added.size() / 4; ++r) {
      rows += fmt::format("{}(${}, ${}, ${}, ${})", r == 0 ? "" : ", ", 4 * r + 1, 4 * r + 2,
                          4 * r + 3, 4 * r + 4);
    }
    Status st = conn_
                    ->Query(
                        "INSERT INTO flowsync_n8n_workflows (workflow_id, n8n_id, source_id, "
                        "version_id) VALUES " +
                            rows,
                        added, "adding to the n8n id map")
                    .status();
    added.clear();
    return st;
  };
  auto flush_changed = [&]() -> Status {
    if (changed.empty()) return Status::OK();
    std::string rows;
    for (size_t r = 0; r < changed.size() / 2; ++r) {
      rows += fmt::format("{}(${}, ${})", r == 0 ? "" : ", ", 2 * r + 1, 2 * r + 2);
    }
    Status st =
        conn_
            ->Query("UPDATE flowsync_n8n_workflows SET version_id = v.column2 FROM (VALUES " +
                        rows + ") AS v WHERE flowsync_n8n_workflows.workflow_id = v.column1",
                    changed, "remembering the n8n versions written")
            .status();
    changed.clear();
    return st;
  };
  for (const Pending& p : pending_) {
    if (p.kind != Pending::Kind::kWrite) continue;
    auto version = versions.find(p.id);
    if (fresh.count(p.id) != 0) {
      added.emplace_back(p.id);
      added.emplace_back(n8n_ids.at(p.id));
      added.emplace_back(p.wf->source_id);
      added.emplace_back(version != versions.end() ? SqlValue(version->second) : SqlValue());
      if (added.size() >= 4 * kBatch) FS_TRY(flush_added());
    } else if (version != versions.end()) {
      changed.emplace_back(p.id);
      changed.emplace_back(version->second);
      if (changed.size() >= 2 * kBatch) FS_TRY(flush_changed());
    }
  }
  FS_TRY(flush_added());
  return flush_changed();
}

Status N8nSyncTransaction::WriteN8n(const std::string& now_rfc3339) {
  *notes_ = N8nSyncNotes();
  if (pending_.empty()) return Status::OK();
  {
    // A workflow written twice in one run is written once, as it ended.
    std::set<std::string> later;
    std::vector<Pending> kept;
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
      if (it->kind == Pending::Kind::kWrite && !later.insert(it->id).second) continue;
      kept.push_back(std::move(*it));
    }
    pending_.assign(std::make_move_iterator(kept.rbegin()), std::make_move_iterator(kept.rend()));
  }
  const std::string now = N8nTime(now_rfc3339);
  FS_TRY(CreateTables(*conn_));
  N8nRowWriter writer(conn_, *schema_);
  FS_TRY(writer.Prepare(options_->project));

  // The id map: flowsync id -> n8n id, and which n8n ids are held.
  std::map<std::string, std::string> n8n_ids;
  std::set<std::string> held;
  Rebinding& rebinding = writer.mutable_rebinding();
  FS_TRY(conn_->QueryEach("SELECT workflow_id, n8n_id, source_id FROM flowsync_n8n_workflows", {},
                          "reading the n8n id map", [&](const SqlRowView& row) -> Status {
                            std::string id(row[0].value_or(""));
                            std::string n8n_id(row[1].value_or(""));
                            if (row[2]) rebinding.workflow_ids.emplace(*row[2], n8n_id);
                            held.insert(n8n_id);
                            n8n_ids.emplace(std::move(id), std::move(n8n_id));
                            return Status::OK();
                          }));
  // New workflows get their n8n id (added to the id map below, with the
  // version written, in one statement per batch).
  std::set<std::string> fresh;
  for (const Pending& p : pending_) {
    if (p.kind != Pending::Kind::kWrite || n8n_ids.count(p.id) != 0) continue;
    std::string n8n_id;
    if (p.wf->source_id && IsN8nId(*p.wf->source_id) && held.count(*p.wf->source_id) == 0) {
      n8n_id = *p.wf->source_id;
    } else {
      n8n_id = N8nIdFromUuid(p.id);
    }
    if (p.wf->source_id) rebinding.workflow_ids.emplace(*p.wf->source_id, n8n_id);
    held.insert(n8n_id);
    fresh.insert(p.id);
    n8n_ids.emplace(p.id, std::move(n8n_id));
  }

  std::map<std::string, N8nSyncNotes::Workflow> noted;  // by path
  size_t unmatched_total = 0;
  std::vector<N8nRowWriter::Item> items;
  std::map<std::string, std::string> versions;  // flowsync id -> versionId written
  for (const Pending& p : pending_) {
    auto mapped = n8n_ids.find(p.id);
    if (mapped == n8n_ids.end()) continue;  // never written to n8n: nothing to archive
    const std::string& n8n_id = mapped->second;
    if (p.kind != Pending::Kind::kWrite) {
      FS_TRY(writer.SetArchived(n8n_id, p.kind == Pending::Kind::kArchive, now));
      ++notes_->archived;
      continue;
    }
    N8nSyncNotes::Workflow note{paths_[p.id], n8n_id, {}};
    std::vector<std::string> refused;
    for (const Finding& f : p.wf->findings) {
      if (f.severity == Severity::kError) refused.push_back(f.message);
    }
    if (!refused.empty()) {
      note.notes.push_back("not written to n8n, which would refuse it: " + refused.front());
      noted[note.path] = std::move(note);
      continue;
    }
    Result<N8nWorkflow> wf = WorkflowFromContent(p.wf->content, n8n_id, rebinding, &note.notes);
    if (!wf.ok()) {
      note.notes.push_back("not written to n8n: " + wf.status().message());
      noted[note.path] = std::move(note);
      continue;
    }
    if (wf->name.empty()) wf->name = p.wf->name;
    unmatched_total += note.notes.size();
    // n8n's tag names are at most 24 characters (varchar(24) on PostgreSQL).
    std::erase_if(wf->tags, [&](const std::string& tag) {
      size_t chars = 0;
      for (unsigned char c : tag) chars += (c & 0xC0) != 0x80 ? 1 : 0;
      if (chars <= kMaxTagChars) return false;
      note.notes.push_back(
          fmt::format("tag '{}' is longer than n8n's {} characters: left out", tag, kMaxTagChars));
      return true;
    });
    std::string version_id = UuidV4();
    versions[p.id] = version_id;
    items.push_back({std::move(*wf), std::move(version_id)});
    ++notes_->written;
    if (!note.notes.empty()) noted[note.path] = std::move(note);
    // Written a batch at a time, so that memory stays bounded. With
    // --strict an unmatched reference fails the run below, which rolls
    // back everything written.
    if (items.size() >= kWriteBatch) {
      FS_TRY(writer.WriteMany(items, now));
      items.clear();
    }
  }
  FS_TRY(writer.WriteMany(items, now));
  FS_TRY(RecordIds(fresh, n8n_ids, versions));
  for (auto& [path, w] : noted) notes_->workflows.push_back(std::move(w));
  if (options_->strict && unmatched_total > 0) {
    std::string list;
    for (const N8nSyncNotes::Workflow& w : notes_->workflows) {
      for (const std::string& n : w.notes) list += fmt::format("\n  {}: {}", w.path, n);
    }
    return Status::Conflict(fmt::format(
        "{} credential reference{} with no match in n8n (--strict; nothing was written):{}",
        unmatched_total, unmatched_total == 1 ? "" : "s", list));
  }
  return Status::OK();
}

class N8nStoreImpl final : public N8nStore {
 public:
  N8nStoreImpl(std::unique_ptr<N8nDatabase> n8n, std::unique_ptr<Store> inner)
      : n8n_(std::move(n8n)),
        inner_(std::move(inner)),
        catalog_(&n8n_->connection(), &inner_->catalog()) {}

  const N8nSchema& n8n_schema() const override { return n8n_->schema(); }
  void set_sync_options(N8nSyncOptions options) override { options_ = std::move(options); }
  const N8nSyncNotes& notes() const override { return notes_; }

  int SchemaVersion() const override { return inner_->SchemaVersion(); }
  std::string Describe() const override { return n8n_->Describe(); }
  const std::string& project() const override { return inner_->project(); }
  SqlDialect dialect() const override { return inner_->dialect(); }
  Catalog& catalog() override { return catalog_; }
  SqlConnection& connection() override { return ConnectionOf(*inner_); }

  Catalog& synced_catalog() override { return inner_->catalog(); }

  // Every sync and plan first brings in what was edited in n8n since
  // flowsync wrote it (n8n_edits.h): a plan in a short write transaction of
  // its own, a sync inside its own transaction.
  Result<std::unique_ptr<SyncTransaction>> BeginSync(bool read_only) override {
    SqlConnection& conn = ConnectionOf(*inner_);
    const std::string now = FormatTimestampMs(SystemClock().NowMs());
    if (read_only) {
      if (bookkeeping_shared_ && tables_exist_) {
        FS_TRY(conn.BeginWrite());
        Result<int> imported = ImportN8nEdits(conn, inner_->project(), now);
        if (!imported.ok()) {
          conn.Rollback();
          return imported.status();
        }
        FS_TRY(conn.Commit());
      }
      return inner_->BeginSync(true);
    }
    FS_TRY_ASSIGN(std::unique_ptr<SyncTransaction> txn, inner_->BeginSync(false));
    FS_TRY(CreateTables(conn));
    set_tables_exist(true);
    FS_TRY(ImportN8nEdits(conn, inner_->project(), now).status());
    return std::unique_ptr<SyncTransaction>(std::make_unique<N8nSyncTransaction>(
        std::move(txn), &conn, &n8n_->schema(), &options_, &notes_));
  }
  void set_bookkeeping_shared(bool shared) { bookkeeping_shared_ = shared; }
  void set_tables_exist(bool exist) {
    tables_exist_ = exist;
    catalog_.set_id_map(exist ? &ConnectionOf(*inner_) : nullptr);
  }
  Status Rate(const std::string& workflow_id, const std::string& user, int value,
              std::string_view now) override {
    return inner_->Rate(workflow_id, user, value, now);
  }
  Status GrantProject(const std::string& project, const std::string& role, bool revoke) override {
    return inner_->GrantProject(project, role, revoke);
  }
  Result<std::unique_ptr<MigrationHistory>> OpenMigrationHistory() override {
    return inner_->OpenMigrationHistory();
  }

 private:
  std::unique_ptr<N8nDatabase> n8n_;
  std::unique_ptr<Store> inner_;
  N8nCatalog catalog_;
  N8nSyncOptions options_;
  N8nSyncNotes notes_;
  bool bookkeeping_shared_ = true;  // false: an in-memory store, nothing of n8n's in it
  bool tables_exist_ = false;       // flowsync_n8n_workflows is there
};

}  // namespace

Result<std::unique_ptr<N8nStore>> OpenN8nStore(const DatabaseUrl& url,
                                               const StoreOptions& options) {
  FS_TRY_ASSIGN(std::unique_ptr<N8nDatabase> n8n, OpenN8nDatabase(url));
  DatabaseUrl plain = url;
  plain.n8n = false;
  StoreOptions bookkeeping = options;
  bookkeeping.shared_database = true;
  Result<std::unique_ptr<Store>> inner = OpenStore(plain, bookkeeping);
  if (!inner.ok() && !options.create_if_missing && inner.status().code() == StatusCode::kNotFound) {
    // No flowsync tables yet: reading n8n needs none, and creates none.
    DatabaseUrl memory;
    memory.path = ":memory:";
    bookkeeping.create_if_missing = true;
    bookkeeping.shared_database = false;
    inner = OpenStore(memory, bookkeeping);
  }
  if (!inner.ok()) return inner.status();
  const bool shared = bookkeeping.shared_database;
  auto store = std::make_unique<N8nStoreImpl>(std::move(n8n), std::move(*inner));
  store->set_bookkeeping_shared(shared);
  if (shared) {
    // Whether a sync made flowsync's n8n tables yet, at this version (an
    // older one is upgraded by the next sync). No transaction is open: a
    // missing table fails this query alone.
    Result<std::vector<SqlRow>> v =
        store->connection().Query("SELECT value FROM flowsync_n8n_meta WHERE key = 'version'", {},
                                  "reading flowsync's n8n tables");
    store->set_tables_exist(v.ok() && !v->empty() && SqlInt((*v)[0][0]) == kN8nTablesVersion);
  }
  return std::unique_ptr<N8nStore>(std::move(store));
}

}  // namespace flowsync::n8n
