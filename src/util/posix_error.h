// The one place where errno values become a Status.
#pragma once

#include <string>

#include "flowsync/status.h"

namespace flowsync {

// NotFound for ENOENT/ENOTDIR, IOError otherwise; the message is
// "<context>: <strerror>", e.g. "flows/a.json: Permission denied".
Status PosixError(const std::string& context, int error_number);

}  // namespace flowsync
