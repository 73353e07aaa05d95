#include "cli/exit_code.h"

#include <cstdio>
#include <iterator>
#include <string_view>

namespace flowsync::cli {
namespace {

struct ExitCodeRow {
  ExitCode code;
  std::string_view meaning;  // as the top-level help says it
};

constexpr ExitCodeRow kExitCodes[] = {
    {ExitCode::kOk, "ok"},
    {ExitCode::kFailed, "some files failed / changes found / not found"},
    {ExitCode::kUsage, "usage"},
    {ExitCode::kRefused, "refused by a guard rail"},
    {ExitCode::kBusy, "database busy"},
    {ExitCode::kDatabase, "database error"},
};

}  // namespace

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
  std::string text = "Exit status:";
  for (const ExitCodeRow& row : kExitCodes) {
    text += ' ';
    text += std::to_string(static_cast<int>(row.code));
    text += ' ';
    text += row.meaning;
    text += &row == &kExitCodes[std::size(kExitCodes) - 1] ? '.' : ',';
  }
  return text;
}

ExitCode Fail(const Status& s) {
  std::fprintf(stderr, "flowsync: error: %s\n", s.message().c_str());
  return ExitCodeFor(s.code());
}

}  // namespace flowsync::cli
