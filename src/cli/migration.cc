// `flowsync migration create`: selects workflows (promote/workflow_selection.h:
// files on disk, or rows of the context's database by id, path or name, or
// everything changed within --since) and hands them to
// promote/migration_writer.h, which plans and writes the files.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"
#include "config/config_file.h"
#include "flowsync/clock.h"
#include "flowsync/file_system.h"
#include "flowsync/store.h"
#include "promote/migration_writer.h"
#include "promote/workflow_selection.h"

namespace flowsync::cli {
namespace {

constexpr char kDefaultSince[] = "7d";

// What was not written: one workflow alone says so in one line; a batch
// lists each and ends with a count.
void PrintSkipped(const MigrationPlan& plan) {
  if (plan.skipped.empty()) return;
  if (plan.migrations.empty() && plan.skipped.size() == 1) {
    fmt::print("unchanged since {}; nothing written (--force to write anyway)\n",
               EscapeHeaderText(plan.skipped[0].unchanged_since));
    return;
  }
  for (const SkippedMigration& m : plan.skipped) {
    fmt::print("unchanged {} since {}\n", EscapeHeaderText(m.path),
               EscapeHeaderText(m.unchanged_since));
  }
  fmt::print("{} written, {} unchanged and not written (--force to write anyway)\n",
             plan.migrations.size(), plan.skipped.size());
}

ExitCode RunCreate(const MigrationCommand& o) {
  MigrationCreateOptions options;
  options.dir = o.dir;
  options.source = o.source;
  options.style = o.format == "dbmate" ? MigrationStyle::kDbmate : MigrationStyle::kPlain;
  options.redact = o.redact;
  options.allowed_paths.insert(o.allow.begin(), o.allow.end());
  options.notes = o.notes;
  options.force = o.force;
  if (o.sidecar_threshold) {
    auto size = config::ParseSize(*o.sidecar_threshold);
    if (!size.ok()) return Fail(size.status().WithPrefix("--sidecar-threshold"));
    options.sidecar_threshold = *size;
  }
  if (o.since && !o.workflows.empty()) {
    return Fail(Status::InvalidArgument(
        "--since selects workflows when none is named: give WORKFLOW arguments or --since"));
  }
  const std::string since_text = o.since.value_or(kDefaultSince);
  auto since_ms = ParseWindowMs(since_text);
  if (!since_ms.ok())
    return Fail(Status::InvalidArgument("--since " + since_ms.status().message()));

  // Files named find their root (and so their ids) wherever this runs; the
  // database alone serves ids, names and --since.
  config::Overrides flags = o.common.flags;
  flags.paths = o.workflows;
  flags.root_rule = config::RootRule::kDatabaseAndFiles;
  auto ctx = ResolveCommandContext(flags);
  if (!ctx.ok()) return Fail(ctx.status());
  // From an n8n database, the migrations are for n8n: what it holds has n8n
  // ids, which flowsync's tables do not take.
  const std::string target = o.target.value_or(ctx->db.n8n ? "n8n" : "flowsync");
  if (ctx->db.n8n && target != "n8n") {
    return Fail(Status::InvalidArgument(
        "--target flowsync: the workflows of an n8n database go to n8n (--target n8n); to "
        "promote them into a flowsync database, pull them into files first (`flowsync pull`)"));
  }
  if (o.n8n_project && target != "n8n") {
    return Fail(Status::InvalidArgument("--n8n-project needs --target n8n"));
  }
  options.target = target == "n8n" ? MigrationTarget::kN8n : MigrationTarget::kFlowsync;
  options.n8n_project = o.n8n_project;
  if (o.dialect) {
    options.dialect = *o.dialect == "postgres" ? SqlDialect::kPostgres : SqlDialect::kSqlite;
  } else {
    options.dialect =
        ctx->db.kind == DatabaseUrl::Kind::kPostgres ? SqlDialect::kPostgres : SqlDialect::kSqlite;
  }

  // The database is opened only when a workflow must be looked up in it.
  LazyStore lazy([&ctx] { return config::OpenContextStore(*ctx, config::IfMissing::kFail); });
  std::vector<WorkflowExport> selected;
  if (o.workflows.empty()) {
    auto store = lazy.Get();
    if (!store.ok()) return Fail(store.status());
    auto changed = ExportChangedSince(**store, SystemClock().NowMs() - *since_ms);
    if (!changed.ok()) return Fail(changed.status());
    selected = std::move(changed).value();
    if (selected.empty()) {
      if (o.common.json) {
        std::cout
            << Json{{"dir", o.dir}, {"files", Json::array()}, {"skipped", Json::array()}}.dump(2)
            << std::endl;
      } else {
        fmt::print("no workflow changed in the last {}\n", since_text);
      }
      return ExitCode::kOk;
    }
  } else {
    SelectionScope scope{ctx->root, ctx->store_options.project, ctx->limits};
    auto chosen = SelectWorkflows(RealFileSystem(), scope, lazy, o.workflows);
    if (!chosen.ok()) return Fail(chosen.status());
    selected = std::move(chosen).value();
  }

  if (ctx->db.n8n) {
    auto store = lazy.Get();
    if (!store.ok()) return Fail(store.status());
    if (Status st = AdoptN8nIds(**store, &selected); !st.ok()) return Fail(st);
  }

  auto existing = ReadMigrationFolder(RealFileSystem(), options.dir);
  if (!existing.ok()) return Fail(existing.status());
  auto plan = PlanMigrations(std::move(selected), *existing, options);
  if (!plan.ok()) return Fail(plan.status());
  Status written = WriteMigrations(*plan);
  if (!written.ok()) return Fail(written);

  for (const std::string& path : plan->unused_allowed) {
    std::fprintf(stderr, "flowsync: warning: --allow %s matched no finding\n",
                 EscapeHeaderText(path).c_str());
  }
  if (o.common.json) {
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
    Json skipped = Json::array();
    for (const SkippedMigration& m : plan->skipped) {
      skipped.push_back({{"workflow_id", m.workflow_id},
                         {"name", m.workflow_name},
                         {"path", m.path},
                         {"unchanged_since", JoinPath(plan->dir, m.unchanged_since)}});
    }
    std::cout << Json{{"dir", plan->dir}, {"files", files}, {"skipped", skipped}}.dump(
                     2, ' ', false, Json::error_handler_t::replace)
              << std::endl;
    return ExitCode::kOk;
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
  PrintSkipped(*plan);
  return ExitCode::kOk;
}

void SetupCreate(CLI::App* create, MigrationCommand& o) {
  create
      ->add_option("workflow", o.workflows,
                   "A workflow file or bundle folder, or an id, unique id prefix, path or name "
                   "in the database")
      ->type_name("PATH");
  create->add_option("--dir", o.dir, "Folder of the migrations (default: migrations; created)")
      ->type_name("DIR");
  create->add_option("--source", o.source, "Environment the workflows come from (default: dev)")
      ->check(CLI::IsMember({"dev", "prod", "staging"}));
  create
      ->add_option("--dialect", o.dialect,
                   "SQL of the target database (default: that of the context's database)")
      ->check(CLI::IsMember({"sqlite", "postgres"}));
  create->add_option("--format", o.format, "plain (default) or dbmate (migrate:up/down sections)")
      ->check(CLI::IsMember({"plain", "dbmate"}));
  create
      ->add_option("--target", o.target,
                   "Tables the migrations write: flowsync (default) or n8n (n8n's own tables, "
                   "ids kept, credentials re-bound by type and name; the default when --db "
                   "names an n8n database)")
      ->check(CLI::IsMember({"flowsync", "n8n"}));
  create
      ->add_option("--n8n-project", o.n8n_project,
                   "With --target n8n: the project owning the workflows a migration creates "
                   "(name or id; default: the instance owner's personal project)")
      ->type_name("NAME");
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
  create->add_flag("--force", o.force,
                   "Write a migration also for a workflow unchanged since its newest migration in "
                   "--dir (same id and content hash)");
  create->add_flag("--json", o.common.json, "Print the files written as JSON");
  create->add_option("--db", o.common.flags.db, "Database URL (as for sync)")->type_name("URL");
  create->add_option("--project", o.common.flags.project, "Project to work in");
  create
      ->add_option("--root", o.common.flags.root,
                   "Sync root that file paths (and so ids) are relative to (default: the nearest "
                   "folder upwards from the files named, else from the current folder, holding "
                   ".flowsync/ or flowsync.toml)")
      ->type_name("DIR");
  create->add_option("--max-file-size", o.common.flags.max_file_size, "Largest file read");
}

}  // namespace

Command MigrationCommandRow() {
  return {
      "migration",
      "Write reviewable SQL migrations that promote workflows between environments",
      nullptr,
      nullptr,
      {
          {"create",
           "One migration file per workflow (from files, or from the database by id, path or "
           "name; without WORKFLOW: every workflow changed within --since)",
           [](CLI::App* c, CommandOptions& o) { SetupCreate(c, o.migration); },
           [](CommandOptions& o) { return RunCreate(o.migration); }},
      },
  };
}

}  // namespace flowsync::cli
