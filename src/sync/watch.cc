#include "flowsync/watch.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "source/workflow_path.h"
#include "sync/tree_watch.h"
#include "util/path_text.h"
#include "util/posix_error.h"

namespace flowsync {

std::string_view WatchTriggerName(WatchTrigger trigger) {
  switch (trigger) {
    case WatchTrigger::kStart:
      return "start";
    case WatchTrigger::kChanges:
      return "changes";
    case WatchTrigger::kInterval:
      return "interval";
    case WatchTrigger::kOverflow:
      return "overflow";
    case WatchTrigger::kUnwatched:
      return "unwatched";
    case WatchTrigger::kManyPaths:
      return "many-paths";
  }
  return "unknown";
}

namespace {

// A batch names up to this many changed paths, or a twentieth of the
// folders watched when that is more (TreeWatch::ScopedLimit); beyond it
// their folders, and beyond that the whole tree.
constexpr size_t kMinScopedPaths = 2000;

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

int64_t InotifyLimit(const char* name) {
  std::ifstream in(std::string("/proc/sys/fs/inotify/") + name);
  int64_t n = 0;
  return (in >> n) ? n : 0;
}

int64_t MaxUserWatches() { return InotifyLimit("max_user_watches"); }

std::string Child(const std::string& rel, const std::string& name) {
  return rel.empty() ? name : rel + "/" + name;
}

bool Fatal(const Status& s) {
  return s.code() == StatusCode::kConflict || s.code() == StatusCode::kUnsupported ||
         s.code() == StatusCode::kCorruption;
}

// The inotify side of a watch: a watch per folder of the tree, and what the
// events since the last sync name.
class TreeWatch {
 public:
  TreeWatch(int fd, const FileSystem& fs, std::string root, int interval_s,
            const FileEventFilter& wanted)
      : fd_(fd), fs_(fs), root_(std::move(root)), interval_s_(interval_s), wanted_(wanted) {}

  // Watches the folder `rel` (relative to the root, "" the root itself) and
  // every folder below it; returns whether all of them could be.
  bool Add(const std::string& rel) {
    if (rel.empty()) problem_.clear();
    std::set<std::pair<uint64_t, uint64_t>> visited;
    return AddTree(rel, visited);
  }

  // Takes the events of one read() of the inotify descriptor.
  void Take(const char* buf, ssize_t len) {
    for (const char* p = buf; p < buf + len;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      ++events_;
      TakeOne(*ev, ev->len > 0 ? std::string(ev->name) : std::string());
    }
  }

  int64_t events() const { return events_; }
  int64_t folders() const { return static_cast<int64_t>(dirs_.size()); }
  bool overflow() const { return overflow_; }
  bool unwatched() const { return unwatched_; }
  bool any() const { return overflow_ || unwatched_ || !changed_.empty(); }
  // Non-empty when the root went away: why.
  const std::string& root_gone() const { return root_gone_; }
  const std::string& problem() const { return problem_; }

  // The changed paths (keys, as path text), or their folders when they are
  // more than ScopedLimit(); empty when the folders are more than that too
  // (sync the whole tree).
  std::set<std::string> ChangedKeys() const {
    const size_t limit = ScopedLimit();
    if (changed_.size() <= limit) return changed_;
    std::set<std::string> folders;
    for (const std::string& key : changed_) {
      const size_t slash = key.rfind('/');
      if (slash == std::string::npos) return {};  // a change in the root folder
      folders.insert(key.substr(0, slash));
      if (folders.size() > limit) return {};
    }
    return folders;
  }

  // How many paths a batch names before the whole tree is synced instead:
  // a sync of the paths costs what they hold, a whole sync a walk of every
  // folder, so the bigger the tree, the more paths are worth naming.
  size_t ScopedLimit() const { return std::max(kMinScopedPaths, by_path_.size() / 20); }

  void Clear() {
    changed_.clear();
    overflow_ = unwatched_ = false;
    events_ = 0;
  }

