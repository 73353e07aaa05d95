// `flowsync completion bash|zsh|fish`: shell completion scripts generated
// from the command line (cli/command_doc.h), so that every command, sub-
// command, option and fixed set of values the table holds completes, and
// paths complete as files or folders.
#pragma once

#include <string>

#include "cli/command.h"
#include "cli/command_doc.h"

namespace flowsync::cli {

// The scripts. Each defines the completion of the command `flowsync`.
std::string BashCompletion(const CommandDoc& program);
std::string ZshCompletion(const CommandDoc& program);
std::string FishCompletion(const CommandDoc& program);

// `text` as one single-quoted POSIX shell word ('it'\''s').
std::string ShellQuote(const std::string& text);

}  // namespace flowsync::cli
