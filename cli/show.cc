// retrace show: one record, or a lot's state and every record of it, as JSON.
#include <iostream>

#include "common.h"

namespace retrace::cli {
namespace {

struct ShowOptions {
  std::string db;
  std::uint64_t seq = 0;
  std::string lot;
};

int RunShow(const ShowOptions& o, bool by_seq) {
  const char* cmd = "show";
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  std::string out;
  if (by_seq) {
    Result<Record> rec = (*ledger)->ReadRecord(o.seq);
    if (!rec.ok()) {
      Result<LedgerInfo> info = (*ledger)->Info();
      std::string size = info.ok() ? " (the ledger has " + std::to_string(info->size) +
                                         " records, seq 0.." +
                                         std::to_string(info->size == 0 ? 0 : info->size - 1) + ")"
                                   : "";
      return Fail(cmd, "no record " + std::to_string(o.seq) + ": " + rec.status().ToString() +
                           size);
    }
    out = RecordToJson(*rec);
  } else {
    Result<LotInfo> lot = (*ledger)->GetLot(o.lot);
    if (!lot.ok()) return Fail(cmd, "unknown lot " + Shown(o.lot) + ": " + lot.status().ToString());
    Result<std::vector<Record>> records = (*ledger)->LotRecords(o.lot);
    if (!records.ok()) {
      return Fail(cmd, "cannot read the records of lot " + Shown(o.lot) + ": " +
                           records.status().ToString());
    }
    out = LotRecordsToJson(*lot, *records);
  }
  std::cout << out << "\n";
  return kExitOk;
}

}  // namespace

Command AddShowCommand(CLI::App& app) {
  auto o = std::make_shared<ShowOptions>();
  CLI::App* sub =
      app.add_subcommand("show", "Print a record (retrace.record/v1), or a lot and all its records (retrace.lot_records/v1), as JSON");
  AddDbOption(sub, o->db);
  CLI::Option* seq =
      sub->add_option("--seq", o->seq, "Record sequence number (0 is the genesis)")
          ->check(StrictUnsigned<std::uint64_t>());
  CLI::Option* lot = sub->add_option("--lot", o->lot, "Lot id");
  seq->excludes(lot);
  lot->excludes(seq);
  SetHelpFooter(sub, {"printed", "",
                      "usage error, no such record or lot, or an unreadable ledger"});
  return {sub, [o, sub, seq] {
            if (seq->count() == 0 && sub->get_option("--lot")->count() == 0) {
              return Fail("show", "give --seq N or --lot LOT");
            }
            return RunShow(*o, seq->count() > 0);
          }};
}

}  // namespace retrace::cli
