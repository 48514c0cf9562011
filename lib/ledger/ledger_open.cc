// Creating, opening and upgrading a ledger; its genesis record.
#include <openssl/rand.h>
#include <unistd.h>

#include <cstring>

#include "ledger/ledger_impl.h"
#include "ledger/ledger_internal.h"
#include "ledger/quota_state.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "retrace/v1/state.pb.h"
#include "util/hex.h"
#include "util/escape.h"
#include "util/status_macros.h"

namespace retrace {
namespace internal {

std::string BatchPrefix(std::size_t i, std::size_t n) {
  return n > 1 ? "event " + std::to_string(i) + " of the batch: " : "";
}

LedgerImpl::LedgerImpl(std::unique_ptr<LmdbEnv> env, const Options& opts)
    : env_(std::move(env)),
      opts_(opts),
      append_pool_(std::make_unique<ThreadPool>(
          opts.read_only ? 0 : ResolveThreads(opts.append_threads) - 1)) {}

namespace {

// The format marker of `txn`'s ledger, checked: OK for the current format;
// kFailedPrecondition naming the command that converts an older one.
Status CheckFormat(const Txn& txn, const std::string& dir) {
  ASSIGN_OR_RETURN(auto fmt, txn.Get(txn.tables().meta, kMetaFormat));
  if (!fmt) return CorruptionError(dir + " is not a retrace ledger (no format marker)");
  if ((*fmt == kMetaFormatValue || *fmt == kMetaFormatBound) && txn.tables().authority_present) {
    return Status::Ok();
  }
  if (*fmt == kMetaFormat2) {
    return FailedPreconditionError(
        dir + " is a retrace-ledger/2 ledger; this version reads retrace-ledger/3: run "
        "`retrace upgrade --db " + dir + "` (Ledger::Upgrade) once to convert it in place "
        "(docs/storage-format.md, Versioning); nothing was changed");
  }
  if (*fmt == "retrace-ledger/1") {
    return FailedPreconditionError(
        dir + " is a retrace-ledger/1 ledger, written before the Merkle tree table was "
        "re-keyed; this version reads retrace-ledger/3 only (docs/storage-format.md, "
        "Versioning): nothing was changed");
  }
  if (*fmt == kMetaFormatValue || *fmt == kMetaFormatBound) {
    return CorruptionError(dir + " is marked " + std::string(*fmt) + " but has no authority index");
  }
  return CorruptionError(dir + " has unknown ledger format '" + EscapeForDisplay(*fmt) + "'");
}

}  // namespace

Status LedgerImpl::Init() {
  return env_->Read([&](const Txn& txn) -> Status {
    RETURN_IF_ERROR(CheckFormat(txn, env_->dir()));
    ASSIGN_OR_RETURN(auto id, txn.Get(txn.tables().meta, kMetaLedgerId));
    if (!id || id->size() != kLedgerIdBytes) return CorruptionError("the ledger id is missing or damaged");
    ledger_id_raw_ = std::string(*id);
    ASSIGN_OR_RETURN(auto g, txn.Get(txn.tables().records, EncodeU64(0)));
    if (!g) return CorruptionError("the genesis record is missing");
    auto rec = DecodeRecord(*g);
    if (!rec.ok()) return CorruptionError("the genesis record is damaged: " + rec.status().message());
    v1::Event ev;
    if (!ParseEventBytes(rec->event_bytes, &ev).ok() || !ev.has_genesis()) {
      return CorruptionError("record 0 is not a valid genesis record");
    }
    if (ev.ledger_id() != ledger_id_raw_) {
      return CorruptionError("the genesis record belongs to another ledger");
    }
    static_info_.ledger_id = HexEncode(ledger_id_raw_);
    static_info_.name = ev.genesis().name();
    static_info_.root_actor_id = ev.genesis().root_actor_id();
    static_info_.root_key_id = rec->key_id;
    ASSIGN_OR_RETURN(auto mirror, txn.Get(txn.tables().meta, kMetaMirrorOf));
    static_info_.mirror = mirror.has_value();
    return Status::Ok();
  });
}

Status LedgerImpl::WriteMirrorGenesis(std::string_view genesis_record) {
  Result<Record> rec = DecodeRecord(genesis_record);
  v1::Event ev;
  if (!rec.ok() || rec->seq != 0 || rec->prev_hash != Hash{} ||
      !ParseEventBytes(rec->event_bytes, &ev).ok() || !ev.has_genesis() ||
      !ValidateEventProto(ev).ok() || ev.ledger_id().size() != kLedgerIdBytes) {
    return InvalidArgumentError("the mirror's first record is not a genesis record; nothing was created");
  }
  const SignedEvent se(rec->event_bytes, rec->key_id, rec->signature, rec->batch);
  if (EncodeRecord(0, Hash{}, se) != genesis_record) {
    return InvalidArgumentError("the genesis record is not in canonical form; nothing was created");
  }
  // Signed by the root key it names (the book checks it again on every read).
  std::optional<AuthorityRecord> a = ReadAuthorityRecord(0, genesis_record);
  std::shared_ptr<const Authority> book =
      a ? Authority::Build({std::move(*a)}, &keys_) : nullptr;
  if (book == nullptr || book->Verdict(0) == nullptr || !book->Verdict(0)->valid) {
    return VerificationFailedError(
        "the genesis record is not signed by the root key it names; nothing was created");
  }
  ledger_id_raw_ = ev.ledger_id();
  return env_->Write([&](Txn& txn) -> Status {
    RETURN_IF_ERROR(txn.Put(txn.tables().meta, kMetaFormat,
                            ev.genesis().has_registry() ? kMetaFormatBound : kMetaFormatValue));
    RETURN_IF_ERROR(txn.Put(txn.tables().meta, kMetaLedgerId, ledger_id_raw_));
    RETURN_IF_ERROR(txn.Put(txn.tables().meta, kMetaMirrorOf, ev.genesis().name()));
    RETURN_IF_ERROR(txn.Put(txn.tables().authority, EncodeU64(0), "", MDB_APPEND));
    Head head;
    return WriteRecord(txn, std::string(genesis_record), RecordHash(genesis_record), 0, ev, {},
                       &head);
  });
}

Status LedgerImpl::WriteGenesis(const Signer& root, std::string_view name,
                                std::string_view root_actor) {
  ledger_id_raw_.assign(kLedgerIdBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(ledger_id_raw_.data()),
                 static_cast<int>(kLedgerIdBytes)) != 1) {
    return InternalError("OpenSSL RAND_bytes failed to make a ledger id");
  }
  Event ev;
  ev.ledger_id = HexEncode(ledger_id_raw_);
  ev.event_id = "genesis";
  ev.actor_id = std::string(root_actor);
  ev.time = Now();
  ev.body = Genesis{std::string(name), std::string(root_actor), root.public_key(), opts_.registry};
  ASSIGN_OR_RETURN(SignedEvent se, SignEvent(ev, root));
  v1::Event pb;
  RETURN_IF_ERROR(ParseEventBytes(se.event_bytes, &pb));
  if (pb.genesis().has_registry()) {
    Result<RegistryAnchors> binding = ParseRegistryBinding(pb.genesis().registry());
    if (!binding.ok()) {
      return InvalidArgumentError(binding.status().message() + "; nothing was created");
    }
  }
  return env_->Write([&](Txn& txn) -> Status {
    RETURN_IF_ERROR(txn.Put(txn.tables().meta, kMetaFormat,
                            pb.genesis().has_registry() ? kMetaFormatBound : kMetaFormatValue));
    RETURN_IF_ERROR(txn.Put(txn.tables().meta, kMetaLedgerId, ledger_id_raw_));
    Head head;  // empty
    std::string stored = EncodeRecord(0, Hash{}, se);
    RETURN_IF_ERROR(txn.Put(txn.tables().authority, EncodeU64(0), "", MDB_APPEND));
    return WriteRecord(txn, stored, RecordHash(stored), 0, pb, {}, &head);
  });
}

Status LedgerImpl::WriteRecord(Txn& txn, const std::string& stored, const Hash& hash,
                               std::uint64_t seq, const v1::Event& ev,
                               const std::vector<std::string>& lots, Head* head) {
  const auto& t = txn.tables();
  const std::string key = EncodeU64(seq);
  RETURN_IF_ERROR(txn.Put(t.records, key, stored, MDB_APPEND));
  RETURN_IF_ERROR(txn.Put(t.event_ids, ev.event_id(), key, MDB_NOOVERWRITE));
  for (const auto& lot : lots) RETURN_IF_ERROR(txn.Put(t.lot_index, lot, key));
  TxnNodeSource nodes(txn);
  ASSIGN_OR_RETURN(auto completed, merkle::NodesCompletedByAppend(nodes, seq, hash));
  for (const auto& n : completed) {
    RETURN_IF_ERROR(txn.Put(t.tree, TreeKey(n.level, n.index),
                            std::string_view(reinterpret_cast<const char*>(n.hash.data()), 32),
                            MDB_APPEND));
  }
  head->size = seq + 1;
  head->hash = hash;
  return txn.Put(t.meta, kMetaHead, EncodeHead(*head));
}

Status ReadLedger(const Ledger& ledger,
                  const std::function<Status(const Txn& txn, std::string_view name)>& fn) {
  const auto* impl = dynamic_cast<const LedgerImpl*>(&ledger);
  if (impl == nullptr) {
    return InvalidArgumentError("this Ledger was not opened by Ledger::Open or Ledger::Create");
  }
  return impl->ReadWithName(fn);
}

Result<AppendResult> AppendAttached(Ledger& ledger, const SignedEvent& event,
                                    const CrossLedgerAttachment& attachment) {
  auto* impl = dynamic_cast<LedgerImpl*>(&ledger);
  if (impl == nullptr) {
    return InvalidArgumentError("this Ledger was not opened by Ledger::Open or Ledger::Create");
  }
  return impl->AppendWithAttachment(event, attachment);
}

namespace {

// Format 2 -> 3, inside one write transaction (Ledger::Upgrade).
Status UpgradeFrom2(Txn& txn) {
  const Tables& t = txn.tables();
  // The authority index, from the records.
  std::vector<AuthorityRecord> authority;
  Status bad;
  RETURN_IF_ERROR(txn.ForEach(t.records, [&](std::string_view k, std::string_view v) {
    Result<std::uint64_t> seq = DecodeU64Key("records", k);
    if (!seq.ok()) {
      bad = CorruptionError(seq.status().message() + "; nothing was changed");
      return false;
    }
    RecordView view;
    v1::Event ev;
    if (ParseRecordView(v, &view).ok() && ParseEventBytes(view.event_bytes, &ev).ok() &&
        IsAuthorityEvent(ev)) {
      if (auto r = ReadAuthorityRecord(*seq, v)) authority.push_back(std::move(*r));
    }
    return true;
  }));
  RETURN_IF_ERROR(bad);
  for (const AuthorityRecord& r : authority) {
    RETURN_IF_ERROR(txn.Put(t.authority, EncodeU64(r.seq), "", MDB_APPEND));
  }
  KeyCache keys;
  std::shared_ptr<const Authority> book = Authority::Build(std::move(authority), &keys);
  // Lot states, sealed (state.h).
  std::vector<LotView> lots;
  RETURN_IF_ERROR(txn.ForEach(t.lots, [&](std::string_view k, std::string_view v) {
    v1::state::LotState s;
    if (!s.ParseFromArray(v.data(), static_cast<int>(v.size())) || s.head_hash().size() != 32) {
      bad = CorruptionError("the stored state of lot " + EscapeForDisplay(k) +
                            " is damaged; nothing was changed");
      return false;
    }
    LotView lv;
    lv.lot_id = s.lot_id();
    lv.material = static_cast<MaterialClass>(s.material());
    lv.mass_g = s.mass_g();
    lv.remaining_g = s.remaining_g();
    lv.custodian = s.custodian();
    lv.in_transit_to = s.in_transit_to();
    lv.status = static_cast<LotStatus>(s.status());
    std::memcpy(lv.head_hash.data(), s.head_hash().data(), 32);
    lv.head_seq = s.head_seq();
    lv.created_seq = s.created_seq();
    lv.shipped_mass_g = s.shipped_mass_g();
    lv.creator = s.creator();
    for (const auto& c : s.content()) lv.content.push_back({static_cast<Element>(c.element()), c.grams()});
    lots.push_back(std::move(lv));
    return true;
  }));
  RETURN_IF_ERROR(bad);
  for (LotView& lv : lots) {
    // Format 2 kept no time: the latest event time of the lot's records.
    ASSIGN_OR_RETURN(std::vector<std::string> seqs, txn.GetDups(t.lot_index, lv.lot_id));
    for (const std::string& s : seqs) {
      ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, txn.Get(t.records, s));
      RecordView view;
      v1::Event ev;
      if (!bytes || !ParseRecordView(*bytes, &view).ok() ||
          !ParseEventBytes(view.event_bytes, &ev).ok()) {
        return CorruptionError("a record the lot index lists for lot " +
                               EscapeForDisplay(lv.lot_id) + " is missing or damaged; nothing was changed");
      }
      lv.head_time = std::max(lv.head_time, ev.time().seconds());
    }
    RETURN_IF_ERROR(txn.Put(t.lots, lv.lot_id, EncodeLotState(lv)));
  }
  // Quota balances, as the book counts them.
  RETURN_IF_ERROR(RecomputeQuotaTallies(txn, *book));
  // Format 2's derived tables go.
  // (A handle of 0 is a table the file lacks: LMDB numbers named tables
  // from 2 on.)
  for (MDB_dbi dbi : {t.by_hash, t.actors, t.keys, t.key_events, t.policies}) {
    if (dbi != 0) RETURN_IF_ERROR(txn.Drop(dbi));
  }
  return txn.Put(t.meta, kMetaFormat, kMetaFormatValue);
}

}  // namespace
}  // namespace internal

