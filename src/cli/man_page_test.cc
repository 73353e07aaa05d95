#include "cli/man_page.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>

#include "cli/command_doc.h"
#include "cli/exit_code.h"

namespace flowsync::cli {
namespace {

TEST(ManPageTest, RoffTextEscapes) {
  EXPECT_EQ(RoffText("plain words"), "plain words");
  EXPECT_EQ(RoffText("a\\b"), "a\\eb");
  EXPECT_EQ(RoffText(".starts with a dot"), "\\&.starts with a dot");
  EXPECT_EQ(RoffText("'quote"), "\\&'quote");
  EXPECT_EQ(RoffText("one\n.two"), "one\n\\&.two");
  EXPECT_EQ(RoffText("mid. 'no'"), "mid. 'no'");
  EXPECT_EQ(RoffText("--dry-run, -n and read-only"), "\\-\\-dry\\-run, \\-n and read-only");
  EXPECT_EQ(RoffText("(--db=sqlite:x-y)"), "(\\-\\-db=sqlite:x-y)");
  EXPECT_EQ(RoffText("run `flowsync help` now"), "run \\fBflowsync help\\fR now");
  EXPECT_EQ(RoffText("`open"), "\\fBopen\\fR");
}

TEST(ManPageTest, SectionsFromTheCommandLine) {
  CLI::App app("flowsync: mirror things", "flowsync");
  std::string text;
  bool flag = false;
  CLI::App* sync = app.add_subcommand("sync", "Mirror a tree");
  sync->add_option("root", text, "The tree")->type_name("DIR");
  sync->add_flag("-n,--dry-run", flag, "Write nothing");
  sync->add_option("--source", text, "Where from")->check(CLI::IsMember({"dev", "prod"}));
  sync->add_option("--db", text, "Database")->type_name("URL")->required();
  sync->footer(".flowsync is skipped");
  const std::string page = ManPage(DescribeCommandLine(app), "flowsync 9.9");
  for (const std::string part : {
           ".TH FLOWSYNC 1 \"\" \"flowsync 9.9\" \"User Commands\"\n",
           ".SH NAME\nflowsync \\- mirror things\n",
           ".SH DESCRIPTION\nRun\n.B flowsync\n.I COMMAND\nto mirror things.\n",
           ".TP\n.B sync\nMirror a tree\n",
           ".SS \"\\fBflowsync sync\\fR [\\fIOPTIONS\\fR] [\\fIroot\\fR]\"\nMirror a tree\n"
           ".TP\n\\fIroot\\fR\nThe tree\n"
           ".TP\n\\fB\\-n\\fR, \\fB\\-\\-dry\\-run\\fR\nWrite nothing\n"
           ".TP\n\\fB\\-\\-source\\fR {\\fBdev\\fR|\\fBprod\\fR}\nWhere from\n"
           ".TP\n\\fB\\-\\-db\\fR \\fIURL\\fR\nDatabase (required)\n"
           ".PP\n\\&.flowsync is skipped\n",
           ".SH \"EXIT STATUS\"\n.TP\n.B 0\nsuccess\n.TP\n.B 1\n",
           ".SH ENVIRONMENT\n.TP\n.B DATABASE_URL\n",
           ".SH EXAMPLES\n.TP\n.B flowsync sync flows/\n",
       }) {
    EXPECT_NE(page.find(part), std::string::npos) << part << "\n---\n" << page;
  }
  for (const ExitCodeRow& row : ExitCodeTable()) {
    EXPECT_NE(page.find(RoffText(row.meaning)), std::string::npos) << row.meaning;
  }
}

}  // namespace
}  // namespace flowsync::cli
