#include "ledger/lot_history.h"

#include "model/proto_convert.h"
#include "model/record.h"
#include "util/escape.h"
#include "util/status_macros.h"

namespace retrace::internal {

Result<std::optional<Reversible>> ReadReversible(const Txn& txn, std::string_view lot_id,
                                                 std::uint64_t before_seq,
                                                 std::deque<v1::Event>* events) {
  ASSIGN_OR_RETURN(std::vector<std::string> seqs, txn.GetDups(txn.tables().lot_index, lot_id));
  LotUndoStack stack;
  for (const std::string& v : seqs) {
    ASSIGN_OR_RETURN(const std::uint64_t seq, DecodeStoredU64(v, "lot_index", lot_id));
    if (seq >= before_seq) break;
    ASSIGN_OR_RETURN(auto bytes, txn.Get(txn.tables().records, EncodeU64(seq)));
    RecordView view;
    v1::Event& ev = events->emplace_back();
    if (!bytes || !ParseRecordView(*bytes, &view).ok() ||
        !ParseEventBytes(view.event_bytes, &ev).ok()) {
      return CorruptionError("record " + std::to_string(seq) + " of lot " +
                             EscapeForDisplay(lot_id) + " is missing or damaged; run `retrace audit`");
    }
    stack.Feed(seq, RecordHash(*bytes), &ev);
  }
  if (stack.Top() == nullptr) return std::optional<Reversible>();
  return std::optional<Reversible>(*stack.Top());
}

}  // namespace retrace::internal
