// The command line as the generated documents (the man page, the shell
// completions) see it: the CLI11 app that Main() builds from the command
// table, read back as plain values. Whatever a row's setup adds (an option,
// a fixed set of values, a path argument) reaches every document from here;
// nothing is written per command.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace flowsync::cli {

// How the value of an option or a positional argument completes.
enum class ValueKind {
  kNone,   // a flag: no value
  kText,   // free text, nothing to offer
  kFile,   // a path (type name PATH, FILE or URL: a database may be a file)
  kDir,    // a folder (type name DIR)
  kWords,  // one of a fixed set (CLI::IsMember), in `OptionDoc::words`
};

struct OptionDoc {
  std::vector<std::string> short_names;  // "n" for -n
  std::vector<std::string> long_names;   // "dry-run" for --dry-run
  std::string positional;                // the name of a positional argument, else empty
  std::string description;
  std::string value_name;  // "DIR", "TEXT", "INT"; empty for a flag
  ValueKind kind = ValueKind::kNone;
  std::vector<std::string> words;  // the fixed set, for kWords
  bool required = false;
  bool repeats = false;  // takes several values (a vector)
};

struct CommandDoc {
  std::vector<std::string> path;  // {"migrate", "up"}; empty for the program itself
  std::string description, footer;
  std::vector<OptionDoc> options;      // in the order of --help, -h,--help first
  std::vector<OptionDoc> positionals;  // in order
  std::vector<CommandDoc> subcommands;

  // "migrate up"; "" for the program.
  std::string Joined() const;
};

// The program and, nested, every command `app` holds.
CommandDoc DescribeCommandLine(const CLI::App& app);

// `root` and every command below it, parents before their sub-commands.
std::vector<const CommandDoc*> AllCommands(const CommandDoc& root);

}  // namespace flowsync::cli
