#include "cli/completion.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/command_doc.h"

namespace flowsync::cli {
namespace {

// A command line of the shape of flowsync's: a command with a folder
// argument, a flag and a fixed set of values; a group with a sub-command.
struct Demo {
  CLI::App app{"demo: a command line", "flowsync"};
  std::string text;
  std::vector<std::string> many;
  bool flag = false;
  Demo() {
    CLI::App* sync = app.add_subcommand("sync", "Mirror a tree");
    sync->add_option("root", text, "The tree")->type_name("DIR");
    sync->add_flag("-n,--dry-run", flag, "Write nothing");
    sync->add_option("--prefer", text, "Which side wins")->check(CLI::IsMember({"disk", "db"}));
    sync->add_option("--db", text, "Database")->type_name("URL");
    sync->add_option("--threads", text, "Readers");
    CLI::App* group = app.add_subcommand("phases", "Phase questions");
    group->add_subcommand("get", "The phase of a task")
        ->add_option("files", many, "Files")
        ->type_name("PATH");
  }
};

TEST(CommandDocTest, ReadsOptionsValuesAndSubcommands) {
  Demo demo;
  CommandDoc program = DescribeCommandLine(demo.app);
  std::vector<std::string> joined;
  for (const CommandDoc* c : AllCommands(program)) joined.push_back(c->Joined());
  EXPECT_EQ(joined, (std::vector<std::string>{"", "sync", "phases", "phases get"}));
  const CommandDoc& sync = program.subcommands[0];
  ASSERT_EQ(sync.positionals.size(), 1u);
  EXPECT_EQ(sync.positionals[0].positional, "root");
  EXPECT_EQ(sync.positionals[0].kind, ValueKind::kDir);
  ASSERT_EQ(sync.options.size(), 5u);  // -h,--help first
  EXPECT_EQ(sync.options[0].long_names, std::vector<std::string>{"help"});
  EXPECT_EQ(sync.options[1].short_names, std::vector<std::string>{"n"});
  EXPECT_EQ(sync.options[1].kind, ValueKind::kNone);
  EXPECT_EQ(sync.options[2].kind, ValueKind::kWords);
  EXPECT_EQ(sync.options[2].words, (std::vector<std::string>{"disk", "db"}));
  EXPECT_EQ(sync.options[3].kind, ValueKind::kFile);
  EXPECT_EQ(sync.options[4].kind, ValueKind::kText);
  const OptionDoc& files = program.subcommands[1].subcommands[0].positionals[0];
  EXPECT_TRUE(files.repeats);
  EXPECT_EQ(files.kind, ValueKind::kFile);
}

TEST(CompletionTest, ShellQuote) {
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("it's $HOME"), "'it'\\''s $HOME'");
}

TEST(CompletionTest, BashAndZshDataComeFromTheCommandLine) {
  Demo demo;
  CommandDoc program = DescribeCommandLine(demo.app);
  const std::string bash = BashCompletion(program);
  for (const std::string line : {
           "    '') printf '%s\\n' 'sync phases' ;;",
           "    'phases') printf '%s\\n' 'get' ;;",
           "    'sync') printf '%s\\n' '-h --help -n --dry-run --prefer --db --threads' ;;",
           "    'sync:--prefer') printf '%s\\n' 'words disk db' ;;",
           "    'sync:--db') printf '%s\\n' 'file' ;;",
           "    'sync:--threads') printf '%s\\n' 'text' ;;",
           "    'sync:1') printf '%s\\n' 'dir' ;;",
           "    'phases get:'*) printf '%s\\n' 'file' ;;",
           "complete -F _flowsync flowsync",
       }) {
    EXPECT_NE(bash.find(line + "\n"), std::string::npos) << line << "\n" << bash;
  }
  EXPECT_EQ(bash.find("'sync:--dry-run'"), std::string::npos) << "a flag takes no value";
  const std::string zsh = ZshCompletion(program);
  EXPECT_TRUE(zsh.starts_with("#compdef flowsync\n"));
  for (const std::string line : {
           "    '') printf '%s\\n' 'sync:Mirror a tree' 'phases:Phase questions' ;;",
           "    'sync:--prefer') printf '%s\\n' 'words disk db' ;;",
       }) {
    EXPECT_NE(zsh.find(line + "\n"), std::string::npos) << line << "\n" << zsh;
  }
}

TEST(CompletionTest, FishCompletesEachCommandWhereItApplies) {
  Demo demo;
  const std::string fish = FishCompletion(DescribeCommandLine(demo.app));
  for (const std::string line : {
           "complete -c flowsync -n '__flowsync_at \\'\\'' -a 'sync' -d 'Mirror a tree'",
           "complete -c flowsync -n '__flowsync_at \\'phases\\'' -a 'get' -d 'The phase of a "
           "task'",
           "complete -c flowsync -n '__flowsync_at \\'sync\\'' -s 'n' -l 'dry-run' -d 'Write "
           "nothing'",
           "complete -c flowsync -n '__flowsync_at \\'sync\\'' -l 'prefer' -x -a 'disk db' -d "
           "'Which side wins'",
           "complete -c flowsync -n '__flowsync_at \\'sync\\'' -l 'db' -r -F -d 'Database'",
           "complete -c flowsync -n '__flowsync_arg \\'sync\\' 1' -x -a "
           "'(__fish_complete_directories)'",
           "complete -c flowsync -n '__flowsync_arg \\'phases get\\' 1+' -F",
           "        case 'sync:--prefer'",
       }) {
    EXPECT_NE(fish.find(line + "\n"), std::string::npos) << line << "\n" << fish;
  }
}

}  // namespace
}  // namespace flowsync::cli
