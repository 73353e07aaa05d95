// `flowsync migration create`: selects workflows (files on disk, or rows of
// the context's database by id, path or name, or everything changed within
// --since) and hands them to promote/migration_writer, which plans and
// writes the files.
#include "cli/migration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/context.h"
#include "cli/output.h"
#include "flowsync/file_system.h"
#include "flowsync/source.h"
#include "flowsync/store.h"
#include "promote/migration_writer.h"
#include "sync/identity.h"
#include "util/time_format.h"

namespace flowsync::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr char kDefaultSince[] = "7d";

struct CreateOptions {
  GlobalFlags flags;
  std::vector<std::string> workflows;
  std::string dir = "migrations";
  std::string source = "dev";
  std::optional<std::string> dialect;
  std::string format = "plain";
  std::optional<std::string> since;
  bool redact = false;
  std::vector<std::string> allow;
  std::optional<std::string> sidecar_threshold;
  std::string notes;
  bool json = false;
};

// "7d" -> milliseconds: an integer and one of s, m, h, d, w.
Result<int64_t> ParseSince(const std::string& text) {
  auto bad = [&] {
    return Status::InvalidArgument("--since '" + text +
                                   "': expected a whole number and a unit s, m, h, d or w "
                                   "(e.g. 7d, 12h)");
  };
  if (text.size() < 2 || text.size() > 12) return bad();
  int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return bad();
    n = n * 10 + (text[i] - '0');
  }
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1'000;
      break;
    case 'm':
      unit = 60'000;
      break;
    case 'h':
      unit = 3'600'000;
      break;
    case 'd':
      unit = 86'400'000;
      break;
    case 'w':
      unit = 7 * 86'400'000LL;
      break;
    default:
      return bad();
  }
  if (n > INT64_MAX / unit) return bad();
  return n * unit;
}

// The context's database, opened on first use (a command that only reads
// files may run where no database exists).
class LazyStore {
 public:
  explicit LazyStore(const Context& ctx) : ctx_(ctx) {}

  // The store, or NotFound when the database does not exist.
  Result<Store*> Get() {
    if (!store_ && status_.ok()) {
      auto opened = OpenContextStore(ctx_, IfMissing::kFail);
      if (opened.ok()) {
        store_ = std::move(opened).value();
      } else {
        status_ = opened.status();
      }
    }
    if (!status_.ok()) return status_;
    return store_.get();
  }

 private:
  const Context& ctx_;
  std::unique_ptr<Store> store_;
  Status status_;
};

// What sync would call the workflow at `key`: the id of the stored row at
// that path, else a new id that no stored workflow holds.
Result<std::string> IdForPath(const Context& ctx, LazyStore& lazy, const std::string& key) {
  const std::string& project = ctx.store_options.project;
  auto store = lazy.Get();
  if (!store.ok()) {
    if (store.status().code() == StatusCode::kNotFound) return NewWorkflowId(project, key, {});
    return store.status();
  }
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> at_path, (*store)->catalog().FindWorkflow(key));
  if (at_path && at_path->summary.path == key) return at_path->summary.id;
  std::set<std::string> taken;
  while (true) {
    std::string id = NewWorkflowId(project, key, taken);
    FS_TRY_ASSIGN(std::optional<WorkflowDetail> holder, (*store)->catalog().FindWorkflow(id));
    if (!holder || holder->summary.id != id) return id;
    taken.insert(id);
  }
}

