// The generator appends through the public API only, so everything it does
// is something an ERP integration could do; it is a second client of the
// ledger's rules as well as the demo.
//
// Invariants kept by construction (the ledger re-checks them on append):
//   - a lot is shipped, transformed or exported only by the actor the
//     generator's own bookkeeping (`lots_`) says holds it;
//   - per transformation and element, the content put into outputs is at most
//     recovery * sum(floor(content * consumed_g / mass_g)) over the inputs,
//     recovery < 100 %, which is exactly the ledger's rounding plus margin;
//   - outputs' gross mass <= consumed + additives; the difference is the
//     declared loss.
#include "retrace/sim.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <system_error>
#include <utility>

#include "util/status_macros.h"

namespace retrace::sim {
namespace {

using u64 = std::uint64_t;
using u128 = unsigned __int128;

// Element mass fraction of a concentrate, in parts per million of gross mass.
struct Grade {
  Element element;
  u64 ppm;
};

// Bayan Obo bastnaesite-monazite concentrate, ~50 % REO; light rare earths.
const std::vector<Grade> kBayanObo = {
    {Element::kLa, 106600}, {Element::kCe, 203500}, {Element::kPr, 20700},
    {Element::kNd, 72800},  {Element::kSm, 5200},   {Element::kDy, 440},
    {Element::kTb, 210}};
// Longnan-type ionic clay (Ganzhou) mixed oxide, ~92 % REO; yttrium and heavy
// rare earths.
const std::vector<Grade> kLongnan = {
    {Element::kY, 463400},  {Element::kDy, 53700}, {Element::kTb, 8600},
    {Element::kGd, 55100},  {Element::kNd, 23600}, {Element::kPr, 9900},
    {Element::kLa, 17300},  {Element::kCe, 3000},  {Element::kEr, 39400}};
// Xunwu-type ionic clay (Ganzhou) mixed oxide, ~92 % REO; rich in Nd, medium
// rare earths.
const std::vector<Grade> kXunwu = {
    {Element::kLa, 235400}, {Element::kCe, 52400}, {Element::kPr, 57100},
    {Element::kNd, 236500}, {Element::kSm, 39700}, {Element::kGd, 31900},
    {Element::kTb, 4700},   {Element::kDy, 28000}, {Element::kY, 65200}};

// Element mass per mille of its usual oxide (Nd2O3, Pr6O11, CeO2, ...).
u64 OxidePermille(Element e) {
  switch (e) {
    case Element::kNd: return 857;
    case Element::kPr: return 828;
    case Element::kLa: return 853;
    case Element::kCe: return 814;
    case Element::kDy: return 871;
    case Element::kTb: return 850;
    case Element::kY: return 787;
    case Element::kSm: return 862;
    case Element::kGd: return 868;
    default: return 850;
  }
}

// How the gross mass of an output follows from its rare-earth content.
enum class Form {
  kOxide,    // element / oxide factor, plus 0.3 % impurities
  kMixed,    // carbonate-type mixed compound, ~60 % rare earth
  kMetal,    // 99.5 % pure metal
  kMagnet,   // sintered NdFeB, ~31 % rare earth
};

// One kind of output of a transformation, e.g. "NdPr oxide, split in two".
struct OutputGroup {
  std::string id_tag;       // "OX-NDPR"
  MaterialClass material;
  std::string description;  // "NdPr oxide (Nd2O3/Pr6O11), TREO >= 99 %"
  std::vector<Element> elements;
  u64 recovery_permille;    // < 1000: margin under the ledger's rounding
  int split;                // number of output lots
  Form form;
};

struct InputUse {
  std::string lot_id;
  u64 consumed_g;  // 0 means "everything that remains"
};

struct ActorSpec {
  std::string id;
  std::string legal_name;
  Role role;
  std::string licence;
  std::string jurisdiction;
  QuotaKind quota_kind = QuotaKind::kUnspecified;  // mines: the deposit type
};

// Fictional enterprises at real places of the Chinese rare-earth industry.
const std::vector<ActorSpec> kActors = {
    {"mine-bayan-obo", "Inner Mongolia Bayan Obo Rare Earth Mining Co., Ltd.", Role::kMine,
     "C1500002011034120110001", "CN", QuotaKind::kMiningRock},
    {"mine-longnan", "Ganzhou Longnan Ionic Rare Earth Mining Co., Ltd.", Role::kMine,
     "C3600002009124120050002", "CN", QuotaKind::kMiningIonic},
    {"mine-xunwu", "Ganzhou Xunwu Rare Earth Mining Co., Ltd.", Role::kMine,
     "C3600002010064120070003", "CN", QuotaKind::kMiningIonic},
    {"sep-baotou", "Baotou Rare Earth Separation Co., Ltd.", Role::kSeparator,
     "RE-SEP-NM-2024-011", "CN"},
    {"sep-ganzhou", "Ganzhou Rare Earth Separation Co., Ltd.", Role::kSeparator,
     "RE-SEP-JX-2024-007", "CN"},
    {"smelter-ganzhou", "Ganzhou Rare Earth Metals Smelting Co., Ltd.", Role::kSmelter,
     "RE-SML-JX-2024-003", "CN"},
    {"magnet-ningbo", "Ningbo Sintered NdFeB Magnet Co., Ltd.", Role::kMagnetMaker,
     "91330200MA2XXXX01", "CN"},
    {"magnet-baotou", "Baotou Permanent Magnet Materials Co., Ltd.", Role::kMagnetMaker,
     "91150200MA0XXXX02", "CN"},
    {"exporter-shanghai", "Shanghai Rare Earth Magnet Trading Co., Ltd.", Role::kExporter,
     "91310000MA1XXXX03", "CN"},
};

std::string Pad(u64 n, int width) {
  std::string s = std::to_string(n);
  if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
  return s;
}

class Generator {
 public:
  Generator(Ledger& ledger, const Signer& root, const Config& config, KeyStore* keys)
      : ledger_(ledger), root_(root), cfg_(config), keys_(keys), rng_(config.seed),
        clock_(config.start_time) {}

