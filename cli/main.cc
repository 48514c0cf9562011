// retrace: command-line tool for the retrace custody ledger (docs/cli.md).
#include <google/protobuf/stubs/logging.h>

#include <exception>
#include <iostream>
#include <vector>

#include "common.h"

int main(int argc, char** argv) {
  using namespace retrace::cli;
  // protobuf logs a line to stderr for malformed bytes (e.g. in a tampered
  // record); retrace reports those itself, in its own words.
  google::protobuf::SetLogHandler(nullptr);
  try {
    CLI::App app{"retrace: signed, hash-linked custody records of rare-earth lots, "
                 "verified back to their mines"};
    app.require_subcommand(1);
    app.footer(std::string("Run `retrace demo` first; `retrace COMMAND --help` for each "
                           "command.\n") +
               kExitFooter);
    std::vector<Command> commands = {
        AddKeygenCommand(app), AddInitCommand(app),    AddRegisterCommand(app),
        AddAppendCommand(app), AddShowCommand(app),    AddInfoCommand(app),
        AddLotsCommand(app),   AddLineageCommand(app), AddVerifyCommand(app),
        AddAuditCommand(app),  AddDemoCommand(app),    AddQuotaCommand(app),
        // Transparency (docs/transparency.md).
        AddNoteKeygenCommand(app), AddCheckpointCommand(app), AddConsistencyCommand(app),
        AddWitnessCommand(app), AddProveCommand(app), AddVerifyBundleCommand(app),
        AddTlogProofCommand(app),
        // Embedding and interchange (docs/epcis.md).
        AddReportCommand(app), AddExportEpcisCommand(app), AddImportEpcisCommand(app)};
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      int rc = app.exit(e);  // prints help (rc 0) or the usage error
      return rc == 0 ? kExitOk : kExitError;
    }
    for (const Command& c : commands) {
      if (c.app->parsed()) return c.run();
    }
    return kExitError;
  } catch (const std::exception& e) {
    std::cerr << "retrace: unexpected error: " << e.what()
              << "; the command was abandoned (a ledger is only ever changed by a complete "
                 "append)\n";
    return kExitError;
  } catch (...) {
    std::cerr << "retrace: unexpected error; the command was abandoned\n";
    return kExitError;
  }
}