// A workflow read straight from a file or bundle folder below the root.
Result<WorkflowExport> ExportFromFile(const Context& ctx, LazyStore& lazy, const std::string& arg,
                                      const FileInfo& info) {
  fs::path abs = fs::absolute(fs::path(arg)).lexically_normal();
  if (!abs.has_filename()) abs = abs.parent_path();  // "bundle/" -> "bundle"
  Format format = Format::kN8n;
  if (info.type == FileType::kDirectory) {
    if (!RealFileSystem().Stat(JoinPath(abs.string(), "workflow.json")).ok()) {
      return Status::InvalidArgument(
          arg + ": a folder without workflow.json (name a workflow file or a bundle folder)");
    }
    format = Format::kBundle;
  } else if (abs.filename() == "workflow.json") {
    abs = abs.parent_path();  // a bundle's main file names the bundle
    format = Format::kBundle;
  } else if (abs.extension() == ".json") {
    format = Format::kN8n;
  } else if (abs.extension() == ".toml") {
    format = Format::kPhase;
  } else {
    return Status::InvalidArgument(
        arg + ": not a workflow file (an n8n .json export, a phase .toml file or a bundle folder)");
  }
  fs::path rel = abs.lexically_relative(fs::path(ctx.root));
  if (rel.empty() || rel.generic_string().starts_with("..")) {
    // The same place reached through a symbolic link.
    std::error_code ec1, ec2;
    fs::path real = fs::weakly_canonical(abs, ec1);
    fs::path real_root = fs::weakly_canonical(fs::path(ctx.root), ec2);
    if (!ec1 && !ec2) rel = real.lexically_relative(real_root);
  }
  std::string key = rel.generic_string();
  if (rel.empty() || key == "." || key == ".." || key.starts_with("../")) {
    return Status::InvalidArgument(arg + ": outside the sync root " + ctx.root +
                                   " (ids are derived from paths relative to it; see --root)");
  }

  const std::string path = abs.string();
  FS_TRY_ASSIGN(std::optional<ParsedWorkflow> read,
                ReadSource(RealFileSystem(), SourceCandidate{format, key, path}, ctx.limits));
  if (!read) {
    return Status::InvalidArgument(
        key +
        ": not a workflow (an n8n export needs 'nodes' and 'connections', a phase file "
        "[[phase]] tables)");
  }
  int64_t mtime_ns = 0;
  std::vector<std::string> members = {path};
  if (format == Format::kBundle) {
    members = {JoinPath(path, "workflow.json"), JoinPath(path, "meta.json"),
               JoinPath(path, "README.md")};
  }
  for (const std::string& member : members) {
    auto st = RealFileSystem().Stat(member);
    if (st.ok()) mtime_ns = std::max(mtime_ns, st->mtime_ns);
  }
  WorkflowExport wf;
  FS_TRY_ASSIGN(wf.id, IdForPath(ctx, lazy, key));
  wf.project = ctx.store_options.project;
  wf.path = key;
  wf.workflow = std::move(*read);
  wf.created_at = wf.updated_at = FormatTimestampMs(mtime_ns / 1'000'000);
  return wf;
}

WorkflowExport ExportFromDetail(const std::string& project, WorkflowDetail d) {
  WorkflowExport wf;
  wf.id = d.summary.id;
  wf.project = project;
  wf.path = d.summary.path;
  wf.created_at = d.summary.created_at;
  wf.updated_at = d.summary.updated_at;
  ParsedWorkflow& p = wf.workflow;
  p.format = d.summary.format;
  p.name = d.summary.name;
  p.source_id = d.summary.source_id;
  p.content = std::move(d.content);
  p.content_hash = d.summary.content_hash;
  p.metadata_json = std::move(d.metadata_json);
  p.documentation = std::move(d.documentation);
  p.active = d.summary.active;
  p.categories = d.summary.categories;
  p.findings = std::move(d.findings);
  p.phases = std::move(d.phases);
  return wf;
}

Status RefuseDeleted(const WorkflowSummary& s) {
  return Status::Conflict(
      fmt::format("workflow '{}' ({}) was deleted at {}: only live workflows can be promoted",
                  EscapeHeaderText(s.name), EscapeHeaderText(s.path), s.deleted_at.value_or("?")));
}

