#include "rules/quota_book.h"

#include <algorithm>
#include <map>

#include "model/proto_convert.h"
#include "retrace/verifier.h"

namespace retrace::internal {

void CheckQuotaUse(const QuotaUse& use, const std::optional<GrantEntry>& grant,
                   unsigned __int128 used_before, const std::string& lot_id, Violations* out) {
  const std::uint64_t granted = grant ? grant->reo_g : 0;
  if (used_before + use.reo_g <= granted) return;
  out->push_back({finding::kQuotaExceeded, lot_id,
                  use.actor_id + "'s " + std::to_string(use.year) + " " + QuotaKindName(use.kind) +
                      " quota is " + std::to_string(granted) + " g REO" +
                      (grant ? " (granted at record " + std::to_string(grant->seq) + ")"
                             : " (no valid grant)") +
                      "; " + GramsString(used_before) + " g were used before and this record adds " +
                      GramsString(use.reo_g) + " g"});
}

std::optional<QuotaUse> QuotaUseAt(const Authority& book, const v1::Event& ev, std::uint64_t seq) {
  if (ev.has_transformed()) {
    if (!book.RegisteredAs(ev.actor_id(), Role::kSeparator, seq)) return std::nullopt;
    return QuotaUseOf(ev, Role::kSeparator);
  }
  return QuotaUseOf(ev, Role::kUnspecified);  // an extraction, whoever states it
}

bool UseRoleCounts(const Authority& book, const v1::Event& ev, std::uint64_t seq) {
  if (!ev.has_transformed()) return true;
  const ActorEntry* a = book.ActorAt(ev.actor_id(), seq);
  return a != nullptr && a->role == Role::kSeparator;
}

bool UseCounts(const Authority& book, const v1::Event& ev, std::string_view key_id,
               std::uint64_t seq) {
  if (book.SignerAt(key_id, ev.actor_id(), seq) == nullptr) return false;
  const ActorEntry* a = book.ActorAt(ev.actor_id(), seq);
  return a != nullptr && RoleMayEmit(book.PolicyAt(seq), a->role, ev) &&
         UseRoleCounts(book, ev, seq);
}

namespace {
// Walks a quota log entry by entry, keeping the counted uses.
class QuotaWalk {
 public:
  QuotaWalk(const Authority& book, std::string_view quota_key) : book_(book), key_(quota_key) {}
  QuotaLogVerdict Step(const QuotaLogEntry& e) {
    QuotaLogVerdict v;
    v.seq = e.seq;
    v.grant = book_.GrantAt(key_, e.seq);
    v.used_before = used_;
    switch (e.kind) {
      case QuotaLogEntry::Kind::kGrant: {
        const AuthorityVerdict* a = book_.Verdict(e.seq);
        v.void_grant = a == nullptr || !a->valid;
        break;
      }
      case QuotaLogEntry::Kind::kUse:
        if (e.counts) {
          const std::uint64_t granted = v.grant ? v.grant->reo_g : 0;
          v.exceeded = used_ + e.reo_g > granted;
          used_ += e.reo_g;
          counted_[e.seq] = e.reo_g;
        }
        break;
      case QuotaLogEntry::Kind::kRelease: {
        auto it = counted_.find(e.releases);
        if (it != counted_.end()) {
          used_ -= it->second;
          counted_.erase(it);
        }
        break;
      }
    }
    return v;
  }
  unsigned __int128 used() const { return used_; }

 private:
  const Authority& book_;
  const std::string_view key_;
  unsigned __int128 used_ = 0;
  std::map<std::uint64_t, unsigned __int128> counted_;  // what each counted use added
};
}  // namespace

std::vector<QuotaLogVerdict> EvaluateQuotaLog(const Authority& book, std::string_view quota_key,
                                              const std::vector<QuotaLogEntry>& entries) {
  QuotaWalk walk(book, quota_key);
  std::vector<QuotaLogVerdict> out;
  out.reserve(entries.size());
  for (const QuotaLogEntry& e : entries) out.push_back(walk.Step(e));
  return out;
}

QuotaBalance QuotaBalanceAfter(const Authority& book, std::string_view quota_key,
                               const std::vector<QuotaLogEntry>& entries) {
  QuotaWalk walk(book, quota_key);
  for (const QuotaLogEntry& e : entries) walk.Step(e);
  QuotaBalance b;
  b.used = walk.used();
  b.grant = book.GrantAt(quota_key, ~std::uint64_t{0});
  return b;
}

}  // namespace retrace::internal
