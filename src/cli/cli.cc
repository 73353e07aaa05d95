#include "cli/cli.h"

namespace flowsync::cli {
int Main(int, char**) { return 0; }
}  // namespace flowsync::cli