  Result<Summary> Run() {
    if (cfg_.scale < 1) return InvalidArgumentError("scale must be at least 1");
    if (cfg_.latest_time.seconds > 0 && clock_.seconds > cfg_.latest_time.seconds) {
      clock_ = cfg_.latest_time;
    }
    Result<LedgerInfo> info = ledger_.Info();
    if (!info.ok()) return info.status();
    root_actor_ = info->root_actor_id;
    if (root_.public_key().KeyId() != info->root_key_id) {
      return InvalidArgumentError("the signer given as root (key " + root_.public_key().KeyId() +
                                  ") is not the ledger's root key " + info->root_key_id);
    }
    if (Status st = RegisterActors(); !st.ok()) return st;
    for (int c = 0; c < cfg_.scale; ++c) {
      if (Status st = Campaign(); !st.ok()) return st;
    }
    Result<LedgerInfo> after = ledger_.Info();
    if (!after.ok()) return after.status();
    summary_.records = after->size;
    return std::move(summary_);
  }

 private:
  struct SimLot {
    Lot lot;
    std::string holder;
    u64 remaining = 0;
  };

  u64 Uniform(u64 lo, u64 hi) { return lo + rng_() % (hi - lo + 1); }

  // Multiplies by (1000 + d) / 1000 with d uniform in [-spread, spread].
  u64 Jitter(u64 v, u64 spread_permille) {
    u64 f = Uniform(1000 - spread_permille, 1000 + spread_permille);
    return static_cast<u64>(static_cast<u128>(v) * f / 1000);
  }

  std::string NextLotId(const std::string& tag) {
    return cfg_.id_prefix + tag + "-" + Pad(++lot_counters_[tag], 5);
  }

  void Tick() {
    clock_.seconds += static_cast<std::int64_t>(Uniform(10, 240)) * 60;
    if (cfg_.latest_time.seconds > 0 && clock_.seconds > cfg_.latest_time.seconds) {
      clock_ = cfg_.latest_time;
    }
  }