Result<std::unique_ptr<Ledger>> Ledger::Create(const Options& options, const std::string& dir,
                                               std::string_view name, const Signer& root,
                                               std::string_view root_actor_id) {
  RETURN_IF_ERROR(internal::CheckId("ledger name", name));
  RETURN_IF_ERROR(internal::CheckId("root actor id", root_actor_id));
  if (options.read_only) return InvalidArgumentError("cannot create a ledger read-only");
  internal::EnvOptions eo{options.sync, false, options.initial_map_size, options.max_map_size};
  ASSIGN_OR_RETURN(auto env, internal::LmdbEnv::Open(dir, eo, /*create=*/true));
  auto impl = std::make_unique<internal::LedgerImpl>(std::move(env), options);
  Status st = impl->WriteGenesis(root, name, root_actor_id);
  if (st.ok()) st = impl->Init();
  if (!st.ok()) {
    impl.reset();  // closes the environment before its files go
    ::unlink((dir + "/data.mdb").c_str());
    ::unlink((dir + "/lock.mdb").c_str());
    return st.Annotate("creating ledger " + dir);
  }
  return std::unique_ptr<Ledger>(std::move(impl));
}

Result<std::unique_ptr<Ledger>> Ledger::CreateMirror(const Options& options, const std::string& dir,
                                                     std::string_view genesis_record) {
  if (options.read_only) return InvalidArgumentError("cannot create a ledger read-only");
  internal::EnvOptions eo{options.sync, false, options.initial_map_size, options.max_map_size};
  ASSIGN_OR_RETURN(auto env, internal::LmdbEnv::Open(dir, eo, /*create=*/true));
  auto impl = std::make_unique<internal::LedgerImpl>(std::move(env), options);
  Status st = impl->WriteMirrorGenesis(genesis_record);
  if (st.ok()) st = impl->Init();
  if (!st.ok()) {
    impl.reset();
    ::unlink((dir + "/data.mdb").c_str());
    ::unlink((dir + "/lock.mdb").c_str());
    return st.Annotate("creating mirror " + dir);
  }
  return std::unique_ptr<Ledger>(std::move(impl));
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const Options& options, const std::string& dir) {
  internal::EnvOptions eo{options.sync, options.read_only, options.initial_map_size,
                          options.max_map_size};
  ASSIGN_OR_RETURN(auto env, internal::LmdbEnv::Open(dir, eo, /*create=*/false));
  auto impl = std::make_unique<internal::LedgerImpl>(std::move(env), options);
  RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Ledger>(std::move(impl));
}

