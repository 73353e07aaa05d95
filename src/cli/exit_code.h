// The exit statuses of flowsync, in one place: the values, what `--help`
// says of them, and which Status becomes which (ccache's ccache_main).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "flowsync/status.h"

namespace flowsync::cli {

enum class ExitCode : int {
  kOk = 0,
  kFailed = 1,    // per-file errors, changes found, not found
  kUsage = 2,     // bad command line or invalid argument, no root found
  kRefused = 3,   // a guard rail refused
  kBusy = 4,      // the database stayed locked
  kDatabase = 5,  // any other error
  kConflict = 6,  // a workflow changed on both sides was left alone
};

// A row of the table of exit statuses: `--help`, the man page and the
// README's table say the same.
struct ExitCodeRow {
  ExitCode code;
  std::string_view meaning;
};

// Every exit status, in order.
std::span<const ExitCodeRow> ExitCodeTable();

// The exit status a failure with code `code` ends the process with (kOk for
// StatusCode::kOk).
ExitCode ExitCodeFor(StatusCode code);

// "Exit status:" and a line "  N  MEANING" per status, for the top-level
// help; the README's table says the same.
std::string ExitCodeHelp();

// Prints "flowsync: error: <message>" on stderr and returns
// ExitCodeFor(s.code()): the one place where a Status becomes an exit status.
ExitCode Fail(const Status& s);

}  // namespace flowsync::cli