  Status RegisterActors() {
    Algorithm cycle[] = {Algorithm::kEd25519, Algorithm::kEcdsaP256Sha256, Algorithm::kSm2Sm3};
    if (!cfg_.keys_dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(cfg_.keys_dir, ec);
      if (ec) return IoError("cannot create keys directory " + cfg_.keys_dir + ": " + ec.message());
    }
    std::size_t i = 0;
    for (const ActorSpec& spec : kActors) {
      Algorithm alg = cfg_.mix_algorithms ? cycle[i % 3] : cfg_.algorithm;
      ++i;
      Result<std::unique_ptr<Signer>> signer = Signer::Generate(alg);
      if (!signer.ok()) return signer.status().Annotate("generating key of " + spec.id);
      if (!cfg_.keys_dir.empty()) {
        std::string base = (std::filesystem::path(cfg_.keys_dir) / spec.id).string();
        if (Status st = (*signer)->WritePrivateKeyFile(base + ".key"); !st.ok()) return st;
        if (Status st = (*signer)->public_key().WriteFile(base + ".pub"); !st.ok()) return st;
      }
      Event ev;
      ev.actor_id = root_actor_;
      ActorRegistered reg;
      reg.actor_id = spec.id;
      reg.legal_name = spec.legal_name;
      reg.role = spec.role;
      reg.key = (*signer)->public_key();
      reg.licence = spec.licence;
      reg.jurisdiction = spec.jurisdiction;
      ev.body = std::move(reg);
      ev.references.push_back({"registration_order", "MIIT-REG-2026-" + Pad(i, 4)});
      if (Status st = Emit(std::move(ev), root_); !st.ok()) return st;
      summary_.actors.push_back({spec.id, spec.legal_name, spec.role, spec.jurisdiction,
                                 (*signer)->public_key().KeyId(), alg});
      signers_[spec.id] = signer->get();
      owned_.push_back(std::move(*signer));
    }
    return Status::Ok();
  }

  // The regulator grants each quota the first time it is needed in a year
  // (the clock runs for years at large scales). Realistic sizes: tens of
  // thousands of tonnes REO per enterprise and year, far above what the
  // simulated campaigns use.
  Status EnsureQuota(const std::string& actor, QuotaKind kind, std::uint32_t year) {
    const std::string key = actor + "/" + std::to_string(year) + "/" + QuotaKindName(kind);
    if (!granted_.insert(key).second) return Status::Ok();
    const u64 tonnes = kind == QuotaKind::kSmeltingSeparation ? 30000 : 20000;
    Event ev;
    ev.actor_id = root_actor_;
    ev.body = QuotaGranted{actor, year, kind, tonnes * 1000000,
                           "MIIT total quota control notice " + std::to_string(year) + ", batch 1"};
    return Emit(std::move(ev), root_, /*tick=*/false);
  }

  // Completes, signs and appends one event as `signer`.
  Status Emit(Event ev, const Signer& signer, bool tick = true) {
    if (tick) Tick();
    ev.event_id = cfg_.id_prefix + "ev-" + Pad(++event_counter_, 6);
    ev.time = clock_;
    const std::uint32_t year = QuotaYear(clock_);
    if (const auto* x = std::get_if<Extracted>(&ev.body)) {
      if (Status st = EnsureQuota(ev.actor_id, x->quota_kind, year); !st.ok()) return st;
    } else if (std::holds_alternative<Transformed>(ev.body) && IsSeparator(ev.actor_id)) {
      if (Status st = EnsureQuota(ev.actor_id, QuotaKind::kSmeltingSeparation, year); !st.ok()) {
        return st;
      }
    }
    if (Status st = ledger_.LinkParents(&ev); !st.ok()) {
      return st.Annotate("event " + ev.event_id + " (" + EventKindName(ev.body) + ")");
    }
    Result<SignedEvent> signed_ev = SignEvent(ev, signer);
    if (!signed_ev.ok()) return signed_ev.status().Annotate("signing event " + ev.event_id);
    Result<AppendResult> at = ledger_.Append(*signed_ev);
    if (!at.ok()) {
      return at.status().Annotate("event " + ev.event_id + " (" + EventKindName(ev.body) + ")");
    }
    ++summary_.events_appended;
    return Status::Ok();
  }

