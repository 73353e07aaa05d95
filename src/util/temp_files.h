// Temp files that a killed writer leaves behind. TempPathFor names a temp
// file ".NAME.tmp-PID-N" beside its final file; a process killed between
// writing temp files and renaming them into place (`migration create`
// writes a whole batch before its renames) leaves them there for good. The
// next writer in that folder removes those of processes that are gone.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "flowsync/file_system.h"
#include "flowsync/status.h"

namespace flowsync {

// The PID in a name TempPathFor made (".NAME.tmp-PID-N", NAME not empty, PID
// and N decimal digits), else nullopt.
std::optional<int64_t> TempFilePid(std::string_view name);

// True while process `pid` exists (kill(pid, 0) succeeds, or is refused for
// permission only).
bool ProcessRunning(int64_t pid);

// Removes the files of `dir` named as TempPathFor names them whose process
// no longer runs (`running(pid)` false); this process's own temp files and
// those of live processes stay. Returns how many were removed; a missing
// `dir` is 0; an error listing `dir` or removing a file is returned as is.
Result<int> RemoveStaleTempFiles(const FileSystem& fs, const std::string& dir,
                                 const std::function<bool(int64_t pid)>& running = ProcessRunning);

}  // namespace flowsync