 private:
  bool AddTree(const std::string& rel, std::set<std::pair<uint64_t, uint64_t>>& visited) {
    const std::string dir = rel.empty() ? root_ : JoinPath(root_, rel);
    auto info = fs_.Lstat(dir);
    if (!info.ok() || info->type != FileType::kDirectory) return true;  // gone: nothing to watch
    if (!visited.insert({info->device, info->inode}).second) return true;
    const int wd = ::inotify_add_watch(fd_, dir.c_str(), kWatchMask);
    if (wd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return true;  // gone meanwhile
      if (errno == ENOSPC) {
        const int64_t limit = MaxUserWatches();
        problem_ = fmt::format(
            "cannot watch {}: the limit of {} inotify watches per user is reached "
            "(fs.inotify.max_user_watches); raise it, e.g. `sudo sysctl "
            "fs.inotify.max_user_watches={}` (and a file in /etc/sysctl.d/ to keep it); "
            "until then changes there are seen by a full sync{}",
            dir, limit, std::max<int64_t>(limit * 2, 524288),
            interval_s_ > 0 ? fmt::format(" every {} s", interval_s_) : " after other changes");
      } else {
        problem_ = fmt::format("cannot watch {}: {}", dir, std::strerror(errno));
      }
      return false;
    }
    Track(wd, rel);
    auto entries = fs_.ListDir(dir);
    if (!entries.ok()) return true;  // the sync reports an unreadable folder
    bool all = true;
    for (const DirEntry& e : *entries) {
      if (e.type != FileType::kDirectory || e.name.empty() || e.name[0] == '.') continue;
      all = AddTree(Child(rel, e.name), visited) && all;
    }
    return all;
  }

  void TakeOne(const struct inotify_event& ev, const std::string& name) {
    if (ev.mask & IN_Q_OVERFLOW) {
      overflow_ = true;
      return;
    }
    auto it = dirs_.find(ev.wd);
    if (it == dirs_.end()) return;
    const std::string rel = it->second->first;
    if (ev.mask & IN_IGNORED) {
      by_path_.erase(it->second);
      dirs_.erase(it);
      return;
    }
    if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
      if (rel.empty()) {
        root_gone_ = (ev.mask & IN_DELETE_SELF) ? "deleted" : "moved away";
      }
      return;  // other folders: their parent reports it
    }
    if (name.empty() || name[0] == '.') return;  // .git, editor files
    const std::string child = Child(rel, name);
    if (ev.mask & IN_ISDIR) {
      if (ev.mask & (IN_MOVED_FROM | IN_DELETE)) Forget(child);
      if (ev.mask & (IN_CREATE | IN_MOVED_TO)) {
        // Watched at once, and everything already inside it synced with it.
        if (!Add(child)) unwatched_ = true;
      }
      if (wanted_(name, ev.mask)) changed_.insert(PathToText(child));
      return;
    }
    if (!wanted_(name, ev.mask)) return;
    changed_.insert(PathToText(child));
  }

  // Records the watch `wd` of the folder `rel`.
  void Track(int wd, const std::string& rel) {
    if (auto same = dirs_.find(wd); same != dirs_.end()) {
      if (same->second->first == rel) return;
      by_path_.erase(same->second);  // a folder watched before, now found elsewhere
      dirs_.erase(same);
    }
    auto [at, fresh] = by_path_.try_emplace(rel, wd);
    if (!fresh) {
      dirs_.erase(at->second);  // a folder gone from there whose watch is not yet released
      at->second = wd;
    }
    dirs_[wd] = at;
  }

  // Stops watching the folder `rel` and those below it (moved away or
  // deleted; a folder moved within the tree is watched again at its new
  // place): a lookup in the sorted paths, whatever the tree's size.
  void Forget(const std::string& rel) {
    auto drop = [&](FolderIndex::iterator at) {
      ::inotify_rm_watch(fd_, at->second);
      dirs_.erase(at->second);
      return by_path_.erase(at);
    };
    if (auto at = by_path_.find(rel); at != by_path_.end()) drop(at);
    const std::string below = rel + "/";
    for (auto at = by_path_.lower_bound(below);
         at != by_path_.end() && at->first.compare(0, below.size(), below) == 0;) {
      at = drop(at);
    }
  }

