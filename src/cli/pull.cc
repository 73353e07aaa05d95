// flowsync pull: what changed only in the database comes into the files.
#include "sync/pull.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"

namespace flowsync::cli {
namespace {

Json PullJson(const PullReport& r) {
  Json changes = Json::array();
  for (const PullChange& c : r.changes) {
    Json j = {{"kind", PullChangeKindName(c.kind)},
              {"path", c.path},
              {"id", c.workflow_id},
              {"message", c.message}};
    if (c.kind == PullChangeKind::kMoved) j["old_path"] = c.old_path;
    changes.push_back(std::move(j));
  }
  return {{"dry_run", r.dry_run},
          {"written", r.written},
          {"moved", r.moved},
          {"removed", r.removed},
          {"conflicts", r.conflicts},
          {"refused", r.refused},
          {"left_for_sync", r.left_for_sync},
          {"changes", std::move(changes)},
          {"duration_ms", r.duration_ms}};
}

ExitCode RunPullCommand(PullCommand& o) {
  PullOptions options;
  if (Status s = ParsePrefer(o.prefer, &options.prefer, &options.prefer_paths); !s.ok()) {
    return Fail(s);
  }
  auto ctx = ResolveCommandContext(o.common.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  auto store = config::OpenContextStore(*ctx, config::IfMissing::kFail);
  if (!store.ok()) return Fail(store.status());
  options.root = ctx->root;
  options.dry_run = o.dry_run;
  options.keep_deleted = o.keep_deleted;
  options.limits = ctx->limits;
  auto report = RunPull(**store, options);
  if (!report.ok()) return Fail(report.status());
  const PullReport& r = *report;
  if (o.common.json) {
    std::cout << DumpJson(PullJson(r), -1) << std::endl;
  } else {
    for (const PullChange& c : r.changes) {
      if (c.kind == PullChangeKind::kConflict || c.kind == PullChangeKind::kRefused) {
        std::fprintf(stderr, "%s: %s\n", std::string(PullChangeKindName(c.kind)).c_str(),
                     DisplayText(c.message).c_str());
        continue;
      }
      if (!o.verbose && !r.dry_run) continue;
      std::string verb(PullChangeKindName(c.kind));
      if (r.dry_run) verb = "would be " + verb;
      if (c.kind == PullChangeKind::kMoved) {
        fmt::print("{:<18} {} -> {} ({})\n", verb, DisplayText(c.old_path), DisplayText(c.path),
                   DisplayText(c.message));
      } else {
        fmt::print("{:<18} {} ({})\n", verb, DisplayText(c.path), DisplayText(c.message));
      }
    }
    fmt::print("{}pull into {}: {} written, {} moved, {} removed, {} {}, {} refused in {} ms\n",
               r.dry_run ? "dry run: " : "", ctx->root, r.written, r.moved, r.removed, r.conflicts,
               r.conflicts == 1 ? "conflict" : "conflicts", r.refused, r.duration_ms);
    if (r.left_for_sync > 0) {
      fmt::print("{} change{} in the files left for `flowsync sync`\n", r.left_for_sync,
                 r.left_for_sync == 1 ? "" : "s");
    }
  }
  std::fflush(stdout);
  if (r.refused > 0) return ExitCode::kFailed;
  return r.conflicts > 0 ? ExitCode::kConflict : ExitCode::kOk;
}

void SetupPull(CLI::App* cmd, PullCommand& o) {
  AddTreeOptions(cmd, o.common);
  cmd->add_flag("-n,--dry-run", o.dry_run, "Print what would be written; write nothing");
  cmd->add_flag("--keep-deleted", o.keep_deleted,
                "Leave the files of workflows deleted in the database");
  cmd->add_option("--prefer", o.prefer,
                  "db: for conflicts (changed in the files and in the database), write the "
                  "database's side over the files; db:PATH for one workflow. files leaves them "
                  "for `flowsync sync --prefer files`. Without it a conflict is left alone and "
                  "the exit status is 6")
      ->type_name("db|files")
      ->take_all();
  cmd->add_flag("--json", o.common.json, "Print one JSON object");
  cmd->add_flag("-v,--verbose", o.verbose, "List every file written, moved or removed");
  cmd->add_option("--max-file-size", o.common.flags.max_file_size, "Largest file read");
}

}  // namespace

Command PullCommandRow() {
  return {"pull",
          "Write what changed only in the database (edited, renamed, added, deleted there) "
          "into the files, in their own format; conflicts are left alone",
          [](CLI::App* c, CommandOptions& o) { SetupPull(c, o.pull); },
          [](CommandOptions& o) { return RunPullCommand(o.pull); }};
}

}  // namespace flowsync::cli
