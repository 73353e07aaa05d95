// Who and where this process runs, for lock holders and history rows.
#pragma once

#include <string>

namespace flowsync {

// gethostname(2), or "" when it fails.
std::string HostName();

// "user@host" of the effective user ("uid 1000@host" without a passwd
// entry).
std::string UserAtHost();

}  // namespace flowsync