Result<std::string> Ledger::Upgrade(const Options& options, const std::string& dir) {
  if (options.read_only) return InvalidArgumentError("cannot upgrade a ledger read-only");
  internal::EnvOptions eo{options.sync, false, options.initial_map_size, options.max_map_size};
  eo.create_tables = true;
  ASSIGN_OR_RETURN(auto env, internal::LmdbEnv::Open(dir, eo, /*create=*/false));
  std::string from;
  RETURN_IF_ERROR(env->Write([&](internal::Txn& txn) -> Status {
    ASSIGN_OR_RETURN(auto fmt, txn.Get(txn.tables().meta, internal::kMetaFormat));
    if (!fmt) return CorruptionError(dir + " is not a retrace ledger (no format marker)");
    from = std::string(*fmt);
    if (from == internal::kMetaFormatValue || from == internal::kMetaFormatBound) {
      return FailedPreconditionError(dir + " is at " + from + " already; nothing was changed");
    }
    if (from != internal::kMetaFormat2 || !txn.tables().legacy_present) {
      return FailedPreconditionError(dir + " is a '" + internal::EscapeForDisplay(from) +
                                     "' ledger; only retrace-ledger/2 can be upgraded; "
                                     "nothing was changed");
    }
    return internal::UpgradeFrom2(txn);
  }));
  return from;
}

}  // namespace retrace
