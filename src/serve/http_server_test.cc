#include "serve/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "util/test_util.h"

namespace flowsync::serve {
namespace {

// Sends `raw` to 127.0.0.1:port and returns all the server answers until it
// closes the connection (or 5 s pass).
std::string Exchange(int port, const std::string& raw) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "connect failed";
  }
  (void)!write(fd, raw.data(), raw.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    options.max_body = 10;
    options.threads = 2;
    auto server = HttpServer::Start(options, [this](const HttpRequest& r) {
      ++calls_;
      HttpResponse resp;
      resp.status = r.body_too_large ? 413 : 200;
      resp.content_type = "text/plain";
      resp.body = r.method + " " + r.path + " q=" + r.Query("q").value_or("-") +
                  " h=" + r.Header("x-thing").value_or("-") + " c=" + r.Cookie("s").value_or("-") +
                  " body=" + r.body;
      return resp;
    });
    ASSERT_OK(server);
    server_ = std::move(server).value();
  }
  std::atomic<int> calls_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, RequestsReachTheHandler) {
  std::string got = Exchange(server_->port(),
                             "POST /a%20b?q=x%2By HTTP/1.1\r\nHost: x\r\nX-Thing: 1\r\n"
                             "Cookie: t=2; s=abc\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
                             "hello");
  EXPECT_EQ(got.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_NE(got.find("\r\n\r\nPOST /a b q=x+y h=1 c=abc body=hello"), std::string::npos) << got;
}

TEST_F(HttpServerTest, OversizedBodiesAreAnsweredWithoutBeingRead) {
  std::string got = Exchange(server_->port(),
                             "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
                             "Connection: close\r\n\r\n");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 413") << got;
  // Chunked: discovered while reading, answered at the end.
  got = Exchange(server_->port(),
                 "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 "Connection: close\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 413") << got;
  EXPECT_EQ(got.substr(got.size() - 6), " body=") << got;
}

TEST_F(HttpServerTest, MalformedRequestsNeverReachTheHandler) {
  // A header line without a colon: libmicrohttpd's own 400.
  std::string got = Exchange(server_->port(), "GET / HTTP/1.1\r\nHost: x\r\nbroken line\r\n\r\n");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 400") << got;
  got = Exchange(server_->port(), "GET / HTTP/9.9\r\nHost: x\r\n\r\n");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 505") << got;
  // Headers over the connection's memory: 431.
  got = Exchange(server_->port(),
                 "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(70'000, 'a') + "\r\n\r\n");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 431") << got;
  // Not HTTP at all: the connection is closed without an answer.
  got = Exchange(server_->port(), "NONSENSE\r\n\r\n");
  EXPECT_EQ(got.substr(0, 4), got.empty() ? "" : "HTTP") << got;
  EXPECT_EQ(calls_.load(), 0);
}

TEST(ParseListenTest, HostAndPort) {
  auto a = ParseListen("0.0.0.0:80");
  ASSERT_OK(a);
  EXPECT_EQ(a->first, "0.0.0.0");
  EXPECT_EQ(a->second, 80);
  auto b = ParseListen("[::1]:0");
  ASSERT_OK(b);
  EXPECT_EQ(b->first, "::1");
  auto c = ParseListen(":8080");
  ASSERT_OK(c);
  EXPECT_EQ(c->first, "127.0.0.1");
  EXPECT_EQ(ParseListen("8080").status().ToString(),
            "InvalidArgument: --listen: expected HOST:PORT, got '8080'");
  EXPECT_EQ(ParseListen("h:99999").status().ToString(),
            "InvalidArgument: --listen: expected HOST:PORT, got 'h:99999'");
}

}  // namespace
}  // namespace flowsync::serve
