#include "cli/migrate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/context.h"
#include "cli/output.h"
#include "flowsync/file_system.h"
#include "flowsync/store.h"
#include "promote/migrate.h"

namespace flowsync::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;   // status --exit-code: something pending or failed
constexpr int kExitRefused = 3;  // status --exit-code: a file changed or missing

struct MigrateOptions {
  GlobalFlags flags;
  std::string dir = "migrations";
  bool dry_run = false;
  bool allow_out_of_order = false;
  std::optional<std::string> to;
  bool json = false;
  bool exit_code = false;
  int count = 1;
  std::vector<std::string> versions;
  std::string version;
};

// The folder, the database and the migration lock, in that order: a missing
// folder is reported before any database is created. Members are destroyed
// in reverse, so the session (and its lock) goes before its store.
struct Opened {
  MigrationFolder folder;
  Context ctx;
  std::unique_ptr<Store> store;
  std::unique_ptr<MigrationHistory> session;
};

Result<Opened> Open(const MigrateOptions& o, IfMissing if_missing) {
  Opened out;
  FS_TRY_ASSIGN(out.folder, LoadMigrations(RealFileSystem(), o.dir));
  FS_TRY_ASSIGN(out.ctx, ResolveContext(o.flags));
  FS_TRY_ASSIGN(out.store, OpenContextStore(out.ctx, if_missing));
  FS_TRY_ASSIGN(out.session, out.store->OpenMigrationHistory());
  return out;
}

void Warn(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "flowsync: warning: %s\n", message.c_str());
}

void WarnMissing(const std::vector<std::string>& missing, const std::string& dir) {
  for (const std::string& file : missing) {
    Warn(fmt::format("{} was applied but is no longer in {}", file, dir));
  }
}

std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

// ---- up ------------------------------------------------------------------------

int RunUp(const MigrateOptions& o) {
  // A dry run writes nothing, not even a new database file.
  auto c = Open(o, o.dry_run ? IfMissing::kEmpty : IfMissing::kCreate);
  if (!c.ok()) return Fail(c.status());
  UpOptions options;
  options.allow_out_of_order = o.allow_out_of_order;
  options.dry_run = o.dry_run;
  options.target = o.to;
  options.on_applied = [](const AppliedMigration& a) {
    fmt::print("applied {} ({} ms)\n", a.file, a.execution_ms);
    std::fflush(stdout);
  };
  auto report = MigrateUp(*c->session, c->folder, options);
  if (!report.ok()) return Fail(report.status());
  WarnMissing(report->missing, o.dir);
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
    return kExitOk;
  }
  if (!report->failure.ok()) {
    fmt::print("{} applied, 1 failed, {} pending\n", report->applied.size(), report->pending - 1);
    return Fail(report->failure);
  }
  if (report->applied.empty()) {
    if (report->pending > 0) {
      fmt::print("nothing to apply up to {} ({} pending after it)\n", o.to.value_or(""),
                 report->pending);
    } else {
      fmt::print("nothing to apply\n");
    }
  } else {
    fmt::print("{} applied, {} pending\n", report->applied.size(), report->pending);
  }
  return kExitOk;
}

// ---- down ------------------------------------------------------------------------

