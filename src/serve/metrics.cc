#include "serve/metrics.h"

#include <fmt/format.h>

namespace flowsync::serve {
namespace {

constexpr double kBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                              0.05,   0.1,   0.25,   0.5,   1,    2.5};
constexpr size_t kBucketCount = sizeof kBounds / sizeof kBounds[0];

// A label value with \ " and newlines escaped, as the text format wants.
std::string Label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

void Metrics::Record(const std::string& route, const std::string& method, int status,
                     double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  if (h.buckets.empty()) h.buckets.assign(kBucketCount, 0);
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (seconds <= kBounds[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::WebhookExecutionStarted() {
  std::lock_guard<std::mutex> lock(mu_);
  ++webhook_executions_;
}

std::string Metrics::Text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out +=
      "# HELP flowsync_http_requests_total HTTP requests answered, by route, method and "
      "status.\n# TYPE flowsync_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out +=
        fmt::format("flowsync_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                    Label(route), Label(method), status, n);
  }
  out +=
      "# HELP flowsync_http_request_duration_seconds Time to answer a request, by route.\n"
      "# TYPE flowsync_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBucketCount; ++i) {
      out += fmt::format(
          "flowsync_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
          Label(route), kBounds[i], h.buckets[i]);
    }
    out += fmt::format(
        "flowsync_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
        Label(route), h.count);
    out += fmt::format("flowsync_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n",
                       Label(route), h.sum);
    out += fmt::format("flowsync_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                       Label(route), h.count);
  }
  out +=
      "# HELP flowsync_webhook_executions_started_total Executions started by webhook "
      "deliveries.\n# TYPE flowsync_webhook_executions_started_total counter\n";
  out += fmt::format("flowsync_webhook_executions_started_total {}\n", webhook_executions_);
  return out;
}

}  // namespace flowsync::serve
