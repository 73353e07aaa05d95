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
  if (error_number == EEXIST) return Status::Conflict(std::move(msg));
  return Status::IOError(std::move(msg));
}

Status WithContext(const Status& status, const std::string& path, const std::string& context) {
  std::string_view reason = status.message();
  if (reason.starts_with(path) && reason.substr(path.size()).starts_with(": ")) {
    reason.remove_prefix(path.size() + 2);
  }
  return Status(status.code(), context + ": " + std::string(reason));
}

Status IsADirectoryError(const std::string& path) {
  return Status::IOError(path + ": is a directory");
}

Status NotARegularFileError(const std::string& path, const std::string& what) {
  return Status::IOError(path + ": not a regular file (" + what + "); only regular files are read");
}

Status FileTooLargeError(const std::string& path, uint64_t size, uint64_t max_size) {
  return Status::InvalidArgument(path + ": file is " + std::to_string(size) +
                                 " bytes, over the limit of " + std::to_string(max_size) +
                                 " bytes (--max-file-size)");
}

}  // namespace flowsync
