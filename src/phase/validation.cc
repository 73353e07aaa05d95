#include "phase/validation.h"

#include <algorithm>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "flowsync/cron.h"
#include "phase/phase.h"
#include "phase/query.h"
#include "phase/rule.h"

namespace flowsync::phase {
namespace {

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// Phases that run after themselves: for each phase on a cycle, the shortest
// cycle through it, as phase indexes starting and ending with it. Strongly
// connected components (Tarjan, iterative: a long chain must not overflow
// the stack) find the phases; a breadth-first search inside the component,
// children in file order, names the cycle.
std::vector<std::vector<int>> Cycles(const std::vector<std::vector<int>>& children) {
  const int n = static_cast<int>(children.size());
  std::vector<int> index(n, -1), low(n, 0), component(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<int> stack;
  std::vector<int> component_size;
  int counter = 0;
  struct Frame {
    int v;
    size_t next;
  };
  for (int root = 0; root < n; ++root) {
    if (index[root] != -1) continue;
    std::vector<Frame> calls{{root, 0}};
    index[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!calls.empty()) {
      const int v = calls.back().v;
      if (calls.back().next < children[v].size()) {
        const int w = children[v][calls.back().next++];
        if (index[w] == -1) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = true;
          calls.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      if (low[v] == index[v]) {
        const int id = static_cast<int>(component_size.size());
        int size = 0;
        int w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = id;
          ++size;
        } while (w != v);
        component_size.push_back(size);
      }
      calls.pop_back();
      if (!calls.empty()) {
        const int u = calls.back().v;
        low[u] = std::min(low[u], low[v]);
      }
    }
  }

  std::vector<std::vector<int>> cycles(n);
  for (int v = 0; v < n; ++v) {
    const bool self_loop =
        std::find(children[v].begin(), children[v].end(), v) != children[v].end();
    if (component_size[component[v]] < 2 && !self_loop) continue;
    // Breadth-first from v until an edge leads back to v.
    std::unordered_map<int, int> parent{{v, -1}};
    std::deque<int> queue{v};
    int last = -1;
    while (!queue.empty() && last == -1) {
      const int u = queue.front();
      queue.pop_front();
      for (int w : children[u]) {
        if (w == v) {
          last = u;
          break;
        }
        if (component[w] != component[v] || parent.count(w) != 0) continue;
        parent[w] = u;
        queue.push_back(w);
      }
    }
    std::vector<int> path;
    for (int u = last; u != -1; u = parent[u]) path.push_back(u);
    std::reverse(path.begin(), path.end());
    path.push_back(v);
    cycles[v] = std::move(path);
  }
  return cycles;
}

std::string TopicJobKey(std::string_view topic, std::string_view job) {
  std::string key(topic);
  key += '\0';
  key += job;
  return key;
}

}  // namespace

std::string ValidateRule(const Phase& phase) {
  QueryValues values;
  if (!ParseQuery(phase.rule, &values).ok()) return "invalid rule format: " + phase.rule;
  const std::string& cron = values.Get("cron");
  if (phase.depends_on.empty() && cron.empty() && values.Get("files").empty()) {
    return "non-scheduled phase: use depends_on, cron or files";
  }
  if (!cron.empty()) {
    Result<CronSchedule> schedule = CronSchedule::Parse(cron);
    if (!schedule.ok()) return "invalid cron: " + cron + " " + schedule.status().message();
  }
  return "";
}

std::vector<Phase> PhasesFromEntries(const std::vector<PhaseEntry>& entries,
                                     const ValidationOptions& options) {
  // Keep the first phase of each (topic, job); remember the others' lines.
  std::vector<Phase> phases;
  std::vector<std::string> topics, jobs;
  std::vector<std::vector<int>> duplicate_lines;
  std::unordered_map<std::string, int> first_of;  // topic\0job -> phase
  for (const PhaseEntry& entry : entries) {
    Phase phase;
    phase.task = entry.task;
    phase.depends_on = entry.depends_on;
    phase.rule = entry.rule;
    phase.template_text = entry.template_text;
    phase.retry = entry.retry;
    std::string topic = phase.Topic();
    std::string job = phase.Job();
    auto [it, inserted] =
        first_of.emplace(TopicJobKey(topic, job), static_cast<int>(phases.size()));
    if (!inserted) {
      duplicate_lines[it->second].push_back(entry.line);
      continue;
    }
    phase.task = NormalizedTask(phase);
    phases.push_back(std::move(phase));
    topics.push_back(std::move(topic));
    jobs.push_back(std::move(job));
    duplicate_lines.emplace_back();
  }

  const int n = static_cast<int>(phases.size());
  std::unordered_map<std::string_view, std::vector<int>> by_topic;
  for (int i = 0; i < n; ++i) by_topic[topics[i]].push_back(i);

  // Edges parent -> child, as Children() finds them; and the parent checks.
  std::vector<std::vector<int>> children(n);
  std::vector<std::string> parent_problem(n);
  for (int c = 0; c < n; ++c) {
    const std::string& depends_on = phases[c].depends_on;
    if (depends_on.empty()) continue;
    const TopicJob parent = SplitTopicJob(depends_on);
    auto it = by_topic.find(parent.topic);
    if (it == by_topic.end()) {
      parent_problem[c] = "parent task not found: " + depends_on;
      continue;
    }
    bool found = false;
    for (int p : it->second) {
      if (!parent.job.empty() && jobs[p] != parent.job) continue;
      children[p].push_back(c);
      found = true;
    }
    if (!found) parent_problem[c] = "parent job not found: " + depends_on;
  }
  const std::vector<std::vector<int>> cycles = Cycles(children);

  for (int i = 0; i < n; ++i) {
    Phase& phase = phases[i];
    std::vector<std::string> messages;
    if (std::string m = ValidateRule(phase); !m.empty()) messages.push_back(std::move(m));
    std::vector<std::string> unknown_keys;
    QueryValues values;
    if (ParseQuery(phase.rule, &values).ok()) {
      Result<Rule> rule = ParseRule(phase.rule);
      if (rule.ok()) {
        unknown_keys = rule->unknown_keys;
      } else {
        messages.push_back("invalid rule: " + rule.status().message());
      }
    }
    if (!parent_problem[i].empty()) messages.push_back(parent_problem[i]);
    if (!cycles[i].empty()) {
      std::vector<std::string> names;
      for (int v : cycles[i]) names.push_back(phases[v].task);
      messages.push_back("dependency cycle: " + Join(names, " -> "));
    }
    if (!duplicate_lines[i].empty()) {
      std::vector<std::string> lines;
      for (int line : duplicate_lines[i]) lines.push_back(std::to_string(line));
      messages.push_back("duplicate task: " + phase.task + " (ignored at line" +
                         (lines.size() > 1 ? "s " : " ") + Join(lines, ", ") + ")");
    }
    if (!unknown_keys.empty()) {
      messages.push_back(std::string("warning: unknown rule key") +
                         (unknown_keys.size() > 1 ? "s: " : ": ") + Join(unknown_keys, ", "));
    }
    if (phase.retry > options.max_retry) {
      messages.push_back("warning: retry count " + std::to_string(phase.retry) +
                         " exceeds recommended limit " + std::to_string(options.max_retry));
    }
    phase.status = Join(messages, "; ");
  }
  return phases;
}

bool StatusIsError(std::string_view status) {
  size_t start = 0;
  while (start < status.size()) {
    size_t end = status.find("; ", start);
    std::string_view part =
        status.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!part.starts_with("warning:")) return true;
    if (end == std::string_view::npos) break;
    start = end + 2;
  }
  return false;
}

}  // namespace flowsync::phase
