// n8n's workflows as a Catalog: what `list`, `show` and `migration create`
// read when --db names an n8n database.
//
// A workflow of workflow_entity is a summary with its n8n id as id, the
// file name n8n's `export:workflow --separate` gives it ("<id>.json") as
// path, its tags as categories, archived (isArchived) as deleted, and
// versionCounter as version; its detail's content is the workflow as n8n's
// export writes it (id, name, active, nodes, connections, settings,
// staticData, pinData, meta, tags, versionId, createdAt, updatedAt), read
// with flowsync's own parser (content hash, findings). Runs, the log and
// the change cursor are flowsync's own (`bookkeeping`): the syncs into this
// database.
//
// Thread-safety: as the connection's.
#pragma once

#include "flowsync/catalog.h"
#include "store/sql_connection.h"

namespace flowsync::n8n {

class N8nCatalog final : public Catalog {
 public:
  // REQUIRES: both outlive this object.
  N8nCatalog(SqlConnection* conn, Catalog* bookkeeping) : conn_(conn), bookkeeping_(bookkeeping) {}

  Result<std::vector<WorkflowSummary>> ListWorkflows(const ListFilter& filter) override;
  // By n8n id, a unique id prefix of 4 or more characters, or a unique name.
  Result<std::optional<WorkflowDetail>> FindWorkflow(std::string_view query) override;
  Result<std::vector<LogRecord>> ReadLog(int64_t limit,
                                         std::optional<std::string> workflow_id) override {
    return bookkeeping_->ReadLog(limit, std::move(workflow_id));
  }
  Result<std::optional<RunRecord>> LastRun() override { return bookkeeping_->LastRun(); }
  Result<std::vector<RunRecord>> ListRuns(int64_t limit,
                                          std::optional<int64_t> before_id) override {
    return bookkeeping_->ListRuns(limit, before_id);
  }
  Result<std::vector<StoredPhaseSource>> ListPhaseSources() override {
    return std::vector<StoredPhaseSource>();
  }
  // Through flowsync_n8n_workflows, once a sync made it (set_id_map).
  Result<std::optional<std::string>> SyncedId(const std::string& id) override;
  Result<int64_t> ChangeCursor() override { return bookkeeping_->ChangeCursor(); }
  Result<ChangeBatch> ChangesSince(int64_t cursor, int64_t limit) override {
    return bookkeeping_->ChangesSince(cursor, limit);
  }

  // The connection that reads flowsync_n8n_workflows, once it exists;
  // nullptr before (then no n8n workflow has a flowsync id).
  void set_id_map(SqlConnection* conn) { id_map_ = conn; }

 private:
  Result<std::optional<WorkflowDetail>> Detail(const std::string& id);

  SqlConnection* conn_;
  Catalog* bookkeeping_;
  SqlConnection* id_map_ = nullptr;
};

}  // namespace flowsync::n8n