// A workflow of the database by id, id prefix, path or exact name.
Result<WorkflowExport> ExportFromDb(LazyStore& lazy, const std::string& arg) {
  auto store_or = lazy.Get();
  if (!store_or.ok()) {
    if (store_or.status().code() != StatusCode::kNotFound) return store_or.status();
    return Status::NotFound("'" + arg +
                            "' is no file, and there is no database to look it up in (" +
                            store_or.status().message() + ")");
  }
  Store* store = *store_or;
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> found,
                store->catalog().FindWorkflow(NormaliseWorkflowQuery(arg)));
  if (!found) {
    ListFilter all;
    all.deleted = ListFilter::Deleted::kInclude;
    FS_TRY_ASSIGN(std::vector<WorkflowSummary> rows, store->catalog().ListWorkflows(all));
    std::vector<const WorkflowSummary*> live, deleted;
    for (const WorkflowSummary& s : rows) {
      if (s.name != arg) continue;
      (s.deleted_at ? deleted : live).push_back(&s);
    }
    if (live.size() > 1) {
      std::string candidates;
      for (const WorkflowSummary* s : live) {
        candidates += "\n  " + s->id + "  " + EscapeHeaderText(s->path);
      }
      return Status::InvalidArgument(
          fmt::format("name '{}' is ambiguous: {} workflows have it; give an id or a path:{}",
                      EscapeHeaderText(arg), live.size(), candidates));
    }
    if (live.empty() && !deleted.empty()) return RefuseDeleted(*deleted.front());
    if (live.empty()) {
      return Status::NotFound("no workflow '" + EscapeHeaderText(arg) +
                              "': not a file, and no id, unique id prefix, path or name in " +
                              store->Describe() + " (see `flowsync list`)");
    }
    FS_TRY_ASSIGN(found, store->catalog().FindWorkflow(live.front()->id));
    if (!found) return Status::NotFound("workflow " + live.front()->id + " vanished");
  }
  if (found->summary.deleted_at) return RefuseDeleted(found->summary);
  return ExportFromDetail(store->project(), std::move(*found));
}

int RunCreate(const CreateOptions& o) {
  MigrationCreateOptions options;
  options.dir = o.dir;
  options.source = o.source;
  options.style = o.format == "dbmate" ? MigrationStyle::kDbmate : MigrationStyle::kPlain;
  options.redact = o.redact;
  options.allowed_paths.insert(o.allow.begin(), o.allow.end());
  options.notes = o.notes;
  if (o.sidecar_threshold) {
    auto size = ParseSize(*o.sidecar_threshold);
    if (!size.ok()) return Fail(size.status().WithPrefix("--sidecar-threshold"));
    options.sidecar_threshold = *size;
  }
  if (o.since && !o.workflows.empty()) {
    return Fail(Status::InvalidArgument(
        "--since selects workflows when none is named: give WORKFLOW arguments or --since"));
  }
  const std::string since_text = o.since.value_or(kDefaultSince);
  auto since_ms = ParseSince(since_text);
  if (!since_ms.ok()) return Fail(since_ms.status());

  auto ctx = ResolveContext(o.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  if (o.dialect) {
    options.dialect = *o.dialect == "postgres" ? SqlDialect::kPostgres : SqlDialect::kSqlite;
  } else {
    options.dialect =
        ctx->db.kind == DatabaseUrl::Kind::kPostgres ? SqlDialect::kPostgres : SqlDialect::kSqlite;
  }

  LazyStore lazy(*ctx);
  std::vector<WorkflowExport> selected;
  std::set<std::string> ids;
  if (o.workflows.empty()) {
    auto store = lazy.Get();
    if (!store.ok()) return Fail(store.status());
    auto rows = (*store)->catalog().ListWorkflows(ListFilter{});
    if (!rows.ok()) return Fail(rows.status());
    const std::string cutoff = FormatTimestampMs(SystemNowMs() - *since_ms);
    for (const WorkflowSummary& s : *rows) {
      if (s.updated_at < cutoff) continue;
      auto d = (*store)->catalog().FindWorkflow(s.id);
      if (!d.ok()) return Fail(d.status());
      if (!*d) continue;  // vanished since the listing
      selected.push_back(ExportFromDetail((*store)->project(), std::move(**d)));
    }
    if (selected.empty()) {
      if (o.json) {
        std::cout << Json{{"dir", o.dir}, {"files", Json::array()}}.dump(2) << std::endl;
      } else {
        fmt::print("no workflow changed in the last {}\n", since_text);
      }
      return kExitOk;
    }
  } else {
    for (const std::string& arg : o.workflows) {
      auto info = RealFileSystem().Stat(arg);
      Result<WorkflowExport> wf =
          info.ok() ? ExportFromFile(*ctx, lazy, arg, *info) : ExportFromDb(lazy, arg);
      if (!wf.ok()) return Fail(wf.status());
      if (ids.insert(wf->id).second) selected.push_back(std::move(wf).value());
    }
  }

  auto existing = ListMigrationFolder(RealFileSystem(), options.dir);
  if (!existing.ok()) return Fail(existing.status());
  auto plan = PlanMigrations(std::move(selected), *existing, options);
  if (!plan.ok()) return Fail(plan.status());
  Status written = WriteMigrations(*plan);
  if (!written.ok()) return Fail(written);

  for (const std::string& path : plan->unused_allowed) {
    std::fprintf(stderr, "flowsync: warning: --allow %s matched no finding\n",
                 EscapeHeaderText(path).c_str());
  }
  if (o.json) {
    Json files = Json::array();
    for (const PlannedMigration& m : plan->migrations) {
      Json j;
      j["file"] = JoinPath(plan->dir, m.sql.name);
      j["sidecar"] = m.sidecar ? Json(JoinPath(plan->dir, m.sidecar->name)) : Json(nullptr);
      j["workflow_id"] = m.workflow_id;
      j["name"] = m.workflow_name;
      j["path"] = m.path;
      j["credential_references"] = m.credential_references;
      j["redacted"] = m.redacted;
      j["allowed"] = m.allowed;
      files.push_back(std::move(j));
    }
    std::cout << Json{{"dir", plan->dir}, {"files", files}}.dump(2, ' ', false,
                                                                 Json::error_handler_t::replace)
              << std::endl;
    return kExitOk;
  }
  for (const PlannedMigration& m : plan->migrations) {
    std::vector<std::string> notes;
    if (m.sidecar) notes.push_back("sidecar " + m.sidecar->name);
    if (!m.redacted.empty()) {
      notes.push_back(fmt::format("{} secret{} redacted", m.redacted.size(),
                                  m.redacted.size() == 1 ? "" : "s"));
    }
    std::string suffix;
    for (const std::string& n : notes) suffix += (suffix.empty() ? " (" : "; ") + n;
    if (!suffix.empty()) suffix += ")";
    fmt::print("wrote {}{}\n", EscapeHeaderText(JoinPath(plan->dir, m.sql.name)), suffix);
  }
  return kExitOk;
}

}  // namespace

