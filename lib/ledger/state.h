// Encoding of the derived state tables (internal; docs/storage-format.md).
//
// Every derived value is stored as its protobuf bytes followed by an 8-byte
// check (the first 8 bytes of SHA-256 of those bytes), and checked on every
// read: a damaged value is a kCorruption error, never a value that decides a
// rule. (A writer of the file who recomputes the check is caught by `audit`,
// which re-derives every table from the records; docs/threat-model.md.)
#ifndef RETRACE_LIB_LEDGER_STATE_H_
#define RETRACE_LIB_LEDGER_STATE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "retrace/status.h"
#include "rules/rules.h"

namespace retrace::internal {

std::string EncodeLotState(const LotView& v);
// Whether `stored` is exactly EncodeLotState(v), without a fresh message or
// string per call (the audit compares every replayed lot with the table).
bool LotStateEncodes(const LotView& v, std::string_view stored);
// kCorruption naming `lot_id` if the value is damaged.
Result<LotView> DecodeLotState(std::string_view bytes, std::string_view lot_id = {});
// Whether DecodeLotState would accept the value, without building the
// LotView (for the integrity audit, which checks every lot's seal).
bool LotStateIntact(std::string_view bytes, std::string_view lot_id = {});

// What has counted against one quota (state.proto QuotaState).
struct QuotaTally {
  unsigned __int128 used = 0;  // counted uses, releases deducted
  std::uint64_t entries = 0;   // quota log entries of the key
  std::uint64_t last_seq = 0;  // the last of them (if entries > 0)
  friend bool operator==(const QuotaTally& a, const QuotaTally& b) {
    return a.used == b.used && a.entries == b.entries && a.last_seq == b.last_seq;
  }
};
std::string EncodeQuotaTally(const QuotaTally& q);
// kCorruption naming the quota of `quota_key` if the value is damaged.
Result<QuotaTally> DecodeQuotaTally(std::string_view bytes, std::string_view quota_key);

// Key of the Merkle tree node covering leaves [index * 2^level,
// (index + 1) * 2^level): its last leaf (8 bytes, big-endian) || level (1
// byte). Nodes completed by an append sort after all earlier ones.
std::string TreeKey(unsigned level, std::uint64_t index);

// meta keys
inline constexpr char kMetaFormat[] = "format";
inline constexpr char kMetaFormatValue[] = "retrace-ledger/3";
// A ledger bound to a registry (Options::registry): format 3 plus import
// records, which a format-3 reader would not judge (docs/storage-format.md).
inline constexpr char kMetaFormatBound[] = "retrace-ledger/4";
inline constexpr char kMetaFormat2[] = "retrace-ledger/2";
inline constexpr char kMetaLedgerId[] = "ledger_id";
inline constexpr char kMetaHead[] = "head";  // u64be size || 32-byte head hash
inline constexpr char kMetaMirrorOf[] = "mirror_of";  // a mirror: its source's name

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_STATE_H_
