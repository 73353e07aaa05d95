// `flowsync man`: the manual page flowsync(1) in roff (the man macros),
// generated from the command line (cli/command_doc.h) and the exit status
// table (cli/exit_code.h): a subsection per command with its options.
#pragma once

#include <string>
#include <string_view>

#include "cli/command.h"
#include "cli/command_doc.h"

namespace flowsync::cli {

// The page; `version` is what `flowsync --version` prints.
std::string ManPage(const CommandDoc& program, std::string_view version);

// `text` as roff text on a line of its own: backslashes escaped, a leading
// '.' or '\'' defused, the dashes of options (--db) as minus signs so that
// they copy as typed, and `quoted` spans in bold.
std::string RoffText(std::string_view text);

}  // namespace flowsync::cli
