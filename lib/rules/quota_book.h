// Quota balances along one quota log (internal; docs/verification.md,
// "Quotas").
//
// A quota log is every grant and use of one (enterprise, year, kind), in log
// order. What a use counts against is the grant the book of authority holds
// in force at the use's position (authority.h: a void grant is no grant);
// what it adds to is the sum of the uses before it that count. One function
// evaluates a log, so the append path, the lineage verifier, the audit and
// the quota report cannot compute a balance differently.
//
// Arithmetic: a grant is at most 2^53 g; a use (the REO of a separation's
// outputs together may pass 2^64 g) and every sum are kept in 128 bits, so
// no sum can wrap, and a use is over quota when used_before + use > granted
// in exact arithmetic.
#ifndef RETRACE_LIB_RULES_QUOTA_BOOK_H_
#define RETRACE_LIB_RULES_QUOTA_BOOK_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "rules/authority.h"

namespace retrace::internal {

// One entry of a quota log, as the caller read it.
struct QuotaLogEntry {
  enum class Kind {
    kGrant,    // a quota grant record (its validity is the book's)
    kUse,      // a record that uses quota (an extraction, a separation)
    kRelease,  // a valid reversal of an earlier use: its quota is free again
  };
  std::uint64_t seq = 0;
  Kind kind = Kind::kUse;
  unsigned __int128 reo_g = 0;  // kUse: the REO it counts (QuotaUse::reo_g)
  // kUse: whether the record counts at all -- its signer valid at its
  // position (the book), its signature verified, its role allowed. A use
  // that does not count is reported elsewhere and adds nothing.
  bool counts = true;
  std::uint64_t releases = 0;  // kRelease: the seq of the use it releases
};

// What the evaluation says of one entry.
struct QuotaLogVerdict {
  std::uint64_t seq = 0;
  std::optional<GrantEntry> grant;  // the grant in force at the entry
  unsigned __int128 used_before = 0;  // counted uses before it, releases deducted
  bool exceeded = false;  // a counted use with used_before + reo_g > grant
  bool void_grant = false;  // a grant record the book does not hold valid
};

// Evaluates `entries` (in log order) of the log of `quota_key`.
std::vector<QuotaLogVerdict> EvaluateQuotaLog(const Authority& book, std::string_view quota_key,
                                              const std::vector<QuotaLogEntry>& entries);

// The balance after every entry of `entries`: the grant in force after the
// last entry (the book's last valid grant, which may come after it) and the
// counted uses.
struct QuotaBalance {
  std::optional<GrantEntry> grant;
  unsigned __int128 used = 0;
};
QuotaBalance QuotaBalanceAfter(const Authority& book, std::string_view quota_key,
                               const std::vector<QuotaLogEntry>& entries);

// Appends quota_exceeded to `out` for a use of `use` at a position where
// `grant` is in force and `used_before` grams were used.
void CheckQuotaUse(const QuotaUse& use, const std::optional<GrantEntry>& grant,
                   unsigned __int128 used_before, const std::string& lot_id, Violations* out);

// The quota use record `ev` (stored at `seq`) is an entry of, if any: an
// extraction is one of its mine's mining quota; a transformation is one of
// its actor's smelting/separation quota if a registration record before it
// -- valid or not -- registers that actor as a separator
// (Authority::RegisteredAs). So which quota log lists a record depends on
// the records before it alone: a revocation that later voids the separator's
// registration does not take the record out of the log the ledger wrote on
// append (nor does the audit, the verifier or a bundle expect it out); the
// use then no longer counts (UseCounts).
std::optional<QuotaUse> QuotaUseAt(const Authority& book, const v1::Event& ev, std::uint64_t seq);

// Whether the stating actor of a quota use `ev` at `seq` is, as the book has
// it, one whose use counts: an extraction's, or a separator's (an actor
// validly registered as a separator before `seq`) transformation.
bool UseRoleCounts(const Authority& book, const v1::Event& ev, std::uint64_t seq);

// Whether a use by `ev` at `seq` counts, as far as the book can tell: its
// key valid for its actor at `seq`, the actor's role allowed to state it
// under the policy in force, and UseRoleCounts. (The record's own signature
// is the caller's to have verified: the verifier checks it; the ledger
// checked it on append.)
bool UseCounts(const Authority& book, const v1::Event& ev, std::string_view key_id,
               std::uint64_t seq);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_RULES_QUOTA_BOOK_H_
