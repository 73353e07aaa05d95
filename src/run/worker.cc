#include "run/worker.h"

#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <thread>

#include "run/command_runner.h"
#include "run/task_input.h"
#include "util/host.h"

namespace flowsync::run {
namespace {

std::string DefaultOwner() {
  std::random_device rd;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return HostName() + ":" + std::to_string(::getpid()) + ":" + suffix;
}

class Slot {
 public:
  Slot(const StoreOpener& open, const WorkerOptions& options, std::string owner,
       WorkerReport& report, std::mutex& report_mu)
      : open_(open),
        options_(options),
        owner_(std::move(owner)),
        clock_(options.clock ? *options.clock : SystemClock()),
        random_(NewRandomSource()),
        report_(report),
        report_mu_(report_mu) {}

  Status Run() {
    int64_t last_rescue = 0;
    while (!Stopping()) {
      if (!queue_) {
        Status s = Connect();
        if (!s.ok()) {
          // The database went away: try again, nothing was recorded.
          if (++reconnects_ > 50) return s;
          Sleep(options_.poll_ms * 5);
          continue;
        }
      }
      reconnects_ = 0;
      const int64_t now = clock_.NowMs();
      auto claimed = queue_->Claim(options_.topics, owner_, options_.noop ? options_.batch : 1, now,
                                   options_.lease_ms);
      if (!claimed.ok()) {
        Drop();
        continue;
      }
      if (claimed->empty()) {
        if (now - last_rescue >= options_.poll_ms) {
          last_rescue = now;
          auto rescued = queue_->RescueExpired(now);
          if (!rescued.ok()) {
            Drop();
            continue;
          }
          Count([&](WorkerReport& r) { r.rescued += *rescued; });
          if (*rescued > 0) continue;
        }
        if (options_.exit_when_idle) {
          auto busy = queue_->HasUnfinished(options_.topics);
          if (!busy.ok()) {
            Drop();
            continue;
          }
          if (!*busy) return Status::OK();
        }
        if (!WaitForWork()) Drop();
        continue;
      }
      if (options_.noop) {
        // Nothing to run: the whole claim completes in one transaction.
        if (!CompleteAll(*claimed).ok()) Drop();
        continue;
      }
      for (const Execution& e : *claimed) {
        Status s = RunOne(e);
        if (!s.ok()) {
          // The end could not be recorded: the lease runs out and the
          // execution is rescued, so nothing is lost.
          Drop();
          break;
        }
      }
    }
    return Status::OK();
  }

 private:
  bool Stopping() const { return options_.stop && options_.stop->load(); }

  // Until a hint that work is ready (PostgreSQL), the poll interval, or a
  // stop, whichever comes first. False when the store failed.
  bool WaitForWork() {
    for (int64_t waited = 0; waited < options_.poll_ms && !Stopping(); waited += 100) {
      auto woken = queue_->WaitForWork(std::min<int64_t>(100, options_.poll_ms - waited));
      if (!woken.ok()) return false;
      if (*woken) return true;
    }
    return true;
  }

