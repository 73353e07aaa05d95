#include "cli/exit_code.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace flowsync::cli {
namespace {

// The README's "Exit status" table says the same, word for word (an
// end-to-end test compares them).
constexpr ExitCodeRow kExitCodes[] = {
    {ExitCode::kOk, "success"},
    {ExitCode::kFailed,
     "the run finished but some files failed; `--exit-code` found changes, or pending or failed "
     "migrations; not found: a workflow, a migration version, the database or the migrations "
     "folder"},
    {ExitCode::kUsage,
     "usage error: an unknown command or option, a bad argument, database URL, config file or "
     "migration file; no flowsync root found (run `flowsync sync TREE` first, or pass --root or "
     "--db)"},
    {ExitCode::kRefused,
     "refused by a guard rail, nothing written: a missing or unreadable root, a mass deletion, a "
     "literal secret in a workflow to promote, an applied migration that changed or went missing, "
     "migrations out of order, `migrate down N` with fewer than N applied"},
    {ExitCode::kBusy, "the database is busy: another writer held it past `--lock-timeout`"},
    {ExitCode::kDatabase,
     "database error (unreachable server, wrong password, lost connection, statement timeout: the "
     "message names host and port, and the run is rolled back), a database written by a newer "
     "flowsync, a migration whose SQL failed (it was rolled back)"},
    {ExitCode::kConflict,
     "conflicts: a workflow changed both in the files and in the database since they last "
     "agreed; neither side of it was touched (the rest was synced or pulled); resolve with "
     "`--prefer files` or `--prefer db`"},
};

}  // namespace

std::span<const ExitCodeRow> ExitCodeTable() { return kExitCodes; }

ExitCode ExitCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return ExitCode::kOk;
    case StatusCode::kNotFound:
      return ExitCode::kFailed;
    case StatusCode::kInvalidArgument:
      return ExitCode::kUsage;
    case StatusCode::kConflict:
      return ExitCode::kRefused;
    case StatusCode::kBusy:
      return ExitCode::kBusy;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kUnsupported:
    case StatusCode::kInternal:
      break;
  }
  return ExitCode::kDatabase;
}

std::string ExitCodeHelp() {
  // "  N  " then the meaning, wrapped at kWidth columns under itself.
  constexpr size_t kWidth = 100;
  const std::string indent = "     ";
  std::string text = "Exit status:";
  for (const ExitCodeRow& row : kExitCodes) {
    std::string line = "  " + std::to_string(static_cast<int>(row.code)) + "  ";
    std::string_view rest = row.meaning;
    while (!rest.empty()) {
      size_t room = kWidth - line.size();
      size_t cut = rest.size() <= room ? rest.size() : rest.rfind(' ', room);
      if (cut == std::string_view::npos || cut == 0) cut = std::min(rest.find(' '), rest.size());
      line += rest.substr(0, cut);
      text += "\n" + line;
      rest.remove_prefix(std::min(cut + 1, rest.size()));
      line = indent;
    }
  }
  return text;
}

ExitCode Fail(const Status& s) {
  std::fprintf(stderr, "flowsync: error: %s\n", s.message().c_str());
  return ExitCodeFor(s.code());
}

}  // namespace flowsync::cli
