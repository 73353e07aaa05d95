#include "util/host.h"

#include <pwd.h>
#include <unistd.h>

namespace flowsync {

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

std::string UserAtHost() {
  std::string user;
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(::geteuid(), &pw, buf, sizeof(buf), &found) == 0 && found != nullptr) {
    user = found->pw_name;
  } else {
    user = "uid " + std::to_string(::geteuid());
  }
  std::string host = HostName();
  return host.empty() ? user : user + "@" + host;
}

}  // namespace flowsync
