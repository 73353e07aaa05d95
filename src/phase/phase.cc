#include "phase/phase.h"

#include "phase/query.h"

namespace flowsync {

Task TaskFromName(std::string_view name) {
  Task t;
  const size_t colon = name.find(':');
  t.type = std::string(name.substr(0, colon));
  if (colon != std::string_view::npos) t.job = std::string(name.substr(colon + 1));
  return t;
}

std::string Phase::Topic() const { return std::string(phase::SplitTopicJob(task).topic); }

std::string Phase::Job() const {
  if (task.find(':') != std::string::npos) return std::string(phase::SplitTopicJob(task).job);
  // Most rules carry no job: skip parsing them (an escaped key such as
  // "jo%62" still needs the parse).
  if (rule.find("job") == std::string::npos && rule.find('%') == std::string::npos) return "";
  phase::QueryValues values;
  (void)phase::ParseQuery(rule, &values);  // flowlord ignores the error
  return values.Get("job");
}

bool Phase::Empty() const {
  return task.empty() && rule.empty() && depends_on.empty() && template_text.empty();
}

namespace phase {

TopicJob SplitTopicJob(std::string_view text) {
  const size_t first = text.find(':');
  if (first == std::string_view::npos) return {text, {}};
  std::string_view rest = text.substr(first + 1);
  return {text.substr(0, first), rest.substr(0, rest.find(':'))};
}

std::string NormalizedTask(const Phase& phase) {
  const std::string topic = phase.Topic();
  const std::string job = phase.Job();
  // No job: the task is its topic, or a form such as "a:" whose empty job
  // part must stay (dropping the ':' would let a rule job= in).
  if (job.empty()) return phase.task;
  // A rule job holding ':' would read back differently after "topic:".
  if (job.find(':') != std::string::npos) return phase.task;
  return topic + ":" + job;
}

}  // namespace phase
}  // namespace flowsync
