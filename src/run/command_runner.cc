#include "run/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "util/posix_error.h"

extern char** environ;

namespace flowsync::run {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Keeps the last `cap` bytes appended.
void AppendTail(std::string& tail, bool& truncated, const char* data, size_t n, size_t cap) {
  tail.append(data, n);
  if (tail.size() > cap) {
    tail.erase(0, tail.size() - cap);
    truncated = true;
  }
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A command may exit without reading its input: the write then fails with
// EPIPE, and the SIGPIPE it raises would kill the caller. The signal is
// blocked in this thread for the write and, if raised by it, taken back, so
// the process's own handling of SIGPIPE is left as it was.
ssize_t WriteWithoutSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old_mask, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  ssize_t w = ::write(fd, data, size);
  const int write_errno = errno;
  if (w < 0 && write_errno == EPIPE && !was_pending) {
    const timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = write_errno;
  return w;
}

}  // namespace

std::string CommandResult::Describe(int64_t timeout_ms) const {
  switch (kind) {
    case Kind::kExited:
      return "exit status " + std::to_string(exit_status);
    case Kind::kSignaled:
      return "killed by signal " + std::to_string(exit_status);
    case Kind::kTimedOut:
      return "timed out after " + std::to_string(timeout_ms) + " ms";
    case Kind::kStopped:
      return "stopped";
  }
  return "?";
}

Result<CommandResult> RunCommand(const CommandSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("no command to run");
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return PosixError("pipe", errno);
  if (::pipe2(out, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(in[0]);
    ::close(in[1]);
    return PosixError("pipe", e);
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return PosixError("pipe", e);
  }

  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    bool replaced = false;
    for (const auto& [k, v] : spec.env) replaced = replaced || k == key;
    if (!replaced) env_strings.push_back(std::move(kv));
  }
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string not_found = "flowsync: cannot run " + spec.argv[0] + ": ";

  const int64_t start = SteadyMs();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    return PosixError("fork", e);
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    (void)!::write(2, not_found.data(), not_found.size());
    const char* why = ::strerror(e);
    (void)!::write(2, why, ::strlen(why));
    (void)!::write(2, "\n", 1);
    ::_exit(127);
  }
  // Both sides set the group, so that a kill right after fork finds it.
  ::setpgid(pid, pid);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  int in_fd = in[1], out_fd = out[0], err_fd = err[0];
  ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (spec.stdin_data.empty()) CloseFd(in_fd);

  CommandResult result;
  int64_t last_tick = start;
  int64_t term_sent_at = -1;
  bool exited = false;
  int wait_status = 0;
  char buf[16384];
  auto kill_group = [&](int sig) { ::kill(-pid, sig); };

  while (!exited) {
    pollfd fds[3];
    int n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    int64_t wait_ms = spec.tick_ms > 0 ? spec.tick_ms : 100;
    if (n > 0) {
      ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(wait_ms));
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = WriteWithoutSigpipe(in_fd, spec.stdin_data.data() + written,
                                        spec.stdin_data.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == spec.stdin_data.size()) {
          CloseFd(in_fd);
        }
        continue;
      }
      const bool is_out = fds[i].fd == out_fd;
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        if (is_out) {
          AppendTail(result.stdout_tail, result.stdout_truncated, buf, static_cast<size_t>(r),
                     spec.output_cap);
        } else {
          AppendTail(result.stderr_tail, result.stderr_truncated, buf, static_cast<size_t>(r),
                     spec.output_cap);
        }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        CloseFd(is_out ? out_fd : err_fd);
      }
    }
    pid_t done = ::waitpid(pid, &wait_status, WNOHANG);
    if (done == pid) {
      exited = true;
      break;
    }
    if (n == 0) {
      // Both outputs closed, the command still running: wait without a
      // busy loop.
      ::usleep(static_cast<useconds_t>(std::min<int64_t>(wait_ms, 20) * 1000));
    }
    const int64_t now = SteadyMs();
    if (term_sent_at < 0) {
      bool stop = false;
      if (spec.timeout_ms > 0 && now - start >= spec.timeout_ms) {
        result.kind = CommandResult::Kind::kTimedOut;
        stop = true;
      } else if (spec.tick && now - last_tick >= spec.tick_ms) {
        last_tick = now;
        if (!spec.tick()) {
          result.kind = CommandResult::Kind::kStopped;
          stop = true;
        }
      }
      if (stop) {
        kill_group(SIGTERM);
        term_sent_at = now;
      }
    } else if (now - term_sent_at >= spec.kill_grace_ms) {
      kill_group(SIGKILL);
    }
  }
  // What the command left running in its group goes with it.
  kill_group(SIGKILL);
  // Drain what is already in the pipes without waiting for grandchildren
  // that may still hold them.
  for (int* fd : {&out_fd, &err_fd}) {
    if (*fd < 0) continue;
    ::fcntl(*fd, F_SETFL, O_NONBLOCK);
    while (true) {
      ssize_t r = ::read(*fd, buf, sizeof buf);
      if (r <= 0) break;
      if (fd == &out_fd) {
        AppendTail(result.stdout_tail, result.stdout_truncated, buf, static_cast<size_t>(r),
                   spec.output_cap);
      } else {
        AppendTail(result.stderr_tail, result.stderr_truncated, buf, static_cast<size_t>(r),
                   spec.output_cap);
      }
    }
    CloseFd(*fd);
  }
  CloseFd(in_fd);
  result.elapsed_ms = SteadyMs() - start;
  if (result.kind == CommandResult::Kind::kExited) {
    if (WIFEXITED(wait_status)) {
      result.exit_status = WEXITSTATUS(wait_status);
    } else if (WIFSIGNALED(wait_status)) {
      result.kind = CommandResult::Kind::kSignaled;
      result.exit_status = WTERMSIG(wait_status);
    }
  } else {
    result.exit_status =
        WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : WEXITSTATUS(wait_status);
  }
  return result;
}

}  // namespace flowsync::run
