#include "util/test_util.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace flowsync::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/flowsync-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Make everything writable/readable again first: tests chmod files away.
  for (auto it = std::filesystem::recursive_directory_iterator(
           path_, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_symlink(ec)) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
    }
  }
  std::filesystem::remove_all(path_, ec);
}

void TempDir::Write(const std::string& relative, const std::string& content) const {
  std::filesystem::path p = std::filesystem::path(path_) / relative;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string TempDir::Read(const std::string& relative) const {
  std::ifstream in(std::filesystem::path(path_) / relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void TempDir::Remove(const std::string& relative) const {
  std::filesystem::remove_all(std::filesystem::path(path_) / relative);
}

void PrintTo(const TestBackend& b, std::ostream* os) { *os << b.name; }

std::vector<TestBackend> TestBackends() {
  // Both backends are always listed (CTest discovers the test names before
  // any server runs); whether PostgreSQL is there is decided per test.
  return {
      {"sqlite", [](const std::string& dir) { return "sqlite:" + dir + "/store.db"; }},
      {"postgres",
       [](const std::string&) -> std::string {
         const char* pg_dir = std::getenv("FLOWSYNC_PG_DIR");
         if (pg_dir == nullptr || *pg_dir == '\0') return "";
         std::ifstream in(std::string(pg_dir) + "/url");
         std::string url;
         std::getline(in, url);
         if (url.empty()) {
           std::fprintf(stderr, "FLOWSYNC_PG_DIR=%s holds no url: is the test server running?\n",
                        pg_dir);
           std::abort();
         }
         static int counter = 0;
         std::string schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter) +
                              "_" + std::to_string(std::rand() % 100000);
         return url + (url.find('?') == std::string::npos ? "?" : "&") + "schema=" + schema;
       }},
  };
}

std::string N8nWorkflow(const std::string& name, int nodes, const std::string& id) {
  std::string list;
  for (int i = 0; i < nodes; ++i) {
    if (i > 0) list += ", ";
    list += R"({"id": ")" + std::to_string(i) + R"(", "name": "Node )" + std::to_string(i) +
            R"(", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1, "position": [0, 0],
             "parameters": {}})";
  }
  return "{" + (id.empty() ? "" : R"("id": ")" + id + R"(", )") + R"("name": ")" + name +
         R"(", "nodes": [)" + list + R"(], "connections": {}})";
}

std::string SharedDir() {
#ifdef FLOWSYNC_SHARED_DIR
  return FLOWSYNC_SHARED_DIR;
#else
  return "../shared";
#endif
}

ChildLock::ChildLock(const std::string& path, off_t offset, bool ofd) {
  int ready[2];
  int release[2];
  if (::pipe(ready) != 0) return;
  if (::pipe(release) != 0) {
    ::close(ready[0]);
    ::close(ready[1]);
    return;
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::close(ready[0]);
    ::close(release[1]);
    int fd = ::open(path.c_str(), O_RDWR);
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = offset;
    lock.l_len = 1;
    char ok = fd >= 0 && ::fcntl(fd, ofd ? F_OFD_SETLK : F_SETLK, &lock) == 0 ? 'y' : 'n';
    (void)!::write(ready[1], &ok, 1);
    char c;
    (void)!::read(release[0], &c, 1);  // returns when the parent closes its end
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(release[0]);
  release_ = release[1];
  char ok = 'n';
  locked_ = pid_ > 0 && ::read(ready[0], &ok, 1) == 1 && ok == 'y';
  ::close(ready[0]);
}

ChildLock::~ChildLock() {
  if (release_ >= 0) ::close(release_);
  if (pid_ > 0) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

}  // namespace flowsync::test
