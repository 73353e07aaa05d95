#include "cli/progress.h"

#include <fmt/format.h>

#include <cstdio>

namespace flowsync::cli {
namespace {

constexpr auto kTick = std::chrono::milliseconds(100);

}  // namespace

ProgressLine::ProgressLine(bool enabled, std::chrono::milliseconds quiet_for)
    : enabled_(enabled), quiet_for_(quiet_for), start_(std::chrono::steady_clock::now()) {
  if (enabled_) ticker_ = std::thread([this] { Tick(); });
}

ProgressLine::~ProgressLine() {
  if (ticker_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    ticker_.join();
  }
  Clear();
}

void ProgressLine::Set(std::string stage, size_t done, size_t total) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  stage_ = std::move(stage);
  done_ = done;
  total_ = total;
}

void ProgressLine::Clear() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
  stage_.clear();
}

std::string ProgressLine::Render(const std::string& stage, size_t done, size_t total,
                                 std::chrono::milliseconds elapsed) {
  const std::string time = fmt::format("{:.1f} s", static_cast<double>(elapsed.count()) / 1000.0);
  if (total == 0) return fmt::format("{}... {}", stage, time);
  constexpr size_t kWidth = 30;
  const size_t filled = done >= total ? kWidth : kWidth * done / total;
  return fmt::format("{} [{}{}] {}/{} {}", stage, std::string(filled, '#'),
                     std::string(kWidth - filled, ' '), done, total, time);
}

void ProgressLine::DrawLocked() {
  if (stage_.empty()) return;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start_);
  std::fprintf(stderr, "\r\033[K%s", Render(stage_, done_, total_, elapsed).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::Tick() {
  std::unique_lock<std::mutex> lock(mu_);
  if (cv_.wait_until(lock, start_ + quiet_for_, [this] { return stop_; })) return;
  while (!stop_) {
    DrawLocked();
    cv_.wait_for(lock, kTick, [this] { return stop_; });
  }
}

}  // namespace flowsync::cli
