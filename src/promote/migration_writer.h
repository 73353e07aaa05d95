// `flowsync migration create`: turns workflows into reviewable SQL migration
// files, one per workflow (the file format is promote/migration_format.h,
// the SQL promote/workflow_sql.h).
//
// Two steps, so that the decisions can be tested without a disk:
//   PlanMigrations  pure: reduces credential references, scans for literal
//                   secrets (refusing, redacting or accepting them), derives
//                   what the target stores, names the files and renders
//                   their bytes;
//   WriteMigrations IO: writes a plan atomically (every temp file is written
//                   and synced before the first rename; a failure removes
//                   whatever it wrote, so a batch lands whole or not at all).
//
// Credentials never leave an environment: a node's `credentials` block keeps
// only what the target needs to rebind it by type and name, as n8n does on
// import for a null or unknown id: {"<type>": {"id": null, "name": "<name>"}}.
// The legacy string form {"<type>": "<name>"} becomes the same shape; every
// other key goes; a reference without a string name cannot be rebound and
// is dropped, as is a `credentials` value that is not an object.
//
// Output is deterministic: the same workflows give the same bytes apart from
// the version (the timestamp in the file name, which the header and the SQL
// repeat; see MigrationVersions).
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/clock.h"
#include "flowsync/file_system.h"
#include "flowsync/status.h"
#include "flowsync/store.h"
#include "promote/migration_format.h"
#include "promote/secret_scan.h"
#include "promote/workflow_sql.h"