  static bool IsSeparator(const std::string& actor) {
    for (const ActorSpec& a : kActors) {
      if (a.id == actor) return a.role == Role::kSeparator;
    }
    return false;
  }

  Status EmitAs(const std::string& actor, Event ev) {
    ev.actor_id = actor;
    return Emit(std::move(ev), *signers_.at(actor));
  }

  void NoteLot(const Lot& lot, const std::string& holder) {
    lots_[lot.lot_id] = SimLot{lot, holder, lot.mass_g};
    ++summary_.lots;
    ++summary_.lots_by_material[lot.material];
  }

  Result<std::string> Extract(const std::string& mine, const std::string& tag,
                              const std::vector<Grade>& grade, u64 min_t, u64 max_t,
                              const std::string& site, const std::string& description) {
    Lot lot;
    lot.lot_id = NextLotId(tag);
    lot.material = MaterialClass::kOreConcentrate;
    lot.mass_g = Uniform(min_t * 1000, max_t * 1000) * 1000;  // whole kilograms
    lot.description = description;
    for (const Grade& g : grade) {
      u64 grams = static_cast<u64>(static_cast<u128>(lot.mass_g) * Jitter(g.ppm, 30) / 1000000);
      if (grams > 0) lot.content.push_back({g.element, grams});
    }
    Extracted body;
    body.lot = lot;
    body.site = site;
    const ActorSpec& spec =
        *std::find_if(kActors.begin(), kActors.end(), [&](const ActorSpec& a) { return a.id == mine; });
    body.licence = spec.licence;
    body.quota_kind = spec.quota_kind;
    Event ev;
    ev.body = std::move(body);
    ev.references.push_back({"weighbridge_ticket", "WB-" + Pad(Uniform(100000, 999999), 6)});
    ev.references.push_back({"assay_certificate", "AS-" + Pad(Uniform(10000, 99999), 5)});
    if (Status st = EmitAs(mine, std::move(ev)); !st.ok()) return st;
    NoteLot(lot, mine);
    return lot.lot_id;
  }

  // Ships the whole remaining lot from its holder to `to`, then `to` signs
  // the receipt.
  Status Move(const std::string& lot_id, const std::string& to) {
    SimLot& sl = lots_.at(lot_id);
    std::string from = sl.holder;
    u64 invoice = Uniform(1000000, 9999999);
    {
      Shipped s;
      s.lot_id = lot_id;
      s.to_actor_id = to;
      s.mass_g = sl.remaining;
      Event ev;
      ev.body = std::move(s);
      ev.references.push_back({"invoice", "INV-" + std::to_string(invoice)});
      ev.references.push_back({"waybill", "WB-CN-" + Pad(Uniform(10000000, 99999999), 8)});
      if (Status st = EmitAs(from, std::move(ev)); !st.ok()) return st;
    }
    {
      Received r;
      r.lot_id = lot_id;
      r.from_actor_id = from;
      r.mass_g = sl.remaining;
      Event ev;
      ev.body = std::move(r);
      ev.references.push_back({"invoice", "INV-" + std::to_string(invoice)});
      ev.references.push_back({"goods_receipt", "GR-" + Pad(Uniform(100000, 999999), 6)});
      if (Status st = EmitAs(to, std::move(ev)); !st.ok()) return st;
    }
    sl.holder = to;
    ++summary_.shipments;
    return Status::Ok();
  }

  // Random weights between 70 and 130 for splitting one batch into `n` lots.
  std::vector<u64> Weights(int n) {
    std::vector<u64> w(n);
    for (int i = 0; i < n; ++i) w[i] = Uniform(70, 130);
    return w;
  }

  // Splits `total` grams by `weights`; the parts sum to at most `total`.
  static std::vector<u64> Split(u64 total, const std::vector<u64>& weights) {
    u64 sum = 0;
    for (u64 w : weights) sum += w;
    std::vector<u64> parts;
    for (u64 w : weights) parts.push_back(static_cast<u64>(static_cast<u128>(total) * w / sum));
    return parts;
  }

