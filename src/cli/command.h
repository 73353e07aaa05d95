// The command table of the flowsync command line (ninja's struct Tool):
// every command is a row {name, help, setup, run}; a command with
// sub-commands (`phases get`, `migration create`, `migrate up`) holds them
// as nested rows of the same shape. Main() builds the parser from the table
// and runs the one row the command line chose; it knows no command by name.
//
// The options of every command live in one CommandOptions value that Main()
// owns for the duration of a run; `setup` binds a row's flags to it and
// `run` reads them. Handlers turn library results into output and return an
// ExitCode; failures go through Fail() (cli/exit_code.h).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/exit_code.h"
#include "config/context.h"
#include "flowsync/store.h"
#include "flowsync/sync.h"

namespace flowsync::cli {

// ---- Options ----------------------------------------------------------------

// Options most commands share.
struct CommonOptions {
  config::Overrides flags;
  bool json = false;
};

struct SyncCommand {
  CommonOptions common;
  bool full = false, dry_run = false, force = false, watch = false, verbose = false;
  int interval_s = 300, debounce_ms = 300, threads = 0;
  std::optional<std::string> n8n_project;  // --db n8n+...: owner project of new workflows
  bool strict = false;                     // --db n8n+...: refuse unmatched credentials
  std::vector<std::string> prefer;         // files|db, or files:KEY|db:KEY
};

struct StatusCommand {
  CommonOptions common;
  bool exit_code = false;
};

struct ListCommand {
  CommonOptions common;
  bool deleted = false, all = false;
  std::optional<std::string> category;
};

struct ShowCommand {
  CommonOptions common;
  std::string workflow;
  bool content = false;
  std::optional<int64_t> version;
};
// `diff [WORKFLOW]`.
struct DiffCommand {
  CommonOptions common;
  std::optional<std::string> workflow;
  std::optional<int64_t> from, to;
  bool exit_code = false, stat = false;
};
// `restore WORKFLOW --version N`.
struct PullCommand {
  CommonOptions common;
  bool dry_run = false, keep_deleted = false, verbose = false;
  std::vector<std::string> prefer;  // db, or db:KEY (files: left for the sync)
};

struct RestoreCommand {
  CommonOptions common;
  std::string workflow;
  int64_t version = 0;
  bool force = false;
};

struct LogCommand {
  CommonOptions common;
  int64_t limit = 50;
  std::optional<std::string> workflow;
};

struct RateCommand {
  CommonOptions common;
  std::string workflow, value, user;
};

struct GrantCommand {
  CommonOptions common;
  std::string project, role;
  bool revoke = false;
};

// `phases ...` (every sub-command reads the fields it needs).
struct PhasesCommand {
  CommonOptions common;
  bool no_refresh = false;
  int64_t max_retry = 10;
  std::string task;  // TASK[:JOB] or TOPIC
  std::optional<std::string> job;
  std::optional<std::string> workflow;
  std::string format = "dot";
  std::optional<std::string> from;
  int count = 5;
};

// `migration create`.
struct MigrationCommand {
  CommonOptions common;
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
  bool force = false;
  std::optional<std::string> target;  // "flowsync" or "n8n"
  std::optional<std::string> n8n_project;
};

// `migrate ...`.
struct MigrateCommand {
  CommonOptions common;
  std::string dir = "migrations";
  bool dry_run = false;
  bool allow_out_of_order = false;
  std::optional<std::string> to;
  bool exit_code = false;
  int count = 1;
  std::vector<std::string> versions;
  std::string version;
};

// `run TASK`.
struct RunTaskCommand {
  CommonOptions common;
  std::string task;  // TOPIC[:JOB]
  std::optional<std::string> workflow;
  std::optional<std::string> time;  // RFC 3339
  bool wait = false;
  int64_t wait_timeout_s = 0;  // 0: no limit
};

// `worker --topic T ... -- COMMAND ARGS...`.
struct WorkerCommand {
  CommonOptions common;
  std::vector<std::string> topics;
  int concurrency = 1;
  bool exit_when_idle = false, noop = false;
  int batch = 100;
  double lease_s = 10, poll_s = 0.2;
  std::vector<std::string> command;
  std::string environment;  // of the variables; empty: FLOWSYNC_ENV or "default"
};

// `file PATH...`.
struct FileCommand {
  CommonOptions common;
  std::vector<std::string> paths;
  // The arrival's key (an event id, an ETag): each (path, key) starts its
  // phases once, however often it is told.
  std::optional<std::string> key;
  // --watch DIR: the files that arrive in DIR, each with its own key
  // (run/file_watch.h); --as PREFIX names them PREFIX/REL instead of
  // DIR/REL (s3://bucket for a folder that mirrors a bucket).
  std::optional<std::string> watch;
  std::optional<std::string> as;
  double refresh_s = 10;  // phase files read again at most this often
};

// `var set|get|list|unset|keygen`.
struct VarCommand {
  CommonOptions common;
  std::string environment;  // empty: FLOWSYNC_ENV or "default"
  std::string name;
  std::optional<std::string> value;  // set: none reads stdin
  bool secret = false;
};

// `scheduler`.
struct SchedulerCommand {
  CommonOptions common;
  bool once = false;
  double interval_s = 1, refresh_s = 60;
  std::string catch_up = "6h";
  std::string failed_topic = "retry-failed";
  std::optional<std::string> retention;  // none: the database's setting
};

// `executions list|show|cancel|retry|prune`.
struct ExecutionsCommand {
  CommonOptions common;
  std::optional<std::string> status, topic;
  int64_t limit = 50;
  int64_t id = 0;
  std::optional<std::string> older_than;  // prune; none: the database's setting
};

// `serve`, `token create`, `webhook add|list|remove` (cli/serve.cc).
struct ServeCommand {
  CommonOptions common;
  std::string listen = "127.0.0.1:8080";
  bool scheduler = false;
  bool watch = false;  // also `sync --watch` the tree in this process
  uint64_t max_body = 1 << 20;
  int threads = 8;
  double refresh_s = 60;
};
struct TokenCommand {
  CommonOptions common;
  bool write = false;
  std::string id;  // revoke: the token, or its id (a prefix of its SHA-256)
};
struct WebhookCommand {
  CommonOptions common;
  std::string path, task;
  std::optional<std::string> workflow, secret_env, secret_file;
  bool secret_stdin = false;  // the secret from stdin, kept sealed
};

// `help [COMMAND...]`.
struct HelpCommand {
  std::vector<std::string> topic;
};

// `completion SHELL`.
struct CompletionCommand {
  std::string shell;
};

struct CommandOptions {
  SyncCommand sync;
  StatusCommand status;
  ListCommand list;
  ShowCommand show;
  DiffCommand diff;
  RestoreCommand restore;
  PullCommand pull;
  LogCommand log;
  RateCommand rate;
  GrantCommand grant;
  PhasesCommand phases;
  MigrationCommand migration;
  MigrateCommand migrate;
  RunTaskCommand run;
  WorkerCommand worker;
  SchedulerCommand scheduler;
  ExecutionsCommand executions;
  VarCommand var;
  FileCommand file;
  ServeCommand serve;
  TokenCommand token;
  WebhookCommand webhook;
  HelpCommand help;
  CompletionCommand completion;
  const CLI::App* app = nullptr;  // the whole command line, set by Main()
};

// What `flowsync --version` prints.
inline constexpr char kVersionText[] = "flowsync 0.1.0";

// ---- The table ----------------------------------------------------------------

struct Command {
  const char* name;
  const char* help;
  // Adds the row's options to `cmd`, bound to `o`; null when it has none.
  void (*setup)(CLI::App* cmd, CommandOptions& o);
  // Does the command; null for a row with sub-commands (one of which runs).
  ExitCode (*run)(CommandOptions& o);
  std::vector<Command> subcommands = {};
};

// Every top-level command, in the order `flowsync --help` lists them.
const std::vector<Command>& CommandTable();

// The rows with sub-commands, one per file (cli/phases.cc, ...).
Command PhasesCommandRow();
Command MigrationCommandRow();
Command MigrateCommandRow();
Command DiffCommandRow();        // cli/diff.cc
Command RestoreCommandRow();     // cli/diff.cc
Command PullCommandRow();        // cli/pull.cc
Command CompletionCommandRow();  // cli/completion.cc
Command ManCommandRow();         // cli/man_page.cc
// Running phase workflows (cli/run.cc): `run`, `worker`, `scheduler`,
// `executions ...`.
Command RunCommandRow();
Command WorkerCommandRow();
Command SchedulerCommandRow();
Command ExecutionsCommandRow();
Command FileCommandRow();
Command WorkersCommandRow();
Command VarCommandRow();  // cli/var.cc
// The environment whose variables a command uses: `flag`, else
// $FLOWSYNC_ENV, else "default"; checked.
Result<std::string> VariablesEnvironment(const std::string& flag);
// `serve`, `token`, `webhook` (cli/serve.cc).
Command ServeCommandRow();
Command TokenCommandRow();
Command WebhookCommandRow();

// ---- Helpers handlers share -----------------------------------------------------

// The context of a command: its flags over this process's environment.
Result<config::Context> ResolveCommandContext(const config::Overrides& flags);

// A check that an option's value is a number from `min` to `max`, failing
// with "expected a number from MIN to MAX, got 'TEXT'" (CLI11's own
// NonNegativeNumber prints a bound of 309 digits).
CLI::Validator NumberRange(int64_t min, int64_t max);

// --prefer values into `prefer` and `paths`: "files" or "db" for the run,
// "files:KEY" or "db:KEY" for the workflow at KEY.
Status ParsePrefer(const std::vector<std::string>& values, Prefer* prefer,
                   std::map<std::string, Prefer>* paths);

// --root for a command whose root is otherwise found as git finds .git.
void AddRootOption(CLI::App* cmd, CommonOptions& o);
// --db, --lock-timeout and --project.
void AddDbOptions(CLI::App* cmd, CommonOptions& o);
// A tree-reading command's options: the positional root, --root and the
// database options.
void AddTreeOptions(CLI::App* cmd, CommonOptions& o);

// The context of a command that reads only the database
// (config::RootRule::kDatabase), and its database.
struct Opened {
  config::Context ctx;
  std::unique_ptr<Store> store;
};
Result<Opened> OpenForCommand(config::Overrides flags, config::IfMissing if_missing);

// A WORKFLOW argument as the catalog knows it: a workflow file or bundle
// folder that exists (relative to the current folder, as git reads paths)
// becomes its key below the root; anything else (an id, a prefix, a key) is
// looked up as it is.
std::string WorkflowQuery(const config::Context& ctx, const std::string& arg);

// The stored workflow an argument names (id, id prefix, path, or a file's
// path from anywhere), or NotFound/InvalidArgument saying what to give.
Result<WorkflowDetail> FindOrFail(Store& store, const config::Context& ctx, const std::string& arg);

// As FindOrFail, but the workflow as the store's synced catalog knows it
// (Store::synced_catalog): what versions, the log, ratings and the files
// are about. On an n8n database the argument may also be n8n's id or name
// of a workflow flowsync syncs.
Result<WorkflowDetail> FindSyncedOrFail(Store& store, const config::Context& ctx,
                                        const std::string& arg);

// --lock-timeout's range: 0 to a week of seconds.
inline CLI::Validator LockTimeoutRange() { return NumberRange(0, 7 * 86400); }

}  // namespace flowsync::cli
