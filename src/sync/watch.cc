#include "flowsync/watch.h"

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "util/posix_error.h"

namespace flowsync {
namespace {

using SteadyClock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

constexpr uint32_t kWatchMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                IN_DONT_FOLLOW | IN_ONLYDIR;

// Watches every folder of the tree; run before each sync so that folders
// created since the last one are watched too (adding a watch twice is
// harmless: the kernel returns the existing one). `visited` holds the
// (device, inode) of folders seen in this walk, so nothing is walked twice.
void WatchTree(int inotify_fd, const FileSystem& fs, const std::string& dir,
               std::set<std::pair<uint64_t, uint64_t>>& visited) {
  auto info = fs.Lstat(dir);
  if (!info.ok() || info->type != FileType::kDirectory) return;
  if (!visited.insert({info->device, info->inode}).second) return;
  if (::inotify_add_watch(inotify_fd, dir.c_str(), kWatchMask) < 0) return;
  auto entries = fs.ListDir(dir);
  if (!entries.ok()) return;
  for (const DirEntry& e : *entries) {
    if (e.type != FileType::kDirectory || (e.name.size() > 0 && e.name[0] == '.')) continue;
    WatchTree(inotify_fd, fs, JoinPath(dir, e.name), visited);
  }
}

bool Fatal(const Status& s) {
  return s.code() == StatusCode::kConflict || s.code() == StatusCode::kUnsupported ||
         s.code() == StatusCode::kCorruption;
}

}  // namespace

Status WatchAndSync(Store& store, const SyncOptions& sync, const WatchOptions& watch,
                    const std::function<void(const Result<SyncReport>&)>& on_run) {
  const FileSystem& fs = sync.fs ? *sync.fs : RealFileSystem();
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigset_t old_mask;
  if (::pthread_sigmask(SIG_BLOCK, &mask, &old_mask) != 0) {
    return Status::Internal("cannot block SIGINT/SIGTERM");
  }
  struct Restore {
    sigset_t mask;
    ~Restore() { ::pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old_mask};

  Fd signal_fd(::signalfd(-1, &mask, SFD_CLOEXEC));
  if (signal_fd.get() < 0) return PosixError("signalfd", errno);
  Fd inotify_fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (inotify_fd.get() < 0) return PosixError("inotify_init1", errno);

  auto run = [&]() -> Status {
    // Watch before syncing, so that no change slips between the two.
    std::set<std::pair<uint64_t, uint64_t>> visited;
    WatchTree(inotify_fd.get(), fs, sync.root, visited);
    Result<SyncReport> report = RunSync(store, sync);
    on_run(report);
    if (!report.ok() && Fatal(report.status())) return report.status();
    return Status::OK();
  };

  FS_TRY(run());
  auto next_full = SteadyClock::now() + std::chrono::seconds(watch.interval_s);
  std::optional<SteadyClock::time_point> pending;  // when the debounced sync is due
  char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));

  while (true) {
    auto now = SteadyClock::now();
    auto deadline = pending ? *pending : SteadyClock::time_point::max();
    if (watch.interval_s > 0) deadline = std::min(deadline, next_full);
    int timeout_ms = -1;
    if (deadline != SteadyClock::time_point::max()) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      timeout_ms = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(wait, 1 << 30)));
    }
    struct pollfd fds[2] = {{signal_fd.get(), POLLIN, 0}, {inotify_fd.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, timeout_ms);
    if (n < 0 && errno != EINTR) return PosixError("poll", errno);
    if (n > 0 && (fds[0].revents & POLLIN)) {
      struct signalfd_siginfo info;
      (void)!::read(signal_fd.get(), &info, sizeof(info));
      return Status::OK();
    }
    if (n > 0 && (fds[1].revents & POLLIN)) {
      bool overflow = false;
      while (true) {
        ssize_t len = ::read(inotify_fd.get(), buf, sizeof(buf));
        if (len <= 0) break;
        for (char* p = buf; p < buf + len;) {
          auto* ev = reinterpret_cast<struct inotify_event*>(p);
          if (ev->mask & IN_Q_OVERFLOW) overflow = true;
          p += sizeof(struct inotify_event) + ev->len;
        }
      }
      pending = SteadyClock::now() + std::chrono::milliseconds(overflow ? 0 : watch.debounce_ms);
      continue;
    }
    now = SteadyClock::now();
    if ((pending && now >= *pending) || (watch.interval_s > 0 && now >= next_full)) {
      pending.reset();
      next_full = now + std::chrono::seconds(watch.interval_s);
      FS_TRY(run());
    }
  }
}

}  // namespace flowsync
