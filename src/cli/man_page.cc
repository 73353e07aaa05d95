#include "cli/man_page.h"

#include <fmt/format.h>

#include <cctype>
#include <iostream>
#include <vector>

#include "cli/exit_code.h"

namespace flowsync::cli {
namespace {

struct Example {
  std::string_view command, meaning;
};

// The README's short tour, word for word (an end-to-end test compares them).
constexpr Example kExamples[] = {
    {"flowsync sync flows/", "add and update; prints a one-line summary; flows/ is now a root"},
    {"flowsync sync flows/ --full", "... and soft-delete workflows whose file is gone"},
    {"flowsync sync flows/ --dry-run -v", "print what would change, write nothing"},
    {"cd flows/", "the other commands find the root as git finds .git: in it or below"},
    {"flowsync status",
     "like git status: what a sync would change, what the database changed, conflicts"},
    {"flowsync pull", "the database's own changes (a migration from prod, an edit) into the files"},
    {"flowsync list", "stored workflows; --deleted, --all, --category ops, --json"},
    {"flowsync show marketing/lead-scoring",
     "by path, id or id prefix: metadata, categories, ratings, versions, findings"},
    {"flowsync show marketing/lead-scoring --version 1 --content", "any stored version, as stored"},
    {"flowsync diff", "what differs from the database: per node, then a unified diff"},
    {"flowsync diff marketing/lead-scoring --from 1",
     "between stored versions (--to M; default the current)"},
    {"flowsync log -n 20", "the audit log, newest first; --workflow W, --json"},
    {"flowsync rate 03f864b9 up --user ann", "thumbs up or down, one vote per user"},
    {"flowsync sync --watch", "re-sync on file changes until Ctrl-C"},
};

struct Variable {
  std::string_view name, meaning;
};

constexpr Variable kEnvironment[] = {
    {"DATABASE_URL", "The database when --db is not given (before flowsync.toml)."},
    {"FLOWSYNC_PROJECT", "The project when --project is not given (default: default)."},
    {"PGHOST, PGPORT, PGUSER, PGPASSWORD, PGSERVICE, ...",
     "libpq's variables fill in what a PostgreSQL target leaves out."},
};

constexpr Variable kFiles[] = {
    {"ROOT/.flowsync/flowsync.db", "The default database, an SQLite file under the sync root."},
    {"ROOT/flowsync.toml",
     "Settings of a root: [database] url and project, [sync] max_file_size and lock_timeout; "
     "also marks the root."},
    {"DB-migrate.lock",
     "Beside an SQLite database: the lock `migrate` runners take turns on; it names the running "
     "runner and may be deleted when no migrate runs."},
};

// An option's name, every dash a minus sign ("dry\\-run").
std::string RoffOptionName(std::string_view name) {
  std::string out;
  for (char c : name) out += c == '-' ? std::string("\\-") : RoffText(std::string_view(&c, 1));
  return out;
}

// One option or positional argument as the tag of a .TP entry:
// "\fB\-n\fR, \fB\-\-limit\fR \fIINT\fR".
std::string OptionTag(const OptionDoc& o) {
  std::string value;
  if (o.kind == ValueKind::kWords) {
    for (const std::string& w : o.words) {
      value += (value.empty() ? "{" : "|") + ("\\fB" + RoffText(w) + "\\fR");
    }
    value += "}";
  } else if (o.kind != ValueKind::kNone) {
    value = "\\fI" + RoffText(o.value_name) + "\\fR";
  }
  if (!o.positional.empty()) {
    return "\\fI" + RoffText(o.positional) + "\\fR" + (o.repeats ? " ..." : "");
  }
  std::string tag;
  for (const std::string& s : o.short_names)
    tag += (tag.empty() ? "" : ", ") + ("\\fB\\-" + RoffOptionName(s) + "\\fR");
  for (const std::string& l : o.long_names) {
    tag += (tag.empty() ? "" : ", ") + ("\\fB\\-\\-" + RoffOptionName(l) + "\\fR");
  }
  return value.empty() ? tag : tag + " " + value;
}

bool IsHelp(const OptionDoc& o) {
  return o.long_names.size() == 1 && o.long_names.front() == "help";
}

// ".SS" and the options of `cmd`, then of its sub-commands.
void AddCommand(const CommandDoc& cmd, std::string& page) {
  std::string synopsis = "\\fBflowsync " + RoffText(cmd.Joined()) + "\\fR";
  if (!cmd.subcommands.empty()) synopsis += " \\fICOMMAND\\fR";
  bool has_options = false;
  for (const OptionDoc& o : cmd.options) has_options |= !IsHelp(o);
  if (has_options) synopsis += " [\\fIOPTIONS\\fR]";
  for (const OptionDoc& p : cmd.positionals) {
    std::string word = "\\fI" + RoffText(p.positional) + "\\fR" + (p.repeats ? " ..." : "");
    synopsis += " " + (p.required ? word : "[" + word + "]");
  }
  page += ".SS \"" + synopsis + "\"\n" + RoffText(cmd.description) + "\n";
  for (const OptionDoc& p : cmd.positionals) {
    page += ".TP\n" + OptionTag(p) + "\n" + RoffText(p.description) + "\n";
  }
  for (const OptionDoc& o : cmd.options) {
    if (IsHelp(o)) continue;
    page += ".TP\n" + OptionTag(o) + "\n" + RoffText(o.description) +
            (o.required ? " (required)" : "") + "\n";
  }
  if (!cmd.footer.empty()) page += ".PP\n" + RoffText(cmd.footer) + "\n";
  for (const CommandDoc& sub : cmd.subcommands) AddCommand(sub, page);
}

}  // namespace

std::string RoffText(std::string_view text) {
  std::string out;
  bool line_start = true, bold = false, in_option = false;
  char prev = ' ';
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = false;
    const bool word_char = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (c == '-') {
      // An option's dashes, --dry-run's inner one too; a hyphen in prose
      // (read-only) stays one.
      in_option = in_option || !std::isalnum(static_cast<unsigned char>(prev));
      out += in_option ? "\\-" : "-";
    } else if (c == '\\') {
      out += "\\e";
    } else if (c == '`') {
      bold = !bold;
      out += bold ? "\\fB" : "\\fR";
    } else {
      out += c;
    }
    if (c != '-' && !word_char && c != '=') in_option = false;
    if (c == '\n') line_start = true;
    prev = c;
  }
  if (bold) out += "\\fR";
  return out;
}

