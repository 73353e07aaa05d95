#include "serve/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <charconv>
#include <cstring>

namespace flowsync::serve {

std::optional<std::string> HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::Cookie(std::string_view name) const {
  std::optional<std::string> header = Header("cookie");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

struct HttpServer::State {
  HttpServerOptions options;
  HttpHandler handler;
};

namespace {

// What a connection accumulates between the calls libmicrohttpd makes for
// one request.
struct Pending {
  HttpRequest request;
};

MHD_Result CollectPair(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* out = static_cast<std::vector<std::pair<std::string, std::string>>*>(cls);
  out->emplace_back(key ? key : "", value ? value : "");
  return MHD_YES;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

MHD_Result Send(MHD_Connection* connection, const HttpResponse& r) {
  MHD_Response* response = MHD_create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", r.content_type.c_str());
  for (const auto& [k, v] : r.headers) MHD_add_response_header(response, k.c_str(), v.c_str());
  MHD_Result ok = MHD_queue_response(connection, static_cast<unsigned>(r.status), response);
  MHD_destroy_response(response);
  return ok;
}

MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url, const char* method,
                     const char*, const char* upload_data, size_t* upload_data_size,
                     void** con_cls) {
  auto* state = static_cast<HttpServer::State*>(cls);
  auto* pending = static_cast<Pending*>(*con_cls);
  if (pending == nullptr) {
    pending = new Pending();
    *con_cls = pending;
    HttpRequest& r = pending->request;
    r.method = method;
    r.path = url;
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, CollectPair, &r.query);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, CollectPair, &r.headers);
    for (auto& [k, v] : r.headers) k = Lower(k);
    if (auto length = r.Header("content-length")) {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
      if (ec != std::errc() || end != length->data() + length->size() ||
          n > state->options.max_body) {
        // Answered before a byte of the body is read.
        r.body_too_large = true;
        return Send(connection, state->handler(r));
      }
    }
    return MHD_YES;
  }
  HttpRequest& r = pending->request;
  if (*upload_data_size != 0) {
    if (!r.body_too_large) {
      if (r.body.size() + *upload_data_size > state->options.max_body) {
        r.body_too_large = true;
        r.body.clear();
        r.body.shrink_to_fit();
      } else {
        r.body.append(upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  return Send(connection, state->handler(r));
}

void OnCompleted(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<Pending*>(*con_cls);
  *con_cls = nullptr;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler handler) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->state_ = std::make_unique<State>(State{options, std::move(handler)});
  sockaddr_storage addr = {};
  socklen_t addr_len = 0;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO;
  const std::string where = options.host + ":" + std::to_string(options.port);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, options.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(options.port));
    addr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, options.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(options.port));
    addr_len = sizeof(sockaddr_in6);
    flags |= MHD_USE_IPv6;
  } else {
    return Status::InvalidArgument("--listen: expected a numeric IPv4 or IPv6 address, got '" +
                                   options.host + "'");
  }
  (void)addr_len;
  MHD_Daemon* daemon = MHD_start_daemon(
      flags, static_cast<uint16_t>(options.port), nullptr, nullptr, OnRequest, server->state_.get(),
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&addr), MHD_OPTION_THREAD_POOL_SIZE,
      static_cast<unsigned>(options.threads), MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(options.connection_timeout_s), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      static_cast<size_t>(options.connection_memory), MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned>(options.max_connections), MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
      MHD_OPTION_NOTIFY_COMPLETED, OnCompleted, nullptr, MHD_OPTION_END);
  if (daemon == nullptr) {
    return Status::IOError("cannot listen on " + where + ": " + std::strerror(errno));
  }
  server->daemon_ = daemon;
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info != nullptr ? info->port : options.port;
  return server;
}

HttpServer::~HttpServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(static_cast<MHD_Daemon*>(daemon_));
}

Result<std::pair<std::string, int>> ParseListen(std::string_view text) {
  auto bad = [&]() {
    return Status::InvalidArgument("--listen: expected HOST:PORT, got '" + std::string(text) + "'");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad();
  std::string host(text.substr(0, colon));
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "127.0.0.1";
  if (host == "localhost") host = "127.0.0.1";
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return bad();
  }
  return std::make_pair(host, port);
}

}  // namespace flowsync::serve
