// The one place where errno values become a Status.
#pragma once

#include <cstdint>
#include <string>

#include "flowsync/status.h"

namespace flowsync {

// NotFound for ENOENT/ENOTDIR, Conflict for EEXIST, IOError otherwise; the
// message is "<context>: <strerror>", e.g. "flows/a.json: Permission denied".
Status PosixError(const std::string& context, int error_number);

// `status` (same code) with "<context>: " in place of the leading
// "<path>: " of its message, or in front of a message of another form:
// ("m/.a.sql.tmp-1-2: No space left on device", "m/.a.sql.tmp-1-2",
// "cannot write m/a.sql") gives "cannot write m/a.sql: No space left on
// device". For errors about a file the user knows by another name.
Status WithContext(const Status& status, const std::string& path, const std::string& context);

// Errors of FileSystem::ReadFile that are no errno, worded alike by every
// implementation.
Status IsADirectoryError(const std::string& path);
// "PATH: not a regular file (a FIFO); only regular files are read": what a
// reader says of a FIFO, socket or device instead of opening it (opening a
// FIFO waits for a writer, forever).
Status NotARegularFileError(const std::string& path, const std::string& what);
Status FileTooLargeError(const std::string& path, uint64_t size, uint64_t max_size);

}  // namespace flowsync
