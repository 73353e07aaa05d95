#include "flowsync/execution_queue.h"

#include <array>
#include <utility>

namespace flowsync {
namespace {

constexpr std::array<std::pair<ExecutionStatus, std::string_view>, 6> kStatusNames = {{
    {ExecutionStatus::kPending, "pending"},
    {ExecutionStatus::kRunning, "running"},
    {ExecutionStatus::kCompleted, "completed"},
    {ExecutionStatus::kFailed, "failed"},
    {ExecutionStatus::kCancelled, "cancelled"},
    {ExecutionStatus::kTimeout, "timeout"},
}};

constexpr std::array<std::pair<Trigger, std::string_view>, 5> kTriggerNames = {{
    {Trigger::kSchedule, "schedule"},
    {Trigger::kManual, "manual"},
    {Trigger::kWebhook, "webhook"},
    {Trigger::kWorkflow, "workflow"},
    {Trigger::kFiles, "files"},
}};

template <typename T, size_t N>
std::string_view NameOf(const std::array<std::pair<T, std::string_view>, N>& names, T value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "?";
}

template <typename T, size_t N>
std::optional<T> ValueOf(const std::array<std::pair<T, std::string_view>, N>& names,
                         std::string_view name) {
  for (const auto& [v, n] : names) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view ExecutionStatusName(ExecutionStatus status) {
  return NameOf(kStatusNames, status);
}
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name) {
  return ValueOf(kStatusNames, name);
}
std::string_view TriggerName(Trigger trigger) { return NameOf(kTriggerNames, trigger); }
std::optional<Trigger> ParseTrigger(std::string_view name) { return ValueOf(kTriggerNames, name); }

std::string Execution::Task() const { return job.empty() ? topic : topic + ":" + job; }

}  // namespace flowsync
