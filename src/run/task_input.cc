#include "run/task_input.h"

#include <nlohmann/json.hpp>

#include "util/time_format.h"

namespace flowsync::run {

std::string TaskJson(const Execution& e) {
  nlohmann::ordered_json j;
  j["task"] = e.Task();
  j["topic"] = e.topic;
  j["job"] = e.job;
  j["workflow"] = e.workflow;
  j["info"] = e.info;
  j["time"] = e.task_time_ms ? nlohmann::ordered_json(FormatTimestampMs(*e.task_time_ms))
                             : nlohmann::ordered_json(nullptr);
  j["meta"] = e.meta;
  j["attempt"] = e.attempt;
  j["max_attempts"] = e.max_attempts;
  j["execution"] = e.id;
  j["trigger"] = std::string(TriggerName(e.trigger));
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::vector<std::pair<std::string, std::string>> TaskEnvironment(const Execution& e) {
  return {
      {"FLOWSYNC_TASK", e.Task()},
      {"FLOWSYNC_TOPIC", e.topic},
      {"FLOWSYNC_JOB", e.job},
      {"FLOWSYNC_WORKFLOW", e.workflow},
      {"FLOWSYNC_INFO", e.info},
      {"FLOWSYNC_TIME", e.task_time_ms ? FormatTimestampMs(*e.task_time_ms) : std::string()},
      {"FLOWSYNC_META", e.meta},
      {"FLOWSYNC_ATTEMPT", std::to_string(e.attempt)},
      {"FLOWSYNC_EXECUTION", std::to_string(e.id)},
      {"FLOWSYNC_TRIGGER", std::string(TriggerName(e.trigger))},
  };
}

}  // namespace flowsync::run
