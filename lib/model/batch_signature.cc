// Batch signatures: one signature over the RFC 6962 root of an actor's
// batch of events (docs/data-model.md, "Batch signatures").
//
// Invariants:
//   - The leaves are the event bytes exactly as signed and stored; nothing is
//     re-serialised. Leaf and node hashes are RFC 6962's (0x00 / 0x01
//     prefixes), from lib/merkle, so an inner node can never pass for an
//     event.
//   - The signed message names the batch size next to the root, under a
//     context string of its own, so a batch signature is never a valid
//     single-event signature (or a checkpoint or note signature) and a root
//     cannot be re-read as the root of a tree of another size.
#include <string>
#include <vector>

#include "model/proto_convert.h"
#include "retrace/event.h"
#include "retrace/merkle.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

constexpr char kEventBatchSigningContext[] = "retrace/v1/event-batch";

// The perfect subtrees of a batch held in memory: level 0 is the leaf
// hashes, level l + 1 pairs up level l (an odd node out waits for no one).
class BatchNodes final : public merkle::NodeSource {
 public:
  explicit BatchNodes(std::vector<Hash> leaves) {
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() >= 2) {
      const std::vector<Hash>& below = levels_.back();
      std::vector<Hash> up;
      up.reserve(below.size() / 2);
      for (std::size_t i = 0; i + 1 < below.size(); i += 2) {
        up.push_back(merkle::NodeHash(below[i], below[i + 1]));
      }
      levels_.push_back(std::move(up));
    }
  }
  Result<Hash> PerfectNode(unsigned level, std::uint64_t index) const override {
    if (level >= levels_.size() || index >= levels_[level].size()) {
      return InternalError("batch tree: no perfect node at level " + std::to_string(level) +
                           " index " + std::to_string(index));
    }
    return levels_[level][index];
  }

 private:
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace

std::string EventBatchSigningInput(std::uint64_t batch_size, const Hash& root) {
  std::string msg(kEventBatchSigningContext);
  msg.push_back('\0');
  for (int shift = 56; shift >= 0; shift -= 8) {
    msg.push_back(static_cast<char>((batch_size >> shift) & 0xff));
  }
  msg.append(reinterpret_cast<const char*>(root.data()), root.size());
  return msg;
}

Result<std::string> SignatureInputOf(std::string_view event_bytes, const BatchInclusion& batch) {
  if (batch.size == 0) {
    if (batch.index != 0 || !batch.path.empty()) {
      return InvalidArgumentError("a single-signature event carries a batch index or path");
    }
    return EventSigningInput(event_bytes);
  }
  if (batch.size > kMaxEventBatchSize) {
    return InvalidArgumentError("batch size " + std::to_string(batch.size) + " exceeds " +
                                std::to_string(kMaxEventBatchSize));
  }
  merkle::InclusionProof proof;
  proof.leaf_index = batch.index;
  proof.tree_size = batch.size;
  proof.hashes = batch.path;
  Result<Hash> root = merkle::RootFromInclusionProof(merkle::LeafHash(event_bytes), proof);
  if (!root.ok()) return InvalidArgumentError("batch path: " + root.status().message());
  return EventBatchSigningInput(batch.size, *root);
}

Result<std::vector<SignedEvent>> SignEncodedEventBatch(std::vector<std::string> event_bytes,
                                                       const Signer& signer) {
  if (event_bytes.empty()) return InvalidArgumentError("an empty batch cannot be signed");
  if (event_bytes.size() > kMaxEventBatchSize) {
    return InvalidArgumentError("a batch holds at most " + std::to_string(kMaxEventBatchSize) +
                                " events, not " + std::to_string(event_bytes.size()));
  }
  std::string actor;
  std::vector<Hash> leaves;
  leaves.reserve(event_bytes.size());
  for (std::size_t i = 0; i < event_bytes.size(); ++i) {
    v1::Event ev;
    Status st = internal::ParseEventBytes(event_bytes[i], &ev);
    if (!st.ok()) return InvalidArgumentError("event " + std::to_string(i) + " of the batch: " + st.message());
    if (i == 0) {
      actor = ev.actor_id();
    } else if (ev.actor_id() != actor) {
      return InvalidArgumentError("event " + std::to_string(i) + " of the batch is stated by " +
                                  ev.actor_id() + ", event 0 by " + actor +
                                  ": a batch is signed by one actor");
    }
    leaves.push_back(merkle::LeafHash(event_bytes[i]));
  }
  const std::uint64_t n = event_bytes.size();
  BatchNodes nodes(std::move(leaves));
  ASSIGN_OR_RETURN(const Hash root, merkle::RootAt(nodes, n));
  ASSIGN_OR_RETURN(std::string sig, signer.Sign(EventBatchSigningInput(n, root)));
  const std::string key_id = signer.public_key().KeyId();
  std::vector<SignedEvent> out;
  out.reserve(event_bytes.size());
  for (std::uint64_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(merkle::InclusionProof proof, merkle::MakeInclusionProof(nodes, i, n));
    out.emplace_back(std::move(event_bytes[i]), key_id, sig,
                     BatchInclusion{n, i, std::move(proof.hashes)});
  }
  return out;
}

Result<std::vector<SignedEvent>> SignEventBatch(const std::vector<Event>& events,
                                                const Signer& signer) {
  std::vector<std::string> encoded;
  encoded.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    Result<std::string> bytes = EncodeEvent(events[i]);
    if (!bytes.ok()) {
      return InvalidArgumentError("event " + std::to_string(i) + " of the batch: " +
                                  bytes.status().message());
    }
    encoded.push_back(std::move(*bytes));
  }
  return SignEncodedEventBatch(std::move(encoded), signer);
}

}  // namespace retrace
