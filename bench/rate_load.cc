// A constant-rate (open-loop) HTTP/1.1 load generator, for latency at a
// given request rate: wrk, the closed-loop generator Debian ships, sends the
// next request only when an answer came back, so a slow server also slows
// the load and its tail hides (coordinated omission); wrk2 and vegeta are not
// in Debian.
//
//   rate_load --url http://HOST:PORT/PATH --rate R [--seconds S] [--connections C]
//             [--method POST] [--header 'K: V']... [--body-file FILE]
//
// Request i is due at start + i/R. It goes out on the first idle keep-alive
// connection (one request in flight per connection); when none is idle it
// waits, and its latency still counts from when it was due. Prints one JSON
// line: due, sent, answered, non_2xx, errors, the achieved rate and the
// latency percentiles (ms) of the answered requests. Answers must carry
// Content-Length (or none with 204/304); a chunked answer is an error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "rate_load: %s\n", message.c_str());
  std::exit(2);
}

struct Options {
  std::string host, port, path, method = "GET", body;
  std::vector<std::string> headers;
  double rate = 0, seconds = 10;
  int connections = 64;
};

Options Parse(int argc, char** argv) {
  Options o;
  std::string url;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--url") {
      url = value();
    } else if (a == "--rate") {
      o.rate = std::atof(value().c_str());
    } else if (a == "--seconds") {
      o.seconds = std::atof(value().c_str());
    } else if (a == "--connections") {
      o.connections = std::atoi(value().c_str());
    } else if (a == "--method") {
      o.method = value();
    } else if (a == "--header") {
      o.headers.push_back(value());
    } else if (a == "--body-file") {
      std::ifstream f(value(), std::ios::binary);
      if (!f) Die("cannot read the body file");
      std::stringstream ss;
      ss << f.rdbuf();
      o.body = ss.str();
    } else {
      Die("unknown argument " + a + " (see the comment at the top of bench/rate_load.cc)");
    }
  }
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) Die("--url http://HOST:PORT/PATH is required");
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  o.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  o.host = authority.substr(0, colon);
  o.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (o.rate <= 0 || o.seconds <= 0 || o.connections <= 0) {
    Die("--rate, --seconds and --connections must be positive");
  }
  return o;
}

struct Conn {
  int fd = -1;
  bool busy = false;
  Clock::time_point due;  // of the request in flight
  std::string out;        // what is left to write
  std::string in;         // what was read of the answer
};

