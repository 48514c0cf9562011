// Encoding of the derived state tables (internal; docs/storage-format.md).
#ifndef RETRACE_LIB_LEDGER_STATE_H_
#define RETRACE_LIB_LEDGER_STATE_H_

#include <string>
#include <string_view>

#include "ledger/rules.h"
#include "retrace/status.h"
#include "retrace/v1/state.pb.h"

namespace retrace::internal {

std::string EncodeLotState(const LotView& v);
Result<LotView> DecodeLotState(std::string_view bytes);

// Key of the Merkle tree node covering leaves [index * 2^level,
// (index + 1) * 2^level): its last leaf (8 bytes, big-endian) || level (1
// byte). Nodes completed by an append sort after all earlier ones.
std::string TreeKey(unsigned level, std::uint64_t index);

// meta keys
inline constexpr char kMetaFormat[] = "format";
inline constexpr char kMetaFormatValue[] = "retrace-ledger/2";
inline constexpr char kMetaLedgerId[] = "ledger_id";
inline constexpr char kMetaHead[] = "head";  // u64be size || 32-byte head hash

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_STATE_H_