  int fd_;
  const FileSystem& fs_;
  std::string root_;
  int interval_s_;
  const FileEventFilter& wanted_;
  // The folders watched, relative, in order (a folder's subfolders follow
  // it after its other children: "a", "a-b", "a/c"), and by watch descriptor.
  using FolderIndex = std::map<std::string, int>;
  FolderIndex by_path_;
  std::unordered_map<int, FolderIndex::iterator> dirs_;
  std::set<std::string> changed_;
  bool overflow_ = false;
  bool unwatched_ = false;
  int64_t events_ = 0;
  std::string root_gone_;
  std::string problem_;
};

Status RootGone(const std::string& root, const std::string& how) {
  return Status::NotFound(fmt::format(
      "the root {} was {} while watching; stopped (the database keeps every workflow; start the "
      "watch again where the tree is now)",
      root, how));
}

int64_t MillisBetween(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

}  // namespace

std::string WatchOverflowAdvice() {
  const int64_t limit = InotifyLimit("max_queued_events");
  return fmt::format(
      "more file events came at once than the kernel queues ({} events, "
      "fs.inotify.max_queued_events); the whole tree was synced to catch up; for bursts that "
      "big, raise it, e.g. `sudo sysctl fs.inotify.max_queued_events={}` (and a file in "
      "/etc/sysctl.d/ to keep it)",
      limit, std::max<int64_t>(limit * 8, 131072));
}

Status WatchTree(const FileSystem& fs, const std::string& root, const WatchOptions& watch,
                 const TreeWatchHooks& hooks) {
  // Stopped by SIGINT/SIGTERM through a signalfd, or, with a stop_fd, by
  // that alone: the signals are then another thread's (a signalfd would
  // take them from the process's queue before its handler runs).
  const bool by_signal = watch.stop_fd < 0;
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigset_t old_mask;
  sigemptyset(&old_mask);
  if (by_signal && ::pthread_sigmask(SIG_BLOCK, &mask, &old_mask) != 0) {
    return Status::Internal("cannot block SIGINT/SIGTERM");
  }
  struct Restore {
    bool active;
    sigset_t mask;
    ~Restore() {
      if (active) ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
    }
  } restore{by_signal, old_mask};

  // Readable when the watch is to stop.
  Fd stop(by_signal ? ::signalfd(-1, &mask, SFD_CLOEXEC) : ::dup(watch.stop_fd));
  if (stop.get() < 0) return PosixError(by_signal ? "signalfd" : "dup", errno);
  Fd inotify_fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (inotify_fd.get() < 0) return PosixError("inotify_init1", errno);
  TreeWatch tree(inotify_fd.get(), fs, root, watch.interval_s, hooks.wanted);

  // The batches run on a worker thread, one at a time, while this thread
  // keeps reading events: during a long sync (the first, a whole one, many
  // paths) the kernel's queue is drained, not left to overflow, and what
  // changes meanwhile is the next batch. The worker inherits this thread's
  // blocked signals.
  Fd done(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (done.get() < 0) return PosixError("eventfd", errno);
  Status batch_status;
  std::optional<WatchTrigger> running;  // the batch under way
  std::jthread worker;                  // joined before what it uses goes
  auto start = [&](WatchTrigger trigger, std::set<std::string> keys,
                   std::optional<SteadyClock::time_point> first_event) -> Status {
    TreeBatch batch{trigger, std::move(keys), tree.events(), tree.folders(), first_event};
    tree.Clear();
    try {
      worker = std::jthread([&hooks, &batch_status, fd = done.get(), batch = std::move(batch)] {
        batch_status = hooks.on_batch(batch);
        const uint64_t one = 1;
        (void)!::write(fd, &one, sizeof(one));
      });
    } catch (const std::system_error& e) {
      return Status::Internal(fmt::format("cannot start the watch's sync thread: {}", e.what()));
    }
    running = trigger;
    return Status::OK();
  };
  // Waits for the batch under way, if any, and returns its outcome.
  auto finish = [&]() -> Status {
    if (!running) return Status::OK();
    worker.join();
    running.reset();
    uint64_t n = 0;
    (void)!::read(done.get(), &n, sizeof(n));
    return batch_status;
  };

  // The state is reported between batches, never while one prints.
  std::string last_problem;
  bool state_due = false;
  auto report_state = [&] {
    if (!hooks.on_state) return;
    if (running) {
      state_due = true;
      return;
    }
    state_due = false;
    if (tree.problem() == last_problem && !last_problem.empty()) return;
    last_problem = tree.problem();
    hooks.on_state({root, tree.folders(), MaxUserWatches(), tree.problem()});
  };

  // Watch before syncing, so that no change slips between the two.
  tree.Add("");
  report_state();
  FS_TRY(start(WatchTrigger::kStart, {}, std::nullopt));
  auto next_full = SteadyClock::time_point::max();     // set as each whole sync ends
  std::optional<SteadyClock::time_point> first_event;  // of the batch not synced yet
  SteadyClock::time_point last_event;
  char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));