void AddMigrationCommand(CLI::App* app, std::function<int()>* run) {
  static CreateOptions o;  // lives as long as the parse and the handler
  CLI::App* migration = app->add_subcommand(
      "migration", "Write reviewable SQL migrations that promote workflows between environments");
  migration->require_subcommand(1);
  CLI::App* create = migration->add_subcommand(
      "create",
      "One migration file per workflow (from files, or from the database by id, path or name; "
      "without WORKFLOW: every workflow changed within --since)");
  create->add_option("workflow", o.workflows,
                     "A workflow file or bundle folder, or an id, unique id prefix, path or name "
                     "in the database");
  create->add_option("--dir", o.dir, "Folder of the migrations (default: migrations; created)");
  create->add_option("--source", o.source, "Environment the workflows come from (default: dev)")
      ->check(CLI::IsMember({"dev", "prod", "staging"}));
  create
      ->add_option("--dialect", o.dialect,
                   "SQL of the target database (default: that of the context's database)")
      ->check(CLI::IsMember({"sqlite", "postgres"}));
  create->add_option("--format", o.format, "plain (default) or dbmate (migrate:up/down sections)")
      ->check(CLI::IsMember({"plain", "dbmate"}));
  create->add_option("--since", o.since,
                     "Without WORKFLOW: workflows changed within this window, e.g. 12h, 7d "
                     "(default), 2w");
  create->add_flag("--redact", o.redact,
                   "Replace literal secrets with __REDACTED__ (noted in the header) instead of "
                   "refusing");
  create->add_option("--allow", o.allow,
                     "Accept the secret finding at this place (a JSON path, meta.json:PATH or "
                     "README.md:LINE), exactly as a refusal prints it (repeatable)");
  create->add_option("--sidecar-threshold", o.sidecar_threshold,
                     "Content above this size goes into a sidecar .json (default 256KB)");
  create->add_option("--notes", o.notes, "Free text for the header and migration_metadata");
  create->add_flag("--json", o.json, "Print the files written as JSON");
  create->add_option("--db", o.flags.db, "Database URL (as for sync)");
  create->add_option("--project", o.flags.project, "Project to work in");
  create->add_option("--root", o.flags.root,
                     "Sync root that file paths (and so ids) are relative to (default: as for "
                     "sync)");
  create->add_option("--max-file-size", o.flags.max_file_size, "Largest file read");
  create->callback([run] { *run = [] { return RunCreate(o); }; });
}

}  // namespace flowsync::cli