namespace flowsync {

// Plain: the whole file is the up SQL. Dbmate: "-- migrate:up" and
// "-- migrate:down" sections (the down SQL is WorkflowDownSql).
enum class MigrationStyle { kPlain, kDbmate };

// What the migrations write: flowsync's tables (promote/workflow_sql.h) or
// n8n's own (promote/n8n_workflow_sql.h).
enum class MigrationTarget { kFlowsync, kN8n };

struct MigrationCreateOptions {
  std::string dir = "migrations";  // where the files go (as the user named it)
  std::string source = "dev";      // "dev", "prod" or "staging"
  SqlDialect dialect = SqlDialect::kSqlite;
  MigrationStyle style = MigrationStyle::kPlain;
  MigrationTarget target = MigrationTarget::kFlowsync;
  // kN8n: the project owning the workflows a migration creates (name or
  // id); the instance owner's personal project when unset.
  std::optional<std::string> n8n_project;
  // Replace the literal secrets found with kRedactedPlaceholder instead of
  // refusing.
  bool redact = false;
  // Paths (exactly as a refusal prints them: "nodes[0].parameters.token",
  // "meta.json:author.api_key", "README.md:12") whose finding is accepted,
  // in every workflow of the batch.
  std::set<std::string> allowed_paths;
  // Content larger than this many bytes goes into a sidecar .json file.
  size_t sidecar_threshold = kDefaultSidecarThreshold;
  // Free text for the header and migration_metadata.
  std::string notes;
  // Names the files (their version); nullptr = SystemClock().
  const Clock* clock = nullptr;
  // Write a migration also for a workflow whose newest migration in the
  // folder already carries its content hash (see PlanMigrations).
  bool force = false;
};

// A generated workflow migration already in the folder, as its header
// names it.
struct ExistingWorkflowMigration {
  std::string file;          // "20261122101500_x.sql"
  std::string version;       // "20261122101500"
  std::string workflow_id;   // the "-- Workflow id:" value, as written
  std::string content_hash;  // the "-- Content hash:" value, as written
};

// What `migration create` reads of the folder it writes into.
struct ExistingMigrations {
  std::vector<std::string> names;  // of every entry
  std::vector<ExistingWorkflowMigration> workflow_migrations;
};

struct PlannedFile {
  std::string name;   // file name inside the folder: "20261122101500_x.sql"
  std::string bytes;  // the whole file
};

struct PlannedMigration {
  std::string workflow_id;
  std::string workflow_name;
  std::string path;
  PlannedFile sql;
  std::optional<PlannedFile> sidecar;
  int credential_references = 0;      // kept as type and name
  std::string n8n_id;                 // kN8n: the workflow's id in n8n
  std::vector<std::string> redacted;  // finding paths whose value was replaced
  std::vector<std::string> allowed;   // finding paths accepted by allowed_paths
};

// A workflow for which nothing is written: unchanged since its newest
// migration in the folder.
struct SkippedMigration {
  std::string workflow_id;
  std::string workflow_name;
  std::string path;
  std::string unchanged_since;  // that migration's file name
};

struct MigrationPlan {
  std::string dir;
  std::vector<PlannedMigration> migrations;  // in version order
  std::vector<SkippedMigration> skipped;     // in path order
  // allowed_paths entries that matched no finding of any workflow.
  std::vector<std::string> unused_allowed;
};

// Plans one migration per workflow. `workflows` hold the definitions as the
// source environment stores them (content not yet reduced: this function
// reduces credentials, scans, redacts and then recomputes the content hash,
// categories, findings and phases exactly as a sync would from the new
// content). Phase files are not JSON and hold no credentials: they pass
// through unchanged. What travels besides the content is scanned too: a
// bundle's meta.json (metadata_json; findings "meta.json:JSON_PATH") and
// README.md (documentation; findings "README.md:LINE"), see
// promote/secret_scan.h; redacting them changes a bundle's content hash,
// which covers both. `existing` is what the folder holds: every version
// planned is above the newest version among its names (MigrationVersions).
// A workflow whose newest migration there (the largest version with its id)
// carries the content hash it has now (after reduction and redaction) gets
// no new file, unless options.force: it is listed in `skipped`, and the
// other workflows of the batch are planned as if it were not there.
// Errors:
//   Conflict when any workflow holds a literal secret that is neither
//     redacted nor allowed; the message lists every finding of every
//     workflow as "NAME (id ID): PATH: kind", never the value;
//   Corruption when a definition cannot be read back (names the workflow);
//   Conflict when the folder holds a version no timestamp can follow.
Result<MigrationPlan> PlanMigrations(std::vector<WorkflowExport> workflows,
                                     const ExistingMigrations& existing,
                                     const MigrationCreateOptions& options);

// The names of the entries of `dir` and the header of every generated
// workflow migration among them (a VERSION_NAME.sql file with the
// workflow-migration marker); empty when `dir` does not exist. Errors
// (IOError and the like) name the folder or the file that cannot be read.
Result<ExistingMigrations> ReadMigrationFolder(const FileSystem& fs, const std::string& dir);

// Writes the plan's files into plan.dir (created with its parents if
// missing; nothing at all when the plan has no file) through `fs`, after removing the temp
// files a killed run left there (RemoveStaleTempFiles): each file to a temp file
// ".NAME.tmp-PID-N" in the same folder (TempPathFor); once all are written, one syncfs(2) makes
// them durable, then they are renamed into place, sidecars before their .sql, never replacing an
// existing file; the folder is synced last. On any failure every temp file and every file already
// renamed is removed and the Status returned: IOError naming the final file ("cannot write
// DIR/NAME:
// ...", "cannot rename to DIR/NAME: ..."), the folder ("cannot create
// folder DIR: ...", "cannot sync the files in DIR: ...") or Conflict "DIR/NAME
// already exists".
Status WriteMigrations(const MigrationPlan& plan, const FileSystem& fs = RealFileSystem());

// ---- Pieces, exposed for tests ---------------------------------------------

struct CredentialReduction {
  std::string content;  // the input itself when nothing changed
  int references = 0;   // references kept
  bool changed = false;
};
// Reduces every nodes[].credentials block of an n8n workflow object (see
// above). When something changes the JSON is re-serialised with 2-space
// indentation and key order kept. Errors: Corruption when not JSON.
Result<CredentialReduction> ReduceCredentials(std::string_view workflow_json);

// "name_lowercased_with_underscores" (at most 50 characters), else
// "workflow_<first 8 characters of id>"; "prod_sync_" first when source is
// "prod".
std::string MigrationSlug(std::string_view name, std::string_view id, std::string_view source);

// `text` made safe for one "-- " comment line: control characters become
// \n, \r, \t or \xNN (C1 and U+2028/U+2029 become \u00NN / \u2028), bytes
// that are not UTF-8 become \xNN and a backslash becomes "\\", so no value
// can end the comment and start SQL.
std::string EscapeHeaderText(std::string_view text);

// The versions of a run that writes `count` files at `now_ms` into a folder
// holding `existing_files`, in order. A run's versions never run ahead of
// the clock, so that a migration made by hand right after it (dbmate new,
// or by hand, named after the current second) sorts after the run's and is
// not refused as out of order:
//   - the run takes the second before now (YYYYMMDDHHMMSS, UTC), or the
//     second after the newest timestamp version in the folder if that is
//     later (a file made by hand a moment ago, an earlier run);
//   - one file is that second; several files are that second followed by a
//     counter 1..count, zero-padded to the digits of count
//     ("20261122101459" + "0001" .. "2017"), which sorts after the second
//     and before the next one both for the runner
//     (CompareMigrationVersions) and for dbmate, which compares versions
//     and file names as text.
// Conflict when the folder holds a version that is no timestamp and sorts
// after the run's.
Result<std::vector<std::string>> MigrationVersions(int64_t now_ms, size_t count,
                                                   const std::vector<std::string>& existing_files);

}  // namespace flowsync
