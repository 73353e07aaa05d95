// The flowsync command line: a thin adapter over the library. The commands
// are rows of a table (cli/command.h); exit statuses are cli/exit_code.h.
#pragma once

namespace flowsync::cli {

// Parses argv, runs the one command it names and returns the process exit
// status (an ExitCode). Help and version requests exit 0, usage errors 2.
int Main(int argc, char** argv);

}  // namespace flowsync::cli
