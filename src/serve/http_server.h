// The HTTP side of `flowsync serve`: libmicrohttpd (epoll, a pool of
// threads, keep-alive, per-connection memory limits and timeouts) adapted to
// one function from a request to a response. Nothing here knows routes,
// JSON or the store.
//
// Bodies larger than max_body are never read: the handler gets the request
// with body_too_large set at once (from Content-Length) or, for a chunked
// body, after the rest was discarded, and answers it (413).
//
// Thread-safety: the handler is called from the pool's threads at once; it
// must be safe for that. An HttpServer is started and stopped by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flowsync/status.h"

namespace flowsync::serve {

struct HttpRequest {
  std::string method;
  std::string path;  // percent-decoded, without the query
  // Decoded query arguments and headers (names lower-case), in order.
  std::vector<std::pair<std::string, std::string>> query, headers;
  std::string body;
  bool body_too_large = false;

  // The first header / query argument of that name, or nullopt.
  std::optional<std::string> Header(std::string_view lower_name) const;
  std::optional<std::string> Query(std::string_view name) const;
  // The value of cookie `name` from the Cookie header, or nullopt.
  std::optional<std::string> Cookie(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (HttpServer::port() says which)
  int threads = 4;
  uint64_t max_body = 1 << 20;
  // A connection idle (or trickling) this long is closed: slow clients.
  int connection_timeout_s = 30;
  // Memory per connection for its headers and buffers: larger headers are
  // refused by libmicrohttpd (431/413).
  uint64_t connection_memory = 64 << 10;
  int max_connections = 1024;
};

class HttpServer {
 public:
  // Binds and starts serving. IOError naming HOST:PORT when it cannot.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler handler);
  ~HttpServer();  // stops: waits for the requests being handled
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }

  struct State;  // the options and handler the callbacks see

 private:
  HttpServer() = default;
  std::unique_ptr<State> state_;
  void* daemon_ = nullptr;  // MHD_Daemon*
  int port_ = 0;
};

// "HOST:PORT" (HOST may be "[::1]" or empty for 127.0.0.1) into its parts.
// InvalidArgument "--listen: expected HOST:PORT, got 'TEXT'".
Result<std::pair<std::string, int>> ParseListen(std::string_view text);

}  // namespace flowsync::serve