  while (true) {
    auto now = SteadyClock::now();
    auto deadline = SteadyClock::time_point::max();
    if (!running) {
      if (first_event) {
        deadline = std::min(last_event + std::chrono::milliseconds(watch.quiet_ms),
                            *first_event + std::chrono::milliseconds(watch.debounce_ms));
      }
      if (watch.interval_s > 0) deadline = std::min(deadline, next_full);
    }
    int timeout_ms = -1;
    if (deadline != SteadyClock::time_point::max()) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      timeout_ms = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(wait, 1 << 30)));
    }
    struct pollfd fds[3] = {
        {stop.get(), POLLIN, 0}, {inotify_fd.get(), POLLIN, 0}, {done.get(), POLLIN, 0}};
    int n = ::poll(fds, 3, timeout_ms);
    if (n < 0 && errno != EINTR) return PosixError("poll", errno);
    if (n > 0 && (fds[0].revents & POLLIN)) {
      if (by_signal) {
        struct signalfd_siginfo info;
        (void)!::read(stop.get(), &info, sizeof(info));
      }
      return finish();  // the sync under way ends first
    }
    if (n > 0 && (fds[2].revents & POLLIN)) {
      const WatchTrigger ended = running.value_or(WatchTrigger::kChanges);
      FS_TRY(finish());
      if (ended != WatchTrigger::kChanges && watch.interval_s > 0) {
        next_full = SteadyClock::now() + std::chrono::seconds(watch.interval_s);
      }
      if (state_due) report_state();
      continue;
    }
    if (n > 0 && (fds[1].revents & POLLIN)) {
      const bool had = tree.any();
      while (true) {
        ssize_t len = ::read(inotify_fd.get(), buf, sizeof(buf));
        if (len <= 0) break;
        tree.Take(buf, len);
      }
      if (!tree.root_gone().empty()) {
        FS_TRY(finish());
        return RootGone(root, tree.root_gone());
      }
      if (!tree.problem().empty()) report_state();
      last_event = SteadyClock::now();
      if (!had && tree.any()) first_event = last_event;
      continue;
    }
    if (running) continue;
    now = SteadyClock::now();
    if (first_event && deadline <= now && watch.interval_s > 0 && now >= next_full) {
      // Both due: the full sync covers the changes.
    } else if (first_event && deadline <= now) {
      std::set<std::string> keys = tree.ChangedKeys();
      WatchTrigger trigger = tree.overflow()    ? WatchTrigger::kOverflow
                             : tree.unwatched() ? WatchTrigger::kUnwatched
                             : keys.empty()     ? WatchTrigger::kManyPaths
                                                : WatchTrigger::kChanges;
      if (trigger != WatchTrigger::kChanges) keys.clear();
      if (!fs.Lstat(root).ok()) {
        // The root's own event comes after its children's: wait for it.
        struct pollfd fd = {inotify_fd.get(), POLLIN, 0};
        while (tree.root_gone().empty() && ::poll(&fd, 1, 500) > 0) {
          ssize_t len = ::read(inotify_fd.get(), buf, sizeof(buf));
          if (len <= 0) break;
          tree.Take(buf, len);
        }
        return RootGone(root, tree.root_gone().empty() ? std::string("deleted or moved away")
                                                       : tree.root_gone());
      }
      auto first = *first_event;
      first_event.reset();
      if (trigger == WatchTrigger::kOverflow) {
        // Events were lost, those of new folders too: watch what is there.
        tree.Add("");
        report_state();
      }
      FS_TRY(start(trigger, std::move(keys), first));
      continue;
    }
    if (watch.interval_s > 0 && now >= next_full) {
      // A safety net: folders created while a watch could not be added are
      // watched now if they can be.
      if (!tree.problem().empty()) {
        tree.Add("");
        report_state();
      }
      std::optional<SteadyClock::time_point> first = first_event;
      first_event.reset();
      FS_TRY(start(WatchTrigger::kInterval, {}, first));
    }
  }
}

Status WatchAndSync(Store& store, const SyncOptions& sync, const WatchOptions& watch,
                    const WatchCallbacks& callbacks) {
  TreeWatchHooks hooks;
  // Files no workflow is made of change nothing (a bundle's main file or
  // member, a .json or .toml file are).
  hooks.wanted = [](const std::string& name, uint32_t mask) {
    return (mask & IN_ISDIR) != 0 ||
           std::find(kBundleMembers.begin(), kBundleMembers.end(), name) != kBundleMembers.end() ||
           FileFormatForName(name).has_value();
  };
  hooks.on_state = callbacks.on_state;
  hooks.on_batch = [&](const TreeBatch& batch) -> Status {
    SyncOptions options = sync;
    options.scope.subtrees = batch.keys;
    WatchRun info;
    info.trigger = batch.trigger;
    info.events = batch.events;
    info.paths = static_cast<int64_t>(batch.keys.size());
    info.folders = batch.folders;
    Result<SyncReport> report = RunSync(store, options);
    if (batch.first_event) info.latency_ms = MillisBetween(*batch.first_event, SteadyClock::now());
    callbacks.on_run(info, report);
    if (!report.ok() && Fatal(report.status())) return report.status();
    return Status::OK();
  };
  return WatchTree(sync.fs ? *sync.fs : RealFileSystem(), sync.root, watch, hooks);
}

}  // namespace flowsync
