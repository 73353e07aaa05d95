#include "cli/cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/completion.h"
#include "cli/exit_code.h"
#include "cli/man_page.h"
#include "cli/output.h"
#include "util/test_util.h"

namespace flowsync::cli {
namespace {

struct CommandRun {
  int code = -1;
  std::string out, err;
};

// Runs the command line `args` (without the program name).
CommandRun RunMain(std::vector<std::string> args) {
  args.insert(args.begin(), "flowsync");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  CommandRun r;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  r.code = Main(static_cast<int>(args.size()), argv.data());
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  lines.push_back(text.substr(start));
  return lines;
}

std::string Join(const std::vector<std::string>& words) {
  std::string s;
  for (const std::string& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

// Every row of the table, as the words that reach it.
void Paths(const std::vector<Command>& rows, std::vector<std::string> prefix,
           std::vector<std::pair<std::vector<std::string>, const Command*>>& out) {
  for (const Command& row : rows) {
    std::vector<std::string> path = prefix;
    path.push_back(row.name);
    out.emplace_back(path, &row);
    Paths(row.subcommands, path, out);
  }
}

TEST(ExitCodeTest, EveryStatusCodeHasOne) {
  EXPECT_EQ(ExitCodeFor(StatusCode::kOk), ExitCode::kOk);
  EXPECT_EQ(ExitCodeFor(StatusCode::kNotFound), ExitCode::kFailed);
  EXPECT_EQ(ExitCodeFor(StatusCode::kInvalidArgument), ExitCode::kUsage);
  EXPECT_EQ(ExitCodeFor(StatusCode::kConflict), ExitCode::kRefused);
  EXPECT_EQ(ExitCodeFor(StatusCode::kBusy), ExitCode::kBusy);
  for (StatusCode code : {StatusCode::kCorruption, StatusCode::kIOError, StatusCode::kUnsupported,
                          StatusCode::kInternal}) {
    EXPECT_EQ(ExitCodeFor(code), ExitCode::kDatabase) << StatusCodeName(code);
  }
  EXPECT_EQ(static_cast<int>(ExitCode::kUsage), 2);
  EXPECT_EQ(static_cast<int>(ExitCode::kDatabase), 5);
  EXPECT_EQ(static_cast<int>(ExitCode::kConflict), 6);
}

TEST(ExitCodeTest, HelpTextAndFail) {
  // Wrapped at 100 columns under the meanings; the README's table says the
  // same (tests/e2e/test_cli.py compares them).
  EXPECT_EQ(ExitCodeHelp(),
            "Exit status:\n"
            "  0  success\n"
            "  1  the run finished but some files failed; `--exit-code` found changes, or pending "
            "or failed\n"
            "     migrations; not found: a workflow, a migration version, the database or the "
            "migrations folder\n"
            "  2  usage error: an unknown command or option, a bad argument, database URL, config "
            "file or\n"
            "     migration file; no flowsync root found (run `flowsync sync TREE` first, or pass "
            "--root or --db)\n"
            "  3  refused by a guard rail, nothing written: a missing or unreadable root, a mass "
            "deletion, a\n"
            "     literal secret in a workflow to promote, an applied migration that changed or "
            "went missing,\n"
            "     migrations out of order, `migrate down N` with fewer than N applied\n"
            "  4  the database is busy: another writer held it past `--lock-timeout`\n"
            "  5  database error (unreachable server, wrong password, lost connection, statement "
            "timeout: the\n"
            "     message names host and port, and the run is rolled back), a database written by "
            "a newer\n"
            "     flowsync, a migration whose SQL failed (it was rolled back)\n"
            "  6  conflicts: a workflow changed both in the files and in the database since they "
            "last agreed;\n"
            "     neither side of it was touched (the rest was synced or pulled); resolve with "
            "`--prefer files`\n"
            "     or `--prefer db`");
  for (const std::string& line : Lines(ExitCodeHelp())) EXPECT_LE(line.size(), 100u) << line;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(Fail(Status::Busy("locked")), ExitCode::kBusy);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "flowsync: error: locked\n");
}

TEST(CommandTableTest, EveryCommandIsReachableWithHelp) {
  std::vector<std::pair<std::vector<std::string>, const Command*>> paths;
  Paths(CommandTable(), {}, paths);
  ASSERT_GE(paths.size(), 24u);  // 12 top-level commands, 12 sub-commands
  CommandRun top = RunMain({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find(ExitCodeHelp()), std::string::npos);
  for (const auto& [path, row] : paths) {
    SCOPED_TRACE(Join(path));
    EXPECT_TRUE(row->subcommands.empty() != (row->run == nullptr))
        << "a row either runs or has sub-commands";
    if (path.size() == 1) {
      EXPECT_NE(top.out.find(row->name), std::string::npos);
    }
    std::vector<std::string> args = path;
    args.push_back("--help");
    CommandRun r = RunMain(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find(row->help), std::string::npos) << r.out;
    for (const Command& sub : row->subcommands) {
      EXPECT_NE(r.out.find(sub.name), std::string::npos) << r.out;
    }
  }
}

TEST(CommandTableTest, EveryCommandIsInTheCompletionsAndTheManPage) {
  std::vector<std::pair<std::vector<std::string>, const Command*>> paths;
  Paths(CommandTable(), {}, paths);
  CommandRun bash = RunMain({"completion", "bash"});
  CommandRun zsh = RunMain({"completion", "zsh"});
  CommandRun fish = RunMain({"completion", "fish"});
  CommandRun man = RunMain({"man"});
  for (const CommandRun* r : {&bash, &zsh, &fish, &man}) EXPECT_EQ(r->code, 0) << r->err;
  for (const auto& [path, row] : paths) {
    const std::string joined = Join(path);
    SCOPED_TRACE(joined);
    std::vector<std::string> parent(path.begin(), path.end() - 1);
    // Its options, and its name among its parent's sub-commands.
    const std::string options = "    '" + joined + "') printf '%s\\n' '-h --help";
    EXPECT_NE(bash.out.find(options), std::string::npos);
    EXPECT_NE(zsh.out.find("    '" + joined + "') printf '%s\\n' '-h:"), std::string::npos);
    std::string described = std::string(row->name) + ":";  // NAME:HELP, ':' escaped
    for (const char* c = row->help; *c != '\0'; ++c)
      described += *c == ':' ? "\\:" : std::string(1, *c);
    EXPECT_NE(zsh.out.find(" " + ShellQuote(described)), std::string::npos);
    EXPECT_NE(
        fish.out.find("-n '__flowsync_at \\'" + Join(parent) + "\\'' -a '" + row->name + "' -d '"),
        std::string::npos);
    EXPECT_NE(man.out.find(".SS \"\\fBflowsync " + RoffText(joined) + "\\fR"), std::string::npos);
  }
  // The sub-commands the bash script offers at the top are the table's.
  std::string top;
  for (const Command& row : CommandTable()) top += (top.empty() ? "" : " ") + std::string(row.name);
  EXPECT_NE(bash.out.find("    '') printf '%s\\n' '" + top + "' ;;\n"), std::string::npos) << top;
  // A fixed set of values, and paths.
  EXPECT_NE(bash.out.find("    'completion:1') printf '%s\\n' 'words bash zsh fish' ;;\n"),
            std::string::npos);
  EXPECT_NE(bash.out.find("    'migration create:--source') printf '%s\\n' 'words dev prod "
                          "staging' ;;\n"),
            std::string::npos);
  EXPECT_NE(bash.out.find("    'sync:1') printf '%s\\n' 'dir' ;;\n"), std::string::npos);
  EXPECT_NE(bash.out.find("    'migrate up:--dir') printf '%s\\n' 'dir' ;;\n"), std::string::npos);
  EXPECT_NE(bash.out.find("    'show:1') printf '%s\\n' 'file' ;;\n"), std::string::npos);
  CommandRun bad = RunMain({"completion", "tcsh"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err,
            "flowsync: error: shell: tcsh not in {bash,zsh,fish} (see `flowsync completion "
            "--help`)\n");
}

TEST(CommandTableTest, NamesAreUniqueAmongSiblings) {
  std::vector<std::pair<std::vector<std::string>, const Command*>> paths;
  Paths(CommandTable(), {}, paths);
  std::set<std::string> seen;
  for (const auto& [path, row] : paths) EXPECT_TRUE(seen.insert(Join(path)).second) << Join(path);
}

TEST(MainTest, VersionAndNoCommand) {
  CommandRun version = RunMain({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out, "flowsync 0.1.0\n");
  EXPECT_EQ(RunMain({}).code, 2);
}

TEST(MainTest, ArgumentErrorsExit2WithAMessage) {
  const std::vector<std::vector<std::string>> cases = {
      {"frobnicate"},
      {"phases"},
      {"migrate"},
      {"migration"},
      {"phases", "frobnicate"},
      {"list", "--bogus"},
      {"list", "--deleted", "--all"},
      {"log", "--limit", "abc"},
      {"show"},
      {"rate", "a.json", "sideways", "--user", "alice"},
      {"sync", "--threads", "65"},
      {"phases", "get"},
      {"phases", "next", "t", "-n", "0"},
      {"migrate", "down", "0"},
      {"migrate", "baseline"},
      {"migration", "create", "--format", "yaml"},
      {"migration", "create", "--since", "7x"},
      {"migration", "create", "a.json", "--since", "7d"},
  };
  for (const std::vector<std::string>& args : cases) {
    SCOPED_TRACE(Join(args));
    CommandRun r = RunMain(args);
    EXPECT_EQ(r.code, 2);
    EXPECT_FALSE(r.err.empty());
  }
  CommandRun since = RunMain({"migration", "create", "--since", "7x"});
  EXPECT_EQ(since.err,
            "flowsync: error: --since '7x': expected a whole number and a unit s, m, h, d or w "
            "(e.g. 7d, 12h)\n");
  for (const std::vector<std::string>& args : cases) {
    SCOPED_TRACE(Join(args));
    EXPECT_TRUE(RunMain(args).err.starts_with("flowsync: error: "));
  }
}

TEST(MainTest, EveryArgumentErrorReadsLikeTheRest) {
  // CLI11's own messages get flowsync's prefix and the command's --help.
  CommandRun limit = RunMain({"log", "-n", "-3"});
  EXPECT_EQ(limit.code, 2);
  EXPECT_EQ(limit.err,
            "flowsync: error: --limit: expected a number from 0 to 1000000000, got '-3' (see "
            "`flowsync log --help`)\n");
  CommandRun timeout = RunMain({"migrate", "up", "--lock-timeout", "-1"});
  EXPECT_EQ(timeout.code, 2);
  EXPECT_EQ(timeout.err,
            "flowsync: error: --lock-timeout: expected a number from 0 to 604800, got '-1' (see "
            "`flowsync migrate up --help`)\n");
  CommandRun bogus = RunMain({"list", "--bogus"});
  EXPECT_EQ(bogus.code, 2);
  EXPECT_EQ(bogus.err,
            "flowsync: error: the following argument was not expected: --bogus (see `flowsync "
            "list --help`)\n");
  CommandRun none = RunMain({});
  EXPECT_EQ(none.code, 2);
  EXPECT_EQ(none.err, "flowsync: error: a command is required (`flowsync help` lists them)\n");
  CommandRun group = RunMain({"phases"});
  EXPECT_EQ(group.code, 2);
  EXPECT_EQ(group.err,
            "flowsync: error: `flowsync phases` needs a sub-command: get, search, children, next, "
            "validate, graph (`flowsync help phases` says more)\n");
}

TEST(MainTest, AMisspeltCommandGetsTheNearest) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"synk"},
       "unknown command 'synk'; did you mean `sync`? (`flowsync help` lists the commands)"},
      {{"stauts", "--json"},
       "unknown command 'stauts'; did you mean `status`? (`flowsync help` lists the commands)"},
      {{"migr"},
       "unknown command 'migr'; did you mean `migration` or `migrate`? (`flowsync help` lists "
       "the commands)"},
      {{"migrate", "upp", "--dir", "m"},
       "unknown command 'migrate upp'; did you mean `migrate up`? (`flowsync help migrate` "
       "lists the commands)"},
      {{"frobnicate"}, "unknown command 'frobnicate' (`flowsync help` lists the commands)"},
      {{"help", "synk"},
       "unknown command 'synk'; did you mean `sync`? (`flowsync help` lists the commands)"},
  };
  for (const auto& [args, message] : cases) {
    SCOPED_TRACE(Join(args));
    CommandRun r = RunMain(args);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "flowsync: error: " + message + "\n");
    EXPECT_EQ(r.out, "");
  }
}

TEST(MainTest, HelpCommandPrintsWhatHelpOptionsPrint) {
  const std::vector<std::vector<std::string>> topics = {
      {}, {"sync"}, {"phases"}, {"migrate", "up"}, {"help"}};
  for (const std::vector<std::string>& topic : topics) {
    SCOPED_TRACE(Join(topic));
    std::vector<std::string> help = {"help"}, option = topic;
    help.insert(help.end(), topic.begin(), topic.end());
    option.push_back("--help");
    CommandRun by_command = RunMain(help);
    CommandRun by_option = RunMain(option);
    EXPECT_EQ(by_command.code, 0) << by_command.err;
    EXPECT_EQ(by_command.out, by_option.out);
    EXPECT_EQ(by_command.err, "");
  }
  EXPECT_NE(RunMain({"help", "sync"}).out.find("Usage: flowsync sync [OPTIONS] [root]"),
            std::string::npos);
  EXPECT_NE(RunMain({"help"}).out.find(ExitCodeHelp()), std::string::npos);
}

TEST(MainTest, GrantOnSqliteIsAUsageErrorAndCreatesNothing) {
  test::TempDir dir;
  const std::string db = dir.path() + "/x.db";
  CommandRun r = RunMain({"grant", "team", "someone", "--db", db});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "flowsync: error: projects are granted to database roles, which SQLite does not "
            "have; use PostgreSQL\n");
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(OutputTest, CountsAndFit) {
  RunCounts c;
  c.added = 3;
  c.errors = 1;
  EXPECT_EQ(CountsText(c, 2),
            "3 added, 0 updated, 0 renamed, 0 deleted, 0 restored, 0 unchanged, 2 ignored, 1 "
            "error");
  EXPECT_EQ(Fit("abc", 5), "abc  ");
  EXPECT_EQ(Fit("abcdef", 4), "abc…");
  EXPECT_EQ(Fit("äöüß", 4), "äöüß");
  EXPECT_EQ(DisplayColumns("äöüß…"), 5u);
  EXPECT_EQ(Plural(0, "file"), "0 files");
  EXPECT_EQ(Plural(1, "file"), "1 file");
  EXPECT_EQ(Plural(2, "unreadable file"), "2 unreadable files");
}

TEST(OutputTest, SummaryJson) {
  WorkflowSummary s;
  s.id = "id";
  s.name = "A";
  s.path = "a.json";
  s.format = Format::kN8n;
  s.categories = {"x"};
  Json j = SummaryJson(s);
  EXPECT_EQ(j["format"], "n8n");
  EXPECT_EQ(j["deleted"], false);
  EXPECT_TRUE(j["source_id"].is_null());
  EXPECT_EQ(j.dump().substr(0, 37), R"({"id":"id","name":"A","path":"a.json")");
}

TEST(OutputTest, DisplayTextQuotesControlCharactersAsGitDoes) {
  for (std::string plain : {"flows/a.json", "caf\\xe9.json", "été ✓.json", "a\"b", "a\\b"}) {
    EXPECT_EQ(DisplayText(plain), plain);
  }
  EXPECT_EQ(DisplayText("a\nb.json"), R"("a\nb.json")");
  EXPECT_EQ(DisplayText("\"quoted\""), R"("\"quoted\"")");
  EXPECT_EQ(DisplayText("t\tq\"b\\\x1b[0m\x7f"), R"("t\tq\"b\\\033[0m\177")");
  EXPECT_EQ(DisplayText(std::string("nul\0", 4)), R"("nul\000")");
  // C1 controls and the Unicode line separators end lines for some readers.
  EXPECT_EQ(DisplayText("nel\xc2\x85 ls\xe2\x80\xa8"), R"("nel\302\205 ls\342\200\250")");
}

TEST(OutputTest, DumpJsonNeverThrows) {
  Json j = {{"path", "caf\xe9.json"}};
  EXPECT_EQ(DumpJson(j, -1), "{\"path\":\"caf\xef\xbf\xbd.json\"}");
  EXPECT_EQ(DumpJson(Json{{"a", "\n"}}, -1), R"({"a":"\n"})");
}

}  // namespace
}  // namespace flowsync::cli