  static u64 GrossMass(Form form, const std::vector<ElementMass>& content) {
    u64 re = 0;
    u64 oxide = 0;
    for (const ElementMass& em : content) {
      re += em.grams;
      oxide += (em.grams * 1000 + OxidePermille(em.element) - 1) / OxidePermille(em.element);
    }
    switch (form) {
      case Form::kOxide: return oxide + oxide * 3 / 1000;
      case Form::kMixed: return re * 10 / 6;
      case Form::kMetal: return (re * 1000 + 994) / 995;
      case Form::kMagnet: return (re * 100 + 30) / 31;
    }
    return re;
  }

  // Transforms `inputs` (held by `actor`) into the output groups. For magnet
  // output, iron and boron additives are declared. Returns the ids of the
  // outputs, group by group.
  Result<std::vector<std::vector<std::string>>> Transform(
      const std::string& actor, const std::vector<InputUse>& inputs,
      const std::vector<OutputGroup>& groups, const std::string& process) {
    Transformed t;
    t.process = process;
    std::map<Element, u64> available;
    u64 consumed_total = 0;
    for (const InputUse& in : inputs) {
      SimLot& sl = lots_.at(in.lot_id);
      if (sl.holder != actor) {
        return InternalError("generator bug: " + actor + " does not hold " + in.lot_id);
      }
      u64 consumed = in.consumed_g == 0 ? sl.remaining : std::min(in.consumed_g, sl.remaining);
      for (const ElementMass& em : sl.lot.content) {
        available[em.element] += static_cast<u64>(static_cast<u128>(em.grams) * consumed /
                                                  sl.lot.mass_g);
      }
      sl.remaining -= consumed;
      consumed_total += consumed;
      TransformInput ti;
      ti.lot_id = in.lot_id;
      ti.consumed_g = consumed;
      t.inputs.push_back(std::move(ti));
    }
    std::vector<std::vector<std::string>> ids;
    u64 output_total = 0;
    bool magnets = false;
    for (const OutputGroup& g : groups) {
      // One set of weights per group, so split lots share one composition.
      const std::vector<u64> weights = Weights(g.split);
      std::vector<std::vector<u64>> per_element;  // [element][part]
      for (Element e : g.elements) {
        u64 recovered = static_cast<u64>(static_cast<u128>(available[e]) *
                                         Jitter(g.recovery_permille, 10) / 1000);
        recovered = std::min(recovered, available[e] * 995 / 1000);
        per_element.push_back(Split(recovered, weights));
      }
      ids.emplace_back();
      for (int p = 0; p < g.split; ++p) {
        Lot lot;
        lot.lot_id = NextLotId(g.id_tag);
        lot.material = g.material;
        lot.description = g.description;
        for (std::size_t k = 0; k < g.elements.size(); ++k) {
          if (per_element[k][p] > 0) lot.content.push_back({g.elements[k], per_element[k][p]});
        }
        if (lot.content.empty()) continue;
        lot.mass_g = GrossMass(g.form, lot.content);
        output_total += lot.mass_g;
        magnets = magnets || g.form == Form::kMagnet;
        ids.back().push_back(lot.lot_id);
        t.outputs.push_back(std::move(lot));
      }
    }
    u64 additives = 0;
    if (magnets) {
      // Sintered NdFeB: ~68 % iron, ~1 % boron by mass.
      u64 iron = output_total * 68 / 100;
      u64 boron = output_total / 100;
      t.additives.push_back({"iron (electrolytic, Fe >= 99.8 %)", iron});
      t.additives.push_back({"boron (ferroboron, B 19 %)", boron});
      additives = iron + boron;
    }
    if (output_total > consumed_total + additives) {
      return InternalError("generator bug: outputs of " + process + " exceed inputs");
    }
    t.declared_loss_g = consumed_total + additives - output_total;
    std::vector<Lot> outputs = t.outputs;
    Event ev;
    ev.body = std::move(t);
    ev.references.push_back({"batch_record", "BR-" + Pad(Uniform(100000, 999999), 6)});
    if (Status st = EmitAs(actor, std::move(ev)); !st.ok()) return st;
    for (const Lot& lot : outputs) NoteLot(lot, actor);
    ++summary_.transformations;
    return ids;
  }