  void Sleep(int64_t ms) {
    // Sleep in small steps so a stop is seen quickly.
    for (int64_t slept = 0; slept < ms && !Stopping(); slept += 20) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(20, ms - slept)));
    }
  }

  Status Connect() {
    FS_TRY_ASSIGN(store_, open_());
    FS_TRY_ASSIGN(queue_, OpenExecutionQueue(*store_));
    return Status::OK();
  }

  void Drop() {
    queue_.reset();
    store_.reset();
  }

  void Count(const std::function<void(WorkerReport&)>& f) {
    std::lock_guard lock(report_mu_);
    f(report_);
  }

  Status CompleteAll(const std::vector<Execution>& claimed) {
    std::vector<AttemptRef> refs;
    refs.reserve(claimed.size());
    for (const Execution& e : claimed) refs.push_back({e.id, e.attempt, owner_});
    FS_TRY_ASSIGN(std::vector<int64_t> done, queue_->CompleteBatch(owner_, refs, clock_.NowMs()));
    Count([&](WorkerReport& rep) {
      rep.completed += static_cast<int64_t>(done.size());
      rep.stale += static_cast<int64_t>(claimed.size() - done.size());
    });
    if (options_.on_finish) {
      for (const Execution& e : claimed) {
        FinishResult r;
        r.outcome = std::find(done.begin(), done.end(), e.id) != done.end()
                        ? FinishOutcome::kCompleted
                        : FinishOutcome::kStale;
        options_.on_finish(e, r);
      }
    }
    return Status::OK();
  }

  Status RunOne(const Execution& e) {
    AttemptEnd end;
    CommandVariables vars;
    if (!options_.noop && !options_.variables_environment.empty()) {
      auto stored = queue_->Variables(options_.variables_environment);
      // Unreadable variables: the attempt is not run; the lease runs out and
      // it is tried again (the database may come back).
      if (!stored.ok()) return stored.status();
      auto resolved = ResolveVariables(*stored, options_.secret_key);
      if (resolved.ok()) {
        vars = std::move(*resolved);
      } else {
        end.kind = AttemptEnd::Kind::kFailed;
        end.error = resolved.status().message();
      }
    }
    if (!options_.noop && end.error.empty()) {
      CommandSpec spec;
      spec.argv = options_.command;
      spec.env = std::move(vars.env);
      for (auto& kv : TaskEnvironment(e)) spec.env.push_back(std::move(kv));
      spec.env.insert(spec.env.end(), options_.env.begin(), options_.env.end());
      spec.stdin_data = TaskJson(e);
      spec.timeout_ms = e.timeout_ms;
      spec.output_cap = options_.output_cap;
      int64_t last_beat = clock_.NowMs();
      bool lost = false;
      spec.tick = [&]() {
        int64_t now = clock_.NowMs();
        if (now - last_beat < options_.heartbeat_ms) return true;
        last_beat = now;
        auto gone = queue_->Heartbeat(owner_, {e.id}, now, options_.lease_ms);
        // A failed heartbeat keeps the command running: the lease may still
        // hold, and the end is fenced anyway.
        if (gone.ok() && !gone->empty()) lost = true;
        return !lost;
      };
      auto ran = RunCommand(spec);
      if (!ran.ok()) {
        end.kind = AttemptEnd::Kind::kFailed;
        end.error = ran.status().message();
      } else {
        end.stdout_tail = MaskSecrets(std::move(ran->stdout_tail), vars.secret_values);
        end.stderr_tail = MaskSecrets(std::move(ran->stderr_tail), vars.secret_values);
        if (ran->kind == CommandResult::Kind::kExited) end.exit_status = ran->exit_status;
        if (ran->Succeeded()) {
          end.kind = AttemptEnd::Kind::kCompleted;
        } else {
          end.kind = ran->kind == CommandResult::Kind::kTimedOut ? AttemptEnd::Kind::kTimeout
                                                                 : AttemptEnd::Kind::kFailed;
          end.error = ran->Describe(e.timeout_ms);
        }
      }
    }
    FS_TRY_ASSIGN(FinishResult r, queue_->Finish({e.id, e.attempt, owner_}, end, clock_.NowMs(),
                                                 DrawJitter(*random_)));
    Count([&](WorkerReport& rep) {
      switch (r.outcome) {
        case FinishOutcome::kCompleted:
          ++rep.completed;
          break;
        case FinishOutcome::kRetrying:
          ++rep.retried;
          break;
        case FinishOutcome::kFailed:
        case FinishOutcome::kTimedOut:
          ++rep.failed;
          break;
        case FinishOutcome::kStale:
          ++rep.stale;
          break;
      }
    });
    if (options_.on_finish) options_.on_finish(e, r);
    return Status::OK();
  }

  const StoreOpener& open_;
  const WorkerOptions& options_;
  std::string owner_;
  const Clock& clock_;
  std::unique_ptr<RandomSource> random_;
  WorkerReport& report_;
  std::mutex& report_mu_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ExecutionQueue> queue_;
  int reconnects_ = 0;
};

}  // namespace

Result<WorkerReport> RunWorker(const StoreOpener& open, const WorkerOptions& options) {
  if (options.topics.empty()) return Status::InvalidArgument("a worker needs at least one topic");
  if (!options.noop && options.command.empty()) {
    return Status::InvalidArgument("a worker needs a command (after --) or --noop");
  }
  const std::string base = options.owner.empty() ? DefaultOwner() : options.owner;
  WorkerReport report;
  std::mutex mu;
  const int slots = std::max(1, options.concurrency);
  std::vector<Status> statuses(static_cast<size_t>(slots));
  std::vector<std::thread> threads;
  for (int i = 0; i < slots; ++i) {
    threads.emplace_back([&, i] {
      Slot slot(open, options, slots == 1 ? base : base + "/" + std::to_string(i), report, mu);
      statuses[static_cast<size_t>(i)] = slot.Run();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : statuses) FS_TRY(s);
  return report;
}

}  // namespace flowsync::run
