// `retrace witness serve` (witness_serve.cc), a subcommand of `witness`.
#ifndef RETRACE_CLI_WITNESS_SERVE_H_
#define RETRACE_CLI_WITNESS_SERVE_H_

#include <string>

#include <CLI/CLI.hpp>

namespace retrace::cli {

struct WitnessServeOptions {
  std::string state;
  std::string key;
  std::string listen;
  std::string prefix;
  bool quiet = false;
  CLI::App* app = nullptr;
};

void AddWitnessServeSubcommand(CLI::App* witness, WitnessServeOptions* o);
int RunWitnessServe(const WitnessServeOptions& o);

}  // namespace retrace::cli

#endif  // RETRACE_CLI_WITNESS_SERVE_H_
