#include "run/command_runner.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "util/test_util.h"

namespace flowsync::run {
namespace {

CommandSpec Shell(const std::string& script) {
  CommandSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.tick_ms = 20;
  return spec;
}

TEST(CommandRunner, PassesStdinAndEnvironmentAndKeepsOutput) {
  CommandSpec spec = Shell("cat; echo \"$FOO\" >&2; exit 3");
  spec.stdin_data = "{\"task\":\"t\"}\n";
  spec.env = {{"FOO", "bar"}};
  auto r = RunCommand(spec);
  ASSERT_OK(r);
  EXPECT_EQ(r->kind, CommandResult::Kind::kExited);
  EXPECT_EQ(r->exit_status, 3);
  EXPECT_EQ(r->stdout_tail, "{\"task\":\"t\"}\n");
  EXPECT_EQ(r->stderr_tail, "bar\n");
  EXPECT_EQ(r->Describe(0), "exit status 3");
}

// A command that exits without reading its input (`false`) made the
// caller die of SIGPIPE when the task JSON was written after the exit: a
// worker then left its execution running until the lease ran out.
TEST(CommandRunner, ACommandThatIgnoresItsInputDoesNotKillTheCaller) {
  struct sigaction old_action = {};
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &default_action, &old_action);
  CommandSpec spec = Shell("exit 1");
  // Larger than a pipe's buffer: some of it is written after the exit.
  spec.stdin_data.assign(4 << 20, 'x');
  auto r = RunCommand(spec);
  sigaction(SIGPIPE, &old_action, nullptr);
  ASSERT_OK(r);
  EXPECT_EQ(r->kind, CommandResult::Kind::kExited);
  EXPECT_EQ(r->exit_status, 1);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST(CommandRunner, AFloodOfOutputKeepsOnlyTheTail) {
  CommandSpec spec = Shell("head -c 1000000 /dev/zero | tr '\\0' a; printf END");
  spec.output_cap = 100;
  auto r = RunCommand(spec);
  ASSERT_OK(r);
  EXPECT_TRUE(r->Succeeded());
  EXPECT_EQ(r->stdout_tail.size(), 100u);
  EXPECT_EQ(r->stdout_tail.substr(97), "END");
  EXPECT_TRUE(r->stdout_truncated);
}

TEST(CommandRunner, ATimeoutKillsTheWholeProcessGroup) {
  // The command forks a child that would outlive it and ignores SIGTERM.
  CommandSpec spec = Shell("trap '' TERM; sleep 30 & echo $!; wait");
  spec.timeout_ms = 200;
  spec.kill_grace_ms = 200;
  auto started = std::chrono::steady_clock::now();
  auto r = RunCommand(spec);
  ASSERT_OK(r);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(r->kind, CommandResult::Kind::kTimedOut);
  EXPECT_EQ(r->Describe(200), "timed out after 200 ms");
  pid_t child = std::stoi(r->stdout_tail);
  // Gone, or a zombie its new parent has not reaped yet. SIGKILL is
  // delivered asynchronously: a loaded machine may show the child running
  // for a moment after the kill, so it gets a few seconds to die.
  std::string state;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);;) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string pid, name;
    stat >> pid >> name >> state;
    if (!stat.good() || state == "Z") {
      state.clear();
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(state, "") << "the forked child survived: " << state;
}

TEST(CommandRunner, ATickReturningFalseStopsTheCommand) {
  CommandSpec spec = Shell("sleep 30");
  int ticks = 0;
  spec.tick = [&] { return ++ticks < 3; };
  auto r = RunCommand(spec);
  ASSERT_OK(r);
  EXPECT_EQ(r->kind, CommandResult::Kind::kStopped);
  EXPECT_EQ(ticks, 3);
}

TEST(CommandRunner, AMissingCommandExits127) {
  CommandSpec spec;
  spec.argv = {"/nonexistent/cmd"};
  auto r = RunCommand(spec);
  ASSERT_OK(r);
  EXPECT_EQ(r->exit_status, 127);
  EXPECT_EQ(r->stderr_tail, "flowsync: cannot run /nonexistent/cmd: No such file or directory\n");
}

}  // namespace
}  // namespace flowsync::run
