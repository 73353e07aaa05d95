// `flowsync migrate up|down|status|validate|repair|baseline`: the migration
// runner (promote/migrate.h).
#include "promote/migrate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"
#include "flowsync/file_system.h"
#include "flowsync/store.h"

namespace flowsync::cli {
namespace {

using MigrateOptions = MigrateCommand;

// The folder, the database and the migration lock, in that order: a missing
// folder is reported before any database is created. Members are destroyed
// in reverse, so the session (and its lock) goes before its store.
struct Opened {
  MigrationFolder folder;
  config::Context ctx;
  std::unique_ptr<Store> store;
  std::unique_ptr<MigrationHistory> session;
};

// The runner's context: the root only locates the database.
Result<config::Context> ResolveMigrateContext(const MigrateOptions& o) {
  config::Overrides flags = o.common.flags;
  flags.root_rule = config::RootRule::kDatabase;
  return ResolveCommandContext(flags);
}

Result<Opened> Open(const MigrateOptions& o, config::IfMissing if_missing) {
  Opened out;
  FS_TRY_ASSIGN(out.folder, LoadMigrations(RealFileSystem(), o.dir));
  FS_TRY_ASSIGN(out.ctx, ResolveMigrateContext(o));
  FS_TRY_ASSIGN(out.store, config::OpenContextStore(out.ctx, if_missing));
  FS_TRY_ASSIGN(out.session, out.store->OpenMigrationHistory());
  return out;
}

// For status and validate, a look that writes nothing, not even a new
// database file or lock file: a database that does not exist or holds no
// flowsync data yet (NotFound, opened without creating it) has no history,
// and `session` stays null.
Result<Opened> OpenForReading(const MigrateOptions& o) {
  Opened out;
  FS_TRY_ASSIGN(out.folder, LoadMigrations(RealFileSystem(), o.dir));
  FS_TRY_ASSIGN(out.ctx, ResolveMigrateContext(o));
  auto store = config::OpenContextStore(out.ctx, config::IfMissing::kFail);
  if (!store.ok() && store.status().code() == StatusCode::kNotFound) return out;
  FS_TRY_ASSIGN(out.store, std::move(store));
  FS_TRY_ASSIGN(out.session, out.store->OpenMigrationHistory());
  return out;
}

// The status through the session, or of a fresh database without one.
Result<MigrationStatus> ReadStatus(Opened& c) {
  if (c.session == nullptr) return FreshMigrationStatus(c.folder);
  return ReadMigrationStatus(*c.session, c.folder);
}

void Warn(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "flowsync: warning: %s\n", message.c_str());
}

void WarnMissing(const std::vector<MigrationRef>& missing, const std::string& dir) {
  for (const MigrationRef& m : missing) {
    Warn(fmt::format("{} was applied but is no longer in {}", m.file, dir));
  }
}

// ---- JSON ----------------------------------------------------------------------
//
// Every sub-command prints one object (docs/formats.md, "Command output"):
// "command" and "dir", then what it did; a migration is {"version", "name",
// "file", ...}. Failures still go to stderr with their exit status; a run
// that stopped part-way (up, down) or found problems (validate) prints its
// document first.

Json MigrationJson(const std::string& version, const std::string& name, const std::string& file) {
  return Json{{"version", version}, {"name", name}, {"file", file}};
}

Json MigrationsJson(const std::vector<MigrationRef>& refs) {
  Json out = Json::array();
  for (const MigrationRef& r : refs) out.push_back(MigrationJson(r.version, r.name, r.file));
  return out;
}

// null, or the migration that stopped the run with its error.
Json FailedJson(const std::optional<MigrationRef>& failed, const Status& failure) {
  if (!failed) return Json();
  Json j = MigrationJson(failed->version, failed->name, failed->file);
  j["error"] = failure.message();
  return j;
}

Json Document(std::string_view command, const MigrateOptions& o) {
  return Json{{"command", command}, {"dir", o.dir}};
}

void PrintJson(const Json& doc) {
  std::cout << doc.dump(2, ' ', false, Json::error_handler_t::replace) << std::endl;
}

std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

// ---- up ------------------------------------------------------------------------

ExitCode RunUp(const MigrateOptions& o) {
  // A dry run writes nothing, not even a new database file.
  auto c = Open(o, o.dry_run ? config::IfMissing::kEmpty : config::IfMissing::kCreate);
  if (!c.ok()) return Fail(c.status());
  UpOptions options;
  options.allow_out_of_order = o.allow_out_of_order;
  options.dry_run = o.dry_run;
  options.target = o.to;
  if (!o.common.json) {
    options.on_applied = [](const AppliedMigration& a) {
      fmt::print("applied {} ({} ms)\n", a.file, a.execution_ms);
      std::fflush(stdout);
    };
  }
  auto report = MigrateUp(*c->session, c->folder, options);
  if (!report.ok()) return Fail(report.status());
  WarnMissing(report->missing, o.dir);
  if (o.common.json) {
    Json doc = Document("up", o);
    doc["dry_run"] = o.dry_run;
    Json applied = Json::array();
    for (const AppliedMigration& a : report->applied) {
      Json j = MigrationJson(a.version, a.name, a.file);
      j["checksum"] = a.checksum;
      j["transaction"] = a.transaction;
      j["execution_ms"] = o.dry_run ? Json() : Json(a.execution_ms);
      j["sql"] = o.dry_run ? Json(a.sql) : Json();
      applied.push_back(std::move(j));
    }
    doc["applied"] = std::move(applied);
    doc["failed"] = FailedJson(report->failed, report->failure);
    doc["pending"] = MigrationsJson(report->pending);
    doc["missing"] = MigrationsJson(report->missing);
    PrintJson(doc);
    return report->failure.ok() ? ExitCode::kOk : Fail(report->failure);
  }
  if (o.dry_run) {
    for (const AppliedMigration& a : report->applied) {
      fmt::print("-- {} {}{}\n", a.file, a.checksum,
                 a.transaction ? "" : " (transaction:false: runs outside a transaction)");
      fmt::print("{}", a.sql);
      if (!a.sql.empty() && a.sql.back() != '\n') fmt::print("\n");
    }
    if (report->applied.empty()) {
      fmt::print("-- dry run: nothing to apply\n");
    } else {
      fmt::print("-- dry run: {} to apply, nothing written\n", report->applied.size());
    }
    return ExitCode::kOk;
  }
  if (!report->failure.ok()) {
    fmt::print("{} applied, 1 failed, {} pending\n", report->applied.size(),
               report->pending.size());
    return Fail(report->failure);
  }
  if (report->applied.empty()) {
    if (!report->pending.empty()) {
      fmt::print("nothing to apply up to {} ({} pending after it)\n", o.to.value_or(""),
                 report->pending.size());
    } else {
      fmt::print("nothing to apply\n");
    }
  } else {
    fmt::print("{} applied, {} pending\n", report->applied.size(), report->pending.size());
  }
  return ExitCode::kOk;
}

// ---- down ------------------------------------------------------------------------

ExitCode RunDown(const MigrateOptions& o) {
  auto c = Open(o, config::IfMissing::kFail);
  if (!c.ok()) return Fail(c.status());
  DownOptions options;
  options.count = o.count;
  if (!o.common.json) {
    options.on_reverted = [](const RevertedMigration& r) {
      fmt::print("reverted {} ({} ms{})\n", r.file, r.execution_ms,
                 r.builtin ? ", built-in workflow down" : "");
      std::fflush(stdout);
    };
  }
  auto report = MigrateDown(*c->session, c->folder, options);
  if (!report.ok()) return Fail(report.status());
  if (o.common.json) {
    Json doc = Document("down", o);
    Json reverted = Json::array();
    for (const RevertedMigration& r : report->reverted) {
      Json j = MigrationJson(r.version, r.name, r.file);
      j["execution_ms"] = r.execution_ms;
      j["builtin"] = r.builtin;
      reverted.push_back(std::move(j));
    }
    doc["reverted"] = std::move(reverted);
    doc["failed"] = FailedJson(report->failed, report->failure);
    PrintJson(doc);
    return report->failure.ok() ? ExitCode::kOk : Fail(report->failure);
  }
  if (!report->failure.ok()) {
    fmt::print("{} reverted\n", report->reverted.size());
    return Fail(report->failure);
  }
  if (report->reverted.empty()) {
    fmt::print("nothing to revert\n");
  } else {
    fmt::print("{} reverted\n", report->reverted.size());
  }
  return ExitCode::kOk;
}

// ---- status ----------------------------------------------------------------------

Json StatusRowJson(const MigrationStatusRow& r) {
  auto text_or_null = [](const std::string& s) -> Json { return s.empty() ? Json() : Json(s); };
  Json j;
  j["version"] = r.version;
  j["name"] = r.name;
  j["file"] = r.file;
  j["state"] = MigrationStateName(r.state);
  j["checksum"] = r.checksum;
  j["stored_checksum"] = text_or_null(r.stored_checksum);
  j["applied_at"] = text_or_null(r.applied_at);
  j["applied_by"] = text_or_null(r.applied_by);
  j["execution_ms"] = r.execution_ms ? Json(*r.execution_ms) : Json();
  j["error"] = text_or_null(r.error);
  j["out_of_order"] = r.out_of_order;
  return j;
}

std::string CountsLine(const MigrationCounts& c) {
  std::string out = fmt::format("{} applied", c.applied);
  if (c.baseline > 0) out += fmt::format(", {} baseline", c.baseline);
  out += fmt::format(", {} pending", c.pending);
  if (c.failed > 0) out += fmt::format(", {} failed", c.failed);
  if (c.changed > 0) out += fmt::format(", {} changed", c.changed);
  if (c.missing > 0) out += fmt::format(", {} missing", c.missing);
  return out;
}

void PrintStatusTable(const MigrationStatus& s) {
  constexpr size_t kMaxName = 40;
  size_t version_w = 7, name_w = 4, state_w = 8, at_w = 10;
  for (const MigrationStatusRow& r : s.migrations) {
    version_w = std::max(version_w, r.version.size());
    name_w = std::max(name_w, std::min(kMaxName, DisplayColumns(r.name)));
    at_w = std::max(at_w, r.applied_at.size());
  }
  fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", "VERSION", version_w, "NAME", name_w, "STATE", state_w,
             "APPLIED AT");
  for (const MigrationStatusRow& r : s.migrations) {
    // Fit pads to display columns: names may be UTF-8.
    std::string line =
        fmt::format("{:<{}}  {}  {:<{}}  {:<{}}", r.version, version_w, Fit(r.name, name_w),
                    MigrationStateName(r.state), state_w, r.applied_at, at_w);
    if (r.state == MigrationState::kFailed) {
      line += "  error: " + OneLine(r.error);
    } else if (r.state == MigrationState::kChanged) {
      line += fmt::format("  applied as {}, now {}", r.stored_checksum, r.checksum);
    } else if (r.out_of_order) {
      line += "  older than the newest applied";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::print("{}\n", line);
  }
  fmt::print("{}\n", CountsLine(s.counts));
}

ExitCode RunStatus(const MigrateOptions& o) {
  auto c = OpenForReading(o);
  if (!c.ok()) return Fail(c.status());
  if (Status s = c->folder.ProblemsStatus(); !s.ok()) {
    return Fail(
        s.WithPrefix("the migrations folder has problems (see `flowsync migrate "
                     "validate`)"));
  }
  auto status = ReadStatus(*c);
  if (!status.ok()) return Fail(status.status());
  const MigrationCounts& n = status->counts;
  if (o.common.json) {
    Json rows = Json::array();
    for (const MigrationStatusRow& r : status->migrations) rows.push_back(StatusRowJson(r));
    Json doc = Document("status", o);
    doc["migrations"] = std::move(rows);
    doc["counts"] = {{"applied", n.applied}, {"baseline", n.baseline}, {"pending", n.pending},
                     {"failed", n.failed},   {"changed", n.changed},   {"missing", n.missing}};
    PrintJson(doc);
  } else {
    PrintStatusTable(*status);
  }
  if (!o.exit_code) return ExitCode::kOk;
  if (n.changed > 0 || n.missing > 0) return ExitCode::kRefused;
  if (n.pending > 0 || n.failed > 0) return ExitCode::kFailed;
  return ExitCode::kOk;
}

// ---- validate, repair, baseline ------------------------------------------------------

ExitCode RunValidate(const MigrateOptions& o) {
  auto c = OpenForReading(o);
  if (!c.ok()) return Fail(c.status());
  ValidateOptions options;
  options.allow_out_of_order = o.allow_out_of_order;
  auto status = ReadStatus(*c);
  if (!status.ok()) return Fail(status.status());
  MigrationValidation v = ValidateMigrationStatus(c->folder, *status, options);
  if (o.common.json) {
    Json doc = Document("validate", o);
    doc["valid"] = v.problems.empty();
    doc["files"] = c->folder.files.size();
    doc["problems"] = v.problems;
    PrintJson(doc);
  }
  if (Status s = v.ToStatus(); !s.ok()) return Fail(s);
  if (o.common.json) return ExitCode::kOk;
  fmt::print("{} valid\n", c->folder.files.size() == 1
                               ? std::string("1 migration file is")
                               : fmt::format("{} migration files are", c->folder.files.size()));
  return ExitCode::kOk;
}

ExitCode RunRepair(const MigrateOptions& o) {
  auto c = Open(o, config::IfMissing::kFail);
  if (!c.ok()) return Fail(c.status());
  auto repaired = RepairMigrations(*c->session, c->folder, o.versions);
  if (!repaired.ok()) return Fail(repaired.status());
  if (o.common.json) {
    Json list = Json::array();
    for (const RepairedMigration& r : *repaired) {
      Json j = MigrationJson(r.version, r.name, r.file);
      j["old_checksum"] = r.old_checksum;
      j["new_checksum"] = r.new_checksum;
      list.push_back(std::move(j));
    }
    Json doc = Document("repair", o);
    doc["repaired"] = std::move(list);
    PrintJson(doc);
    return ExitCode::kOk;
  }
  for (const RepairedMigration& r : *repaired) {
    fmt::print("repaired {}: {} -> {}\n", r.file, r.old_checksum, r.new_checksum);
  }
  if (repaired->empty()) {
    fmt::print("nothing to repair: no applied file changed\n");
  } else {
    fmt::print("{} repaired\n", repaired->size());
  }
  return ExitCode::kOk;
}

ExitCode RunBaseline(const MigrateOptions& o) {
  auto c = Open(o, config::IfMissing::kCreate);
  if (!c.ok()) return Fail(c.status());
  auto marked = BaselineMigrations(*c->session, c->folder, o.version);
  if (!marked.ok()) return Fail(marked.status());
  if (o.common.json) {
    Json doc = Document("baseline", o);
    doc["version"] = o.version;
    doc["baselined"] = MigrationsJson(*marked);
    PrintJson(doc);
    return ExitCode::kOk;
  }
  for (const MigrationRef& m : *marked) fmt::print("baseline {}\n", m.file);
  if (marked->empty()) {
    fmt::print("nothing to baseline: no pending migration at or below {}\n", o.version);
  } else {
    fmt::print("{} marked as applied without running (baseline {})\n", marked->size(), o.version);
  }
  return ExitCode::kOk;
}

// ---- The rows ---------------------------------------------------------------------

void SetupCommon(CLI::App* cmd, MigrateOptions& o) {
  cmd->add_option("--dir", o.dir, "Folder of VERSION_NAME.sql files (default: migrations)")
      ->type_name("DIR");
  cmd->add_option("--db", o.common.flags.db, "Database URL (as for sync)")->type_name("URL");
  cmd->add_option("--root", o.common.flags.root,
                  "The flowsync root whose database to use (default: the nearest folder upwards "
                  "holding .flowsync/ or flowsync.toml)")
      ->type_name("DIR");
  cmd->add_option("--project", o.common.flags.project, "Project to open the database for");
  cmd->add_option("--lock-timeout", o.common.flags.lock_timeout_s,
                  "Seconds to wait for another runner or writer before giving up (default 60)")
      ->check(LockTimeoutRange());
  cmd->add_flag("--json", o.common.json, "Print the result as one JSON object");
}

void SetupUp(CLI::App* cmd, MigrateOptions& o) {
  SetupCommon(cmd, o);
  cmd->add_flag("--dry-run", o.dry_run, "Print the SQL that would run; write nothing");
  cmd->add_flag("--allow-out-of-order", o.allow_out_of_order,
                "Also apply pending files older than the newest applied one");
  cmd->add_option("--to", o.to, "Apply only files up to this version");
}

void SetupDown(CLI::App* cmd, MigrateOptions& o) {
  SetupCommon(cmd, o);
  cmd->add_option("n", o.count, "How many migrations to revert (default 1)")
      ->check(CLI::Validator(
          [](const std::string& text) {
            return text.find_first_not_of("0123456789") == std::string::npos &&
                           text.find_first_not_of('0') != std::string::npos
                       ? std::string()
                       : "N must be a whole number of migrations, 1 or more (got '" + text + "')";
          },
          "N", "positive count"));
}

void SetupStatus(CLI::App* cmd, MigrateOptions& o) {
  SetupCommon(cmd, o);
  cmd->add_flag("--exit-code", o.exit_code,
                "Exit 1 when anything is pending or failed, 3 when a file changed or is "
                "missing");
}

void SetupValidate(CLI::App* cmd, MigrateOptions& o) {
  SetupCommon(cmd, o);
  cmd->add_flag("--allow-out-of-order", o.allow_out_of_order,
                "Pending files older than the newest applied one are not a problem");
}

void SetupRepair(CLI::App* cmd, MigrateOptions& o) {
  SetupCommon(cmd, o);
  cmd->add_option("versions", o.versions, "Only these versions (default: every changed one)");
}

void SetupBaseline(CLI::App* cmd, MigrateOptions& o) {
  SetupCommon(cmd, o);
  cmd->add_option("version", o.version, "The newest version the database already holds")
      ->required();
}

}  // namespace

