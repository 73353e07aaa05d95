// `flowsync phases ...`: questions about phase workflows, answered by the
// persistent phase cache (include/flowsync/phase_cache.h).
#pragma once

#include <CLI/CLI.hpp>

namespace flowsync::cli {

// Adds the `phases` command and its sub-commands to `app`. `*run` is set to
// the handler of whichever sub-command the command line chose; it returns
// the exit status.
void AddPhasesCommand(CLI::App* app, std::function<int()>* run);

}  // namespace flowsync::cli
