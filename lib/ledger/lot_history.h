// A lot's history as the lot index lists it (internal): what a reversal of
// one of the lot's records needs to know.
#ifndef RETRACE_LIB_LEDGER_LOT_HISTORY_H_
#define RETRACE_LIB_LEDGER_LOT_HISTORY_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

#include "retrace/status.h"
#include "retrace/v1/retrace.pb.h"
#include "rules/rules.h"
#include "storage/lmdb_env.h"

namespace retrace::internal {

// The record of lot `lot_id` a reversal at `before_seq` may undo (the top
// of its LotUndoStack over the lot's records before `before_seq`), or
// nullopt if none. The events the result points to are kept in *events,
// which must outlive its use. kCorruption if a listed record is missing or
// does not parse. Reads every record of the lot: for the rare reversal.
Result<std::optional<Reversible>> ReadReversible(const Txn& txn, std::string_view lot_id,
                                                 std::uint64_t before_seq,
                                                 std::deque<v1::Event>* events);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_LOT_HISTORY_H_