  Status Export(const std::string& lot_id) {
    static const char* kDestinations[] = {"DE", "US", "JP", "KR", "IT", "FR", "VN", "MX"};
    SimLot& sl = lots_.at(lot_id);
    Exported x;
    x.lot_id = lot_id;
    x.mass_g = sl.remaining;
    // Chinese customs declaration numbers: 4-digit customs office, year,
    // 1 digit import/export, 9-digit serial.
    x.customs_declaration = "2201" "2026" "0" + Pad(Uniform(1, 999999999), 9);
    x.destination_country = kDestinations[Uniform(0, 7)];
    Event ev;
    ev.body = std::move(x);
    ev.references.push_back({"commercial_invoice", "CI-" + Pad(Uniform(100000, 999999), 6)});
    ev.references.push_back({"export_licence", "EL-2026-" + Pad(Uniform(1000, 9999), 4)});
    if (Status st = EmitAs(sl.holder, std::move(ev)); !st.ok()) return st;
    sl.remaining = 0;
    summary_.exported_lot_ids.push_back(lot_id);
    return Status::Ok();
  }

  // One production campaign through every stage (see Config::scale).
  Status Campaign() {
    // 1. Extraction.
    std::vector<std::string> bayan, longnan, xunwu;
    for (int i = 0; i < 3; ++i) {
      Result<std::string> id =
          Extract("mine-bayan-obo", "ORE-BYN", kBayanObo, 30, 40, "Bayan Obo East Pit, Baotou, Inner Mongolia",
                  "bastnaesite-monazite flotation concentrate, REO ~50 %");
      if (!id.ok()) return id.status();
      bayan.push_back(*id);
    }
    for (int i = 0; i < 2; ++i) {
      Result<std::string> id =
          Extract("mine-longnan", "ORE-LGN", kLongnan, 8, 15, "Zudong, Longnan County, Ganzhou, Jiangxi",
                  "ionic-clay mixed rare-earth oxide, REO ~92 %, heavy (Y, Dy, Tb)");
      if (!id.ok()) return id.status();
      longnan.push_back(*id);
      Result<std::string> id2 =
          Extract("mine-xunwu", "ORE-XUN", kXunwu, 8, 15, "Heling, Xunwu County, Ganzhou, Jiangxi",
                  "ionic-clay mixed rare-earth oxide, REO ~92 %, medium (Nd, Pr)");
      if (!id2.ok()) return id2.status();
      xunwu.push_back(*id2);
    }
    for (const auto& id : bayan) RETURN_IF_ERROR(Move(id, "sep-baotou"));
    for (std::size_t i = 0; i < 2; ++i) {
      RETURN_IF_ERROR(Move(longnan[i], "sep-ganzhou"));
      RETURN_IF_ERROR(Move(xunwu[i], "sep-ganzhou"));
    }

    // 2. Separation: merges (several concentrates in) and splits (several
    // oxide lots out).
    const OutputGroup ndpr_ox{"OX-NDPR", MaterialClass::kSeparatedOxide,
                              "praseodymium-neodymium oxide (Pr6O11/Nd2O3), TREO >= 99 %",
                              {Element::kNd, Element::kPr}, 950, 1, Form::kOxide};
    const OutputGroup la_ox{"OX-LA", MaterialClass::kSeparatedOxide, "lanthanum oxide La2O3, 99.99 %",
                            {Element::kLa}, 930, 1, Form::kOxide};
    const OutputGroup ce_ox{"OX-CE", MaterialClass::kSeparatedOxide, "cerium oxide CeO2, 99.95 %",
                            {Element::kCe}, 930, 1, Form::kOxide};
    const OutputGroup lace{"MX-LACE", MaterialClass::kMixedCompound, "lanthanum-cerium carbonate",
                           {Element::kLa, Element::kCe}, 940, 1, Form::kMixed};
    const OutputGroup dy_ox{"OX-DY", MaterialClass::kSeparatedOxide, "dysprosium oxide Dy2O3, 99.9 %",
                            {Element::kDy}, 950, 1, Form::kOxide};
    const OutputGroup tb_ox{"OX-TB", MaterialClass::kSeparatedOxide, "terbium oxide Tb4O7, 99.99 %",
                            {Element::kTb}, 940, 1, Form::kOxide};
    const OutputGroup y_ox{"OX-Y", MaterialClass::kSeparatedOxide, "yttrium oxide Y2O3, 99.999 %",
                           {Element::kY}, 950, 1, Form::kOxide};
    auto split = [](OutputGroup g, int n) {
      g.split = n;
      return g;
    };
    const std::string sx = "solvent extraction (P507/HCl)";

    auto a = Transform("sep-baotou", {{bayan[0], 0}, {bayan[1], 0}},
                       {split(ndpr_ox, 2), la_ox, ce_ox}, sx);
    if (!a.ok()) return a.status();
    auto b = Transform("sep-baotou", {{bayan[2], 0}}, {ndpr_ox, lace}, sx);
    if (!b.ok()) return b.status();
    auto c = Transform("sep-ganzhou", {{longnan[0], 0}, {longnan[1], 0}}, {dy_ox, tb_ox, y_ox}, sx);
    if (!c.ok()) return c.status();
    auto d = Transform("sep-ganzhou", {{xunwu[0], 0}, {xunwu[1], 0}},
                       {split(ndpr_ox, 2), dy_ox, tb_ox, la_ox}, sx);
    if (!d.ok()) return d.status();
    std::vector<std::string> ndpr_oxides = {(*a)[0][0], (*a)[0][1], (*b)[0][0], (*d)[0][0],
                                            (*d)[0][1]};
    std::vector<std::string> dy_oxides = {(*c)[0][0], (*d)[1][0]};
    std::vector<std::string> tb_oxides = {(*c)[1][0], (*d)[2][0]};
    for (const auto& v : {ndpr_oxides, dy_oxides, tb_oxides}) {
      for (const auto& id : v) RETURN_IF_ERROR(Move(id, "smelter-ganzhou"));
    }

    // 3. Smelting: oxides of both separators merged into metal, then split.
    const OutputGroup ndpr_met{"MET-NDPR", MaterialClass::kMetalAlloy,
                               "praseodymium-neodymium metal, TREM >= 99.5 %",
                               {Element::kNd, Element::kPr}, 970, 1, Form::kMetal};
    const OutputGroup dy_met{"MET-DY", MaterialClass::kMetalAlloy, "dysprosium metal, 99.5 %",
                             {Element::kDy}, 970, 1, Form::kMetal};
    const OutputGroup tb_met{"MET-TB", MaterialClass::kMetalAlloy, "terbium metal, 99.9 %",
                             {Element::kTb}, 970, 1, Form::kMetal};
    const std::string el = "fluoride-oxide molten-salt electrolysis";
    auto e = Transform("smelter-ganzhou",
                       {{ndpr_oxides[0], 0}, {ndpr_oxides[2], 0}, {ndpr_oxides[3], 0}},
                       {split(ndpr_met, 2)}, el);
    if (!e.ok()) return e.status();
    auto e2 = Transform("smelter-ganzhou", {{ndpr_oxides[1], 0}, {ndpr_oxides[4], 0}}, {ndpr_met},
                        el);
    if (!e2.ok()) return e2.status();
    auto f = Transform("smelter-ganzhou", {{dy_oxides[0], 0}, {dy_oxides[1], 0}},
                       {split(dy_met, 2)}, "calciothermic reduction");
    if (!f.ok()) return f.status();
    auto g = Transform("smelter-ganzhou", {{tb_oxides[0], 0}, {tb_oxides[1], 0}}, {tb_met},
                       "calciothermic reduction");
    if (!g.ok()) return g.status();
    std::string ndpr1 = (*e)[0][0], ndpr2 = (*e)[0][1], ndpr3 = (*e2)[0][0];
    std::string dy1 = (*f)[0][0], dy2 = (*f)[0][1], tb1 = (*g)[0][0];
    for (const auto& id : {ndpr1, ndpr2, dy1, tb1}) RETURN_IF_ERROR(Move(id, "magnet-ningbo"));
    for (const auto& id : {ndpr3, dy2}) RETURN_IF_ERROR(Move(id, "magnet-baotou"));

    // 4. Magnets: partial consumption of metal lots over two batches, iron
    // and boron as additives.
    auto magnets = [](int n) {
      return OutputGroup{"MAG", MaterialClass::kMagnet, "sintered NdFeB magnet blocks, grade 48SH",
                         {Element::kNd, Element::kPr, Element::kDy, Element::kTb}, 980, n,
                         Form::kMagnet};
    };
    const std::string sint = "strip casting, hydrogen decrepitation, jet milling, sintering";
    auto part = [&](const std::string& id, u64 percent) {
      return InputUse{id, lots_.at(id).remaining * percent / 100};
    };
    auto h = Transform("magnet-ningbo", {part(ndpr1, 60), part(dy1, 50), part(tb1, 50)},
                       {magnets(3)}, sint);
    if (!h.ok()) return h.status();
    auto i = Transform("magnet-ningbo", {{ndpr1, 0}, {ndpr2, 0}, {dy1, 0}, {tb1, 0}},
                       {magnets(3)}, sint);
    if (!i.ok()) return i.status();
    auto j = Transform("magnet-baotou", {{ndpr3, 0}, {dy2, 0}}, {magnets(4)}, sint);
    if (!j.ok()) return j.status();

    // 5. Export: every magnet lot goes to the exporter; most leave the country.
    std::vector<std::string> magnet_lots;
    for (const auto* r : {&*h, &*i, &*j}) {
      for (const auto& id : (*r)[0]) magnet_lots.push_back(id);
    }
    for (const auto& id : magnet_lots) RETURN_IF_ERROR(Move(id, "exporter-shanghai"));
    std::vector<std::string> order = magnet_lots;
    std::shuffle(order.begin(), order.end(), rng_);
    for (std::size_t k = 0; k < 7 && k < order.size(); ++k) RETURN_IF_ERROR(Export(order[k]));
    return Status::Ok();
  }

