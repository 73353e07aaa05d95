#include "cli/cli.h"

int main(int argc, char** argv) { return flowsync::cli::Main(argc, argv); }