Command MigrateCommandRow() {
  return {
      "migrate",
      "Apply the SQL migration files of a folder to the database, and undo them",
      nullptr,
      nullptr,
      {
          {"up", "Apply the pending files in version order, each in its own transaction",
           [](CLI::App* c, CommandOptions& o) { SetupUp(c, o.migrate); },
           [](CommandOptions& o) { return RunUp(o.migrate); }},
          {"down", "Revert the last N applied migrations (default 1), newest first",
           [](CLI::App* c, CommandOptions& o) { SetupDown(c, o.migrate); },
           [](CommandOptions& o) { return RunDown(o.migrate); }},
          {"status", "Every migration and its state: applied, pending, failed, changed",
           [](CLI::App* c, CommandOptions& o) { SetupStatus(c, o.migrate); },
           [](CommandOptions& o) { return RunStatus(o.migrate); }},
          {"validate", "Check files, sidecars and checksums against the history; write nothing",
           [](CLI::App* c, CommandOptions& o) { SetupValidate(c, o.migrate); },
           [](CommandOptions& o) { return RunValidate(o.migrate); }},
          {"repair", "Accept changed applied files as they are now (store their checksums)",
           [](CLI::App* c, CommandOptions& o) { SetupRepair(c, o.migrate); },
           [](CommandOptions& o) { return RunRepair(o.migrate); }},
          {"baseline", "Mark every pending file up to VERSION as applied, without running it",
           [](CLI::App* c, CommandOptions& o) { SetupBaseline(c, o.migrate); },
           [](CommandOptions& o) { return RunBaseline(o.migrate); }},
      },
  };
}

}  // namespace flowsync::cli