std::string ManPage(const CommandDoc& program, std::string_view version) {
  std::string summary = program.description;
  if (summary.starts_with("flowsync: ")) summary = summary.substr(10);
  std::string page = ".\\\" The manual page of flowsync, generated by `flowsync man`.\n";
  page += fmt::format(".TH FLOWSYNC 1 \"\" \"{}\" \"User Commands\"\n", RoffText(version));
  page += ".ad l\n.nh\n";  // ragged right, no hyphens: option names and URLs copy as written
  page += ".SH NAME\nflowsync \\- " + RoffText(summary) + "\n";
  page += ".SH SYNOPSIS\n.B flowsync\n.I COMMAND\n.RI [ OPTIONS ]\n.br\n";
  page += ".B flowsync help\n.RI [ COMMAND ...]\n";
  page += ".SH DESCRIPTION\nRun\n.B flowsync\n.I COMMAND\nto " + RoffText(summary) + ".\n";
  page += RoffText("Each command has its own options; `flowsync help COMMAND` prints them.") + "\n";
  page += ".PP\nThe commands:\n";
  for (const CommandDoc& cmd : program.subcommands) {
    page += ".TP\n.B " + RoffText(cmd.path.back()) + "\n" + RoffText(cmd.description) + "\n";
  }
  page += ".SH OPTIONS\n";
  for (const OptionDoc& o : program.options) {
    page += ".TP\n" + OptionTag(o) + "\n" + RoffText(o.description) + "\n";
  }
  page += ".SH COMMANDS\n";
  for (const CommandDoc& cmd : program.subcommands) AddCommand(cmd, page);
  page += ".SH \"EXIT STATUS\"\n";
  for (const ExitCodeRow& row : ExitCodeTable()) {
    page += fmt::format(".TP\n.B {}\n{}\n", static_cast<int>(row.code), RoffText(row.meaning));
  }
  page += ".SH ENVIRONMENT\n";
  for (const Variable& v : kEnvironment) {
    page += ".TP\n.B " + RoffText(v.name) + "\n" + RoffText(v.meaning) + "\n";
  }
  page += ".SH FILES\n";
  for (const Variable& f : kFiles) {
    page += ".TP\n.I " + RoffText(f.name) + "\n" + RoffText(f.meaning) + "\n";
  }
  page += ".SH EXAMPLES\n";
  for (const Example& e : kExamples) {
    page += ".TP\n.B " + RoffText(e.command) + "\n" + RoffText(e.meaning) + "\n";
  }
  page += ".SH \"SEE ALSO\"\n" +
          RoffText(
              "`flowsync help COMMAND`, `flowsync COMMAND --help`; the README and "
              "docs/formats.md of the flowsync sources.") +
          "\n";
  return page;
}

Command ManCommandRow() {
  return {
      "man",
      "Print the manual page flowsync(1) in roff (`flowsync man | man -l -`)",
      nullptr,
      [](CommandOptions& o) {
        std::cout << ManPage(DescribeCommandLine(*o.app), kVersionText);
        return ExitCode::kOk;
      },
  };
}

}  // namespace flowsync::cli
