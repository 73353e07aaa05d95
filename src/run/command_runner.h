// Runs a task's command: a child process in a process group of its own,
// the task JSON on its stdin, the tails of its stdout and stderr kept (at
// most `output_cap` bytes each, so a command flooding its output costs
// memory of that size only), and the whole group killed when the command
// runs past its timeout or the caller asks it to stop (its execution was
// cancelled or rescued). When the command itself exits, what it forked and
// left running in its group is killed too.
//
// Thread-safety: RunCommand may run on several threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flowsync/status.h"

namespace flowsync::run {

struct CommandSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  // Added to (or replacing in) this process's environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::string stdin_data;
  int64_t timeout_ms = 0;  // 0: none
  size_t output_cap = 64 * 1024;
  // After SIGTERM to the group, how long before SIGKILL.
  int64_t kill_grace_ms = 2000;
  // Called about every `tick_ms` while the command runs; returning false
  // stops it (the group is killed) and the result is kStopped.
  std::function<bool()> tick;
  int64_t tick_ms = 100;
};

struct CommandResult {
  enum class Kind { kExited, kSignaled, kTimedOut, kStopped };
  Kind kind = Kind::kExited;
  int exit_status = 0;  // kExited: the status; kSignaled: the signal
  std::string stdout_tail, stderr_tail;
  bool stdout_truncated = false, stderr_truncated = false;
  int64_t elapsed_ms = 0;

  bool Succeeded() const { return kind == Kind::kExited && exit_status == 0; }
  // "exit status 3", "killed by signal 9", "timed out after 5s", "stopped".
  std::string Describe(int64_t timeout_ms) const;
};

// Runs the command to its end. An error Status only when it could not be
// started (fork or pipe failed); a command that is not found exits 127 with
// the reason on its stderr, as a shell does.
Result<CommandResult> RunCommand(const CommandSpec& spec);

}  // namespace flowsync::run
