#include "util/posix_error.h"

#include <cerrno>
#include <cstring>

namespace flowsync {

Status PosixError(const std::string& context, int error_number) {
  std::string msg = context + ": ";
  if (error_number == ELOOP) {
    msg += "symbolic link loop (too many levels of symbolic links)";
  } else {
    msg += std::strerror(error_number);
  }
  if (error_number == ENOENT || error_number == ENOTDIR) return Status::NotFound(std::move(msg));
  return Status::IOError(std::move(msg));
}

}  // namespace flowsync