// Connected (blocking, before the clock starts or on a reconnect), then
// non-blocking.
int Connect(const addrinfo* ai) {
  int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
  if (fd < 0) Die(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    Die(std::string("connect: ") + std::strerror(errno));
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// The length of a whole answer at the front of `in`, its status in
// *status; 0 when more is needed, -1 when it cannot be read.
long AnswerLength(const std::string& in, int* status) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  if (in.compare(0, 9, "HTTP/1.1 ") != 0 && in.compare(0, 9, "HTTP/1.0 ") != 0) return -1;
  *status = std::atoi(in.c_str() + 9);
  std::string head = in.substr(0, end);
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) return -1;
  long body = 0;
  size_t cl = head.find("\r\ncontent-length:");
  if (cl != std::string::npos) {
    body = std::atol(head.c_str() + cl + 17);
  } else if (*status != 204 && *status != 304) {
    return -1;
  }
  long total = static_cast<long>(end + 4) + body;
  return static_cast<long>(in.size()) >= total ? total : 0;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* ai = nullptr;
  if (getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &ai) != 0 || ai == nullptr) {
    Die("cannot resolve " + o.host);
  }
  std::string request = o.method + " " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + o.port +
                        "\r\nConnection: keep-alive\r\n";
  for (const std::string& h : o.headers) request += h + "\r\n";
  if (!o.body.empty() || o.method == "POST") {
    request += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
  }
  request += "\r\n" + o.body;

  int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<size_t>(o.connections));
  auto open_conn = [&](size_t i) {
    if (conns[i].fd >= 0) {
      epoll_ctl(ep, EPOLL_CTL_DEL, conns[i].fd, nullptr);
      close(conns[i].fd);
    }
    conns[i] = Conn{};
    conns[i].fd = Connect(ai);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  };
  for (size_t i = 0; i < conns.size(); ++i) open_conn(i);

  const auto start = Clock::now();
  const auto interval = std::chrono::duration<double>(1.0 / o.rate);
  const long total = static_cast<long>(o.rate * o.seconds);
  long due_count = 0, sent = 0, answered = 0, non_2xx = 0, errors = 0;
  std::deque<Clock::time_point> waiting;  // due, not yet sent
  std::vector<double> latencies_ms;
  latencies_ms.reserve(static_cast<size_t>(total));
  std::vector<size_t> idle;
  for (size_t i = conns.size(); i-- > 0;) idle.push_back(i);

  auto flush = [&](Conn& c) -> bool {
    while (!c.out.empty()) {
      ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN;
      c.out.erase(0, static_cast<size_t>(n));
    }
    return true;
  };
  auto dispatch = [&] {
    while (!waiting.empty() && !idle.empty()) {
      size_t i = idle.back();
      idle.pop_back();
      Conn& c = conns[i];
      c.busy = true;
      c.due = waiting.front();
      waiting.pop_front();
      c.out = request;
      ++sent;
      if (!flush(c)) {
        ++errors;
        open_conn(i);
        idle.push_back(i);
      }
    }
  };

  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.seconds + 10));
  std::vector<epoll_event> events(conns.size());
  while (answered + errors < total && Clock::now() < deadline) {
    auto now = Clock::now();
    while (due_count < total) {
      auto due = start + std::chrono::duration_cast<Clock::duration>(interval * due_count);
      if (due > now) break;
      waiting.push_back(due);
      ++due_count;
    }
    dispatch();
    int timeout_ms = 1;
    if (due_count < total) {
      auto next = start + std::chrono::duration_cast<Clock::duration>(interval * due_count);
      timeout_ms = static_cast<int>(std::max<long>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count()));
    }
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int k = 0; k < n; ++k) {
      size_t i = events[static_cast<size_t>(k)].data.u64;
      Conn& c = conns[i];
      if (c.busy && !c.out.empty() && !flush(c)) {
        ++errors;
        open_conn(i);
        idle.push_back(i);
        continue;
      }
      char buf[16384];
      bool broken = false;
      while (true) {
        ssize_t r = recv(c.fd, buf, sizeof buf, 0);
        if (r > 0) {
          c.in.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r == 0 || errno != EAGAIN) broken = true;
        break;
      }
      if (c.busy && !c.in.empty()) {
        int status = 0;
        long len = AnswerLength(c.in, &status);
        if (len > 0) {
          auto took = std::chrono::duration<double, std::milli>(Clock::now() - c.due).count();
          latencies_ms.push_back(took);
          ++answered;
          if (status < 200 || status > 299) ++non_2xx;
          c.in.erase(0, static_cast<size_t>(len));
          c.busy = false;
          if (!broken) idle.push_back(i);
        } else if (len < 0) {
          broken = true;
        }
      }
      if (broken) {
        if (c.busy) ++errors;
        open_conn(i);
        idle.push_back(i);
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> l = latencies_ms;
  std::printf(
      "{\"rate\": %.0f, \"seconds\": %.1f, \"connections\": %d, \"due\": %ld, \"sent\": %ld, "
      "\"answered\": %ld, \"non_2xx\": %ld, \"errors\": %ld, \"achieved_per_s\": %.1f, "
      "\"p50_ms\": %.2f, \"p90_ms\": %.2f, \"p99_ms\": %.2f, \"p999_ms\": %.2f, \"max_ms\": "
      "%.2f}\n",
      o.rate, o.seconds, o.connections, due_count, sent, answered, non_2xx, errors,
      static_cast<double>(answered) / elapsed, Percentile(l, 50), Percentile(l, 90),
      Percentile(l, 99), Percentile(l, 99.9),
      l.empty() ? 0.0 : *std::max_element(l.begin(), l.end()));
  freeaddrinfo(ai);
  return answered == total && errors == 0 ? 0 : 1;
}
