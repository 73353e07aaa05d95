#include "cli/cli.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"

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
}

TEST(ExitCodeTest, HelpTextAndFail) {
  EXPECT_EQ(ExitCodeHelp(),
            "Exit status: 0 ok, 1 some files failed / changes found / not found, 2 usage, "
            "3 refused by a guard rail, 4 database busy, 5 database error.");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(Fail(Status::Busy("locked")), ExitCode::kBusy);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "flowsync: error: locked\n");
}

TEST(CommandTableTest, EveryCommandIsReachableWithHelp) {
  std::vector<std::pair<std::vector<std::string>, const Command*>> paths;
  Paths(CommandTable(), {}, paths);
  ASSERT_GE(paths.size(), 22u);  // 10 top-level commands, 12 sub-commands
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