int RunDown(const MigrateOptions& o) {
  auto c = Open(o, IfMissing::kFail);
  if (!c.ok()) return Fail(c.status());
  DownOptions options;
  options.count = o.count;
  options.on_reverted = [](const RevertedMigration& r) {
    fmt::print("reverted {} ({} ms{})\n", r.file, r.execution_ms,
               r.builtin ? ", built-in workflow down" : "");
    std::fflush(stdout);
  };
  auto report = MigrateDown(*c->session, c->folder, options);
  if (!report.ok()) return Fail(report.status());
  if (!report->failure.ok()) {
    fmt::print("{} reverted\n", report->reverted.size());
    return Fail(report->failure);
  }
  if (report->reverted.empty()) {
    fmt::print("nothing to revert\n");
  } else {
    fmt::print("{} reverted\n", report->reverted.size());
  }
  return kExitOk;
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

// Display columns of UTF-8 text (one per code point).
size_t Columns(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void PrintStatusTable(const MigrationStatus& s) {
  constexpr size_t kMaxName = 40;
  size_t version_w = 7, name_w = 4, state_w = 8, at_w = 10;
  for (const MigrationStatusRow& r : s.migrations) {
    version_w = std::max(version_w, r.version.size());
    name_w = std::max(name_w, std::min(kMaxName, Columns(r.name)));
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

int RunStatus(const MigrateOptions& o) {
  auto c = Open(o, IfMissing::kEmpty);
  if (!c.ok()) return Fail(c.status());
  if (Status s = c->folder.ProblemsStatus(); !s.ok()) {
    return Fail(
        s.WithPrefix("the migrations folder has problems (see `flowsync migrate "
                     "validate`)"));
  }
  auto status = ReadMigrationStatus(*c->session, c->folder);
  if (!status.ok()) return Fail(status.status());
  const MigrationCounts& n = status->counts;
  if (o.json) {
    Json rows = Json::array();
    for (const MigrationStatusRow& r : status->migrations) rows.push_back(StatusRowJson(r));
    Json counts = {{"applied", n.applied}, {"baseline", n.baseline}, {"pending", n.pending},
                   {"failed", n.failed},   {"changed", n.changed},   {"missing", n.missing}};
    std::cout << Json{{"migrations", rows}, {"counts", counts}}.dump(2) << std::endl;
  } else {
    PrintStatusTable(*status);
  }
  if (!o.exit_code) return kExitOk;
  if (n.changed > 0 || n.missing > 0) return kExitRefused;
  if (n.pending > 0 || n.failed > 0) return kExitFailed;
  return kExitOk;
}

// ---- validate, repair, baseline ------------------------------------------------------

int RunValidate(const MigrateOptions& o) {
  auto c = Open(o, IfMissing::kEmpty);
  if (!c.ok()) return Fail(c.status());
  ValidateOptions options;
  options.allow_out_of_order = o.allow_out_of_order;
  Status s = ValidateMigrations(*c->session, c->folder, options);
  if (!s.ok()) return Fail(s);
  fmt::print("{} valid\n", c->folder.files.size() == 1
                               ? std::string("1 migration file is")
                               : fmt::format("{} migration files are", c->folder.files.size()));
  return kExitOk;
}

int RunRepair(const MigrateOptions& o) {
  auto c = Open(o, IfMissing::kFail);
  if (!c.ok()) return Fail(c.status());
  auto repaired = RepairMigrations(*c->session, c->folder, o.versions);
  if (!repaired.ok()) return Fail(repaired.status());
  for (const RepairedMigration& r : *repaired) {
    fmt::print("repaired {}: {} -> {}\n", r.file, r.old_checksum, r.new_checksum);
  }
  if (repaired->empty()) {
    fmt::print("nothing to repair: no applied file changed\n");
  } else {
    fmt::print("{} repaired\n", repaired->size());
  }
  return kExitOk;
}

int RunBaseline(const MigrateOptions& o) {
  auto c = Open(o, IfMissing::kCreate);
  if (!c.ok()) return Fail(c.status());
  auto marked = BaselineMigrations(*c->session, c->folder, o.version);
  if (!marked.ok()) return Fail(marked.status());
  for (const std::string& file : *marked) fmt::print("baseline {}\n", file);
  if (marked->empty()) {
    fmt::print("nothing to baseline: no pending migration at or below {}\n", o.version);
  } else {
    fmt::print("{} marked as applied without running (baseline {})\n", marked->size(), o.version);
  }
  return kExitOk;
}

}  // namespace

void AddMigrateCommand(CLI::App* app, std::function<int()>* run) {
  static MigrateOptions o;  // lives as long as the parse and the handler
  CLI::App* migrate = app->add_subcommand(
      "migrate", "Apply the SQL migration files of a folder to the database, and undo them");
  migrate->require_subcommand(1);
  auto common = [](CLI::App* cmd) {
    cmd->add_option("--dir", o.dir, "Folder of VERSION_NAME.sql files (default: migrations)");
    cmd->add_option("--db", o.flags.db, "Database URL (as for sync)");
    cmd->add_option("--project", o.flags.project, "Project to open the database for");
    cmd->add_option("--lock-timeout", o.flags.lock_timeout_s,
                    "Seconds to wait for another runner or writer before giving up (default 60)")
        ->check(CLI::NonNegativeNumber);
  };
  struct Sub {
    const char* name;
    const char* help;
    int (*handler)(const MigrateOptions&);
  };
  for (const Sub& s : {
           Sub{"up", "Apply the pending files in version order, each in its own transaction",
               &RunUp},
           Sub{"down", "Revert the last N applied migrations (default 1), newest first", &RunDown},
           Sub{"status", "Every migration and its state: applied, pending, failed, changed",
               &RunStatus},
           Sub{"validate", "Check files, sidecars and checksums against the history; write nothing",
               &RunValidate},
           Sub{"repair", "Accept changed applied files as they are now (store their checksums)",
               &RunRepair},
           Sub{"baseline", "Mark every pending file up to VERSION as applied, without running it",
               &RunBaseline},
       }) {
    CLI::App* cmd = migrate->add_subcommand(s.name, s.help);
    common(cmd);
    auto handler = s.handler;
    if (handler == &RunUp) {
      cmd->add_flag("--dry-run", o.dry_run, "Print the SQL that would run; write nothing");
      cmd->add_flag("--allow-out-of-order", o.allow_out_of_order,
                    "Also apply pending files older than the newest applied one");
      cmd->add_option("--to", o.to, "Apply only files up to this version");
    } else if (handler == &RunDown) {
      cmd->add_option("n", o.count, "How many migrations to revert (default 1)")
          ->check(CLI::Validator(
              [](const std::string& text) {
                return text.find_first_not_of("0123456789") == std::string::npos &&
                               text.find_first_not_of('0') != std::string::npos
                           ? std::string()
                           : "N must be a whole number of migrations, 1 or more (got '" + text +
                                 "')";
              },
              "N", "positive count"));
    } else if (handler == &RunStatus) {
      cmd->add_flag("--json", o.json, "Print JSON");
      cmd->add_flag("--exit-code", o.exit_code,
                    "Exit 1 when anything is pending or failed, 3 when a file changed or is "
                    "missing");
    } else if (handler == &RunValidate) {
      cmd->add_flag("--allow-out-of-order", o.allow_out_of_order,
                    "Pending files older than the newest applied one are not a problem");
    } else if (handler == &RunRepair) {
      cmd->add_option("versions", o.versions, "Only these versions (default: every changed one)");
    } else if (handler == &RunBaseline) {
      cmd->add_option("version", o.version, "The newest version the database already holds")
          ->required();
    }
    cmd->callback([run, handler] { *run = [handler] { return handler(o); }; });
  }
}

}  // namespace flowsync::cli
