// A progress line on a terminal for long commands.
//
// Nothing is drawn during the first half second (short runs stay quiet);
// after that the line shows the current stage and is kept up to date by a
// ticker thread ten times a second, so a stage that reports nothing for a
// while (a walk, a commit) still shows that it is running and for how long.
// Drawn on stderr, only when enabled (the caller checks for a terminal).
//
// Thread-safety: Set() and Clear() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace flowsync::cli {

class ProgressLine {
 public:
  // `quiet_for`: how long nothing is drawn (tests shorten it).
  explicit ProgressLine(bool enabled,
                        std::chrono::milliseconds quiet_for = std::chrono::milliseconds(500));
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The stage ("walking", "reading", "committing") and, when total > 0, how
  // far it is.
  void Set(std::string stage, size_t done, size_t total);
  // Erases the line (before printing a result); a later Set draws again.
  void Clear();

  // The text of the line for a stage, count and elapsed time (pure: for
  // tests).
  static std::string Render(const std::string& stage, size_t done, size_t total,
                            std::chrono::milliseconds elapsed);

 private:
  void Tick();
  void DrawLocked();

  const bool enabled_;
  const std::chrono::milliseconds quiet_for_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool drawn_ = false;
  std::string stage_;
  size_t done_ = 0;
  size_t total_ = 0;
  std::thread ticker_;
};

}  // namespace flowsync::cli
