// ledger_writer: a test helper process that appends custody events to an
// existing ledger and reports, on standard output, every append the library
// acknowledged. The crash test SIGKILLs it at random moments; the
// concurrency test runs several at once against one ledger.
//
//   ledger_writer --db DIR --mine ID --mine-key FILE --sep ID --sep-key FILE
//                 --run N --seed S [--events N] [--batch-max K] [--no-sync]
//                 [--initial-map BYTES]
//
// Protocol (one line per write(2), so a line is never torn by a kill):
//   READY <size>                   the ledger is open; <size> records
//   P <n> <event id>...            about to append these n events in one
//                                  call (Append for n = 1, else AppendBatch)
//   A <seq> <hash hex> <event id>  the library acknowledged this event
//   DONE                           --events events were appended
// Anything unexpected is printed to standard error and the exit status is 3.
// The events are EventWriter's (event_writer.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "reliability/event_writer.h"
#include "retrace/event.h"
#include "retrace/ledger.h"
#include "retrace/signer.h"

namespace {

using namespace retrace;

struct Args {
  std::string db, mine_key, sep_key;
  testing::WriterConfig w;
  bool sync = true;
  std::uint64_t initial_map = 0;
};

[[noreturn]] void Die(const std::string& msg) {
  std::cerr << "ledger_writer: " << msg << std::endl;
  std::_Exit(3);
}

void Say(const std::string& line) {
  std::string l = line + "\n";
  const char* p = l.data();
  std::size_t left = l.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(4);  // the reader went away
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + k);
      return argv[++i];
    };
    if (k == "--db") a.db = next();
    else if (k == "--mine") a.w.mine = next();
    else if (k == "--mine-key") a.mine_key = next();
    else if (k == "--sep") a.w.sep = next();
    else if (k == "--sep-key") a.sep_key = next();
    else if (k == "--run") a.w.run = next();
    else if (k == "--seed") a.w.seed = std::strtoull(next().c_str(), nullptr, 0);
    else if (k == "--events") a.w.events = std::strtol(next().c_str(), nullptr, 0);
    else if (k == "--batch-max") a.w.batch_max = std::atoi(next().c_str());
    else if (k == "--no-sync") a.sync = false;
    else if (k == "--initial-map") a.initial_map = std::strtoull(next().c_str(), nullptr, 0);
    else Die("unknown argument " + k);
  }
  if (a.db.empty() || a.w.mine.empty() || a.w.sep.empty() || a.mine_key.empty() || a.sep_key.empty()) {
    Die("--db, --mine, --mine-key, --sep and --sep-key are required");
  }
  if (a.w.batch_max < 1) a.w.batch_max = 1;
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  auto mine = Signer::LoadPrivateKeyFile(a.mine_key);
  if (!mine.ok()) Die(mine.status().ToString());
  auto sep = Signer::LoadPrivateKeyFile(a.sep_key);
  if (!sep.ok()) Die(sep.status().ToString());
  Options o;
  o.sync = a.sync;
  if (a.initial_map != 0) o.initial_map_size = a.initial_map;
  auto ledger = Ledger::Open(o, a.db);
  if (!ledger.ok()) Die("Open: " + ledger.status().ToString());
  auto info = (*ledger)->Info();
  if (!info.ok()) Die("Info: " + info.status().ToString());
  Say("READY " + std::to_string(info->size));
  testing::EventWriter w(a.w, **ledger, **mine, **sep, Say);
  Status st = w.Run();
  if (!st.ok()) Die(st.ToString());
  return 0;
}