  Ledger& ledger_;
  const Signer& root_;
  Config cfg_;
  KeyStore* keys_;
  std::mt19937_64 rng_;
  Timestamp clock_;
  std::set<std::string> granted_;
  std::string root_actor_;
  u64 event_counter_ = 0;
  std::map<std::string, u64> lot_counters_;
  std::map<std::string, SimLot> lots_;
  std::map<std::string, const Signer*> signers_;
  std::vector<std::unique_ptr<Signer>> owned_;
  Summary summary_;

 public:
  void HandOverKeys() {
    if (keys_ == nullptr) return;
    for (std::size_t k = 0; k < owned_.size(); ++k) {
      keys_->Put(kActors[k].id, std::move(owned_[k]));
    }
  }
};

}  // namespace

const Signer* KeyStore::Find(const std::string& actor_id) const {
  auto it = signers_.find(actor_id);
  return it == signers_.end() ? nullptr : it->second.get();
}

void KeyStore::Put(const std::string& actor_id, std::unique_ptr<Signer> signer) {
  signers_[actor_id] = std::move(signer);
}

Timestamp StartTimeEndingBy(int scale, Timestamp end) {
  const Timestamp fallback = Config().start_time;
  constexpr std::int64_t kCampaignSeconds = 8 * 86400 + 43200;  // 8.5 days
  const std::int64_t span = static_cast<std::int64_t>(std::max(scale, 1)) * kCampaignSeconds;
  if (end.seconds - span >= fallback.seconds) return fallback;
  return {end.seconds - span, 0};
}

Result<Summary> Build(Ledger& ledger, const Signer& root, const Config& config, KeyStore* keys) {
  Generator gen(ledger, root, config, keys);
  Result<Summary> summary = gen.Run();
  gen.HandOverKeys();
  return summary;
}

}  // namespace retrace::sim
