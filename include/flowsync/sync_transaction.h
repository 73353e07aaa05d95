// SyncTransaction: one sync run's write access to a store.
//
// Opened by Store::BeginSync. A writing transaction holds the database's
// writer lock from BeginSync until Commit or destruction, so the state a
// sync plans against cannot change under it; destroying it without Commit()
// rolls everything back. A read-only one (a dry run, `status`) reads one
// snapshot, takes no lock and fails every write with Internal.
//
// Thread-safety: as its Store (one thread at a time).
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/catalog.h"
#include "flowsync/status.h"
#include "flowsync/workflow.h"

namespace flowsync {

// What a sync needs to know about each stored workflow, deleted ones too.
struct IndexRow {
  std::string id;
  std::string path;
  Format format = Format::kN8n;
  std::string content_hash;
  // Cheap change check: size, mtime and inode of the source file(s) as of
  // the last run; empty when the next run must hash the source again.
  std::string source_sig;
  bool deleted = false;
  // The content hash and path the files and the database last agreed on
  // (both "" when there is none: added in the database, or deleted by a
  // sync because its file was gone). A row that differs from its base was
  // changed in the database; a file that differs from it, in the files.
  // The stored signature is that of a file holding the base.
  std::string base_hash;
  std::string base_path;
};

class SyncTransaction {
 public:
  virtual ~SyncTransaction() = default;

  virtual Result<std::vector<IndexRow>> LoadIndex() = 0;
  // Every stored row, as LoadIndex, handed to `each` one at a time in no
  // order and never all held: what a sync of the whole tree compares its
  // walk with first (memory that does not grow with the stored rows).
  // Stops at the first error `each` returns. Unsupported where a store
  // cannot; a sync then loads the index.
  virtual Status ForEachIndexRow(const std::function<Status(const IndexRow&)>& each) {
    (void)each;
    return Status::Unsupported("this store does not stream its index");
  }
  // What a scoped sync (SyncScope::subtrees) needs of the index, without
  // loading all of it:
  // - the rows at or below each of `keys`: at it, below it as a folder
  //   ("key/...") or of it as an array export ("key#..."), and those
  //   renamed in the database whose base path is so (their files are
  //   there), in no order (a row may come twice);
  virtual Result<std::vector<IndexRow>> LoadIndexUnder(const std::set<std::string>& keys) = 0;
  // - the rows holding content `hash` (rename sources), deleted ones too;
  virtual Result<std::vector<IndexRow>> LoadIndexWithHash(const std::string& hash) = 0;
  // - whether a stored workflow (deleted or not) has id `id`;
  virtual Result<bool> IdTaken(const std::string& id) = 0;
  // - how many stored workflows are live (for the mass-deletion guard rail).
  virtual Result<int64_t> CountLive() = 0;
  virtual Result<int64_t> BeginRun(std::string_view mode, std::string_view root,
                                   std::string_view now) = 0;
  virtual Status AddWorkflow(const std::string& id, const std::string& path,
                             const ParsedWorkflow& wf, const std::string& sig,
                             std::string_view now) = 0;
  // Replaces the stored definition of `id` with `wf` (path unchanged). When
  // `content_changed`, the previous content first goes to workflow_versions
  // (tagged with run_id) and the version number goes up; otherwise only the
  // stored text and derived data are refreshed (a formatting-only change).
  virtual Status UpdateWorkflow(const std::string& id, const ParsedWorkflow& wf,
                                const std::string& sig, bool content_changed, int64_t run_id,
                                std::string_view now) = 0;
  virtual Status MoveWorkflow(const std::string& id, const std::string& new_path,
                              const std::string& sig, std::string_view now) = 0;
  virtual Status MarkDeleted(const std::string& id, std::string_view now) = 0;
  // Stores `sig` as the signature of the file of `id`, which holds the base
  // while the database changed (so the next run need not read it again).
  virtual Status RecordSourceSig(const std::string& id, const std::string& sig) = 0;
  // Records that the files now hold content `base_hash` at `base_path` for
  // `id` (both "" for a workflow whose files were removed), as `pull` does
  // after writing them; the signature is cleared, so the next run reads
  // them once.
  virtual Status RecordBase(const std::string& id, const std::string& base_hash,
                            const std::string& base_path) = 0;
  // RecordBase for many workflows: {id, base_hash, base_path} each. The
  // default calls RecordBase per workflow; a store may do it at once.
  struct BaseRecord {
    std::string id, base_hash, base_path;
  };
  virtual Status RecordBases(const std::vector<BaseRecord>& records);
  virtual Status Restore(const std::string& id, std::string_view now) = 0;
  virtual Status AppendLog(const LogRecord& record) = 0;
  // Recomputes the "duplicate-source-id" warning of every live workflow.
  virtual Status RefreshSourceIdFindings() = 0;
  virtual Status FinishRun(int64_t run_id, const RunCounts& counts, std::string_view now) = 0;
  virtual Status Commit() = 0;
};

}  // namespace flowsync
