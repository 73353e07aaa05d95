// The Prometheus metrics of `flowsync serve` (GET /metrics, text format
// 0.0.4): requests by route, method and status; a latency histogram by
// route; executions started by webhooks.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace flowsync::serve {

class Metrics {
 public:
  // `route` is the route's pattern ("/api/v1/workflows/{id}"), or "other".
  void Record(const std::string& route, const std::string& method, int status, double seconds);
  void WebhookExecutionStarted();
  // The text GET /metrics answers.
  std::string Text() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative per upper bound of kBounds
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  uint64_t webhook_executions_ = 0;
};

}  // namespace flowsync::serve
