// A day of ERP postings fed through the adapter into a fresh ledger, then
// the alloy batch verified back to its mine.
//
//   erp_adapter_example [LEDGER_DIR]     (default: a temporary directory)
//
// Exit 0 if every posting behaved as an ERP expects and the batch verifies.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "erp_adapter.h"
#include "retrace/ledger.h"

using retrace::Element;
using retrace::MaterialClass;

namespace {

int failures = 0;

void Expect(bool ok, const std::string& what) {
  std::cout << (ok ? "  ok    " : "  FAIL  ") << what << "\n";
  if (!ok) ++failures;
}

void Posted(const retrace::Result<erp::Outcome>& r, const std::string& what) {
  if (!r.ok()) std::cout << "        " << r.status().ToString() << "\n";
  Expect(r.ok() && *r == erp::Outcome::kPosted, what);
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::string dir;
  bool temp = argc < 2;
  if (temp) {
    char tmpl[] = "/tmp/retrace-erp-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return 2;
    dir = std::string(tmpl) + "/ledger";
  } else {
    dir = argv[1];
  }

  // Keys: in production each plant's key lives in its own HSM or key file.
  auto root = retrace::Signer::Generate(retrace::Algorithm::kEd25519);
  std::map<std::string, std::unique_ptr<retrace::Signer>> owned;
  struct ActorSpec {
    const char* id;
    retrace::Role role;
    const char* licence;
  };
  const ActorSpec actors[] = {{"mine-bayan", retrace::Role::kMine, "C1500002011034120110001"},
                              {"plant-separation", retrace::Role::kSeparator, ""},
                              {"plant-alloy", retrace::Role::kSmelter, ""}};
  retrace::Options options;
  options.sync = false;
  auto ledger = retrace::Ledger::Create(options, dir, "erp-example", **root);
  if (!ledger.ok()) {
    std::cerr << ledger.status().ToString() << "\n";
    return 2;
  }
  std::map<std::string, const retrace::Signer*> keys;
  // The regulator registers the enterprises and grants this year's
  // production quotas (postings are dated now; quotas are per year).
  auto as_regulator = [&](const std::string& id, retrace::EventBody body) {
    retrace::Event ev;
    ev.event_id = id;
    ev.actor_id = "regulator";
    ev.time = retrace::Now();
    ev.body = std::move(body);
    if (!(*ledger)->LinkParents(&ev).ok()) return false;
    auto se = retrace::SignEvent(ev, **root);
    return se.ok() && (*ledger)->Append(*se).ok();
  };
  std::time_t now = static_cast<std::time_t>(retrace::Now().seconds);
  std::tm tm{};
  gmtime_r(&now, &tm);
  const std::uint32_t year = static_cast<std::uint32_t>(tm.tm_year + 1900);
  for (const ActorSpec& a : actors) {
    auto key = retrace::Signer::Generate(retrace::Algorithm::kEcdsaP256Sha256);
    if (!key.ok()) return 2;
    retrace::ActorRegistered reg{a.id, std::string(a.id) + " Co., Ltd.", a.role,
                                 (*key)->public_key(), a.licence, "CN"};
    if (!as_regulator(std::string("reg-") + a.id, reg)) return 2;
    keys[a.id] = key->get();
    owned[a.id] = std::move(*key);
  }
  if (!as_regulator("quota-mine", retrace::QuotaGranted{"mine-bayan", year,
                                                        retrace::QuotaKind::kMiningRock,
                                                        500000000, "MIIT quota notice"}) ||
      !as_regulator("quota-sep", retrace::QuotaGranted{"plant-separation", year,
                                                       retrace::QuotaKind::kSmeltingSeparation,
                                                       500000000, "MIIT quota notice"})) {
    return 2;
  }
  erp::Adapter adapter(**ledger, keys);

  std::cout << "Mine production and delivery\n";
  erp::MineProduction prod{"49000001", "mine-bayan",
                           {"ORE-0001", MaterialClass::kOreConcentrate, {"1000", "KG"},
                            {{Element::kNd, 50000}, {Element::kPr, 15000}, {Element::kDy, 1000}},
                            "flotation concentrate"},
                           "Bayan Obo East Pit", "C1500002011034120110001",
                           retrace::QuotaKind::kMiningRock};
  Posted(adapter.Post(prod), "mine production 49000001 -> extracted ORE-0001");
  erp::OutboundDelivery to_sep{"80000001", "SO-1", "mine-bayan", "plant-separation", "ORE-0001",
                               {"1.000", "T"}};
  Posted(adapter.Post(to_sep), "delivery 80000001 -> shipped ORE-0001");

  std::cout << "Goods receipt at the separation plant\n";
  erp::GoodsReceipt gr{"50000001", "4500000001", "plant-separation", "mine-bayan", "ORE-0001",
                       {"1000000", "G"}};
  Posted(adapter.Post(gr), "goods receipt 50000001 -> received ORE-0001");
  auto again = adapter.Post(gr);
  Expect(again.ok() && *again == erp::Outcome::kAlreadyPosted,
         "the same goods receipt re-sent after a timeout is recognised as already posted");

  std::cout << "Production order with immediate delivery of the NdPr oxide\n";
  erp::ProductionConfirmation sep;
  sep.order = "1000001";
  sep.confirmation = "CONF-1000001-1";
  sep.plant = "plant-separation";
  sep.routing = "solvent extraction";
  sep.components = {{"ORE-0001", {"1000", "KG"}}};
  sep.outputs = {{"NDPR-0001", MaterialClass::kSeparatedOxide, {"70", "KG"},
                  {{Element::kNd, 45000}, {Element::kPr, 13000}}, "NdPr oxide"},
                 {"DY-0001", MaterialClass::kSeparatedOxide, {"1.1", "KG"}, {{Element::kDy, 900}},
                  "Dy oxide"}};
  sep.scrap = {"928.9", "KG"};
  erp::OutboundDelivery to_alloy{"80000002", "SO-2", "plant-separation", "plant-alloy",
                                 "NDPR-0001", {"70", "KG"}};
  Posted(adapter.PostAndShip(sep, to_alloy),
         "confirmation CONF-1000001-1 + delivery 80000002 -> transformed and shipped, one batch");

  std::cout << "Refusals an ERP must be able to show\n";
  erp::GoodsReceipt short_gr{"50000002", "4500000002", "plant-alloy", "plant-separation",
                             "NDPR-0001", {"69.5", "KG"}};
  auto refused = adapter.Post(short_gr);
  Expect(!refused.ok() && refused.status().code() == retrace::StatusCode::kFailedPrecondition,
         "a goods receipt of 69.5 kg against a 70 kg delivery is refused");
  if (!refused.ok()) std::cout << "        " << refused.status().ToString() << "\n";
  auto grams = erp::ToGrams({"1.0005", "KG"});
  Expect(!grams.ok(), "1.0005 KG is refused: the ledger keeps whole grams");
  Expect(erp::ToGrams({"1234.567", "KG"}).value_or(0) == 1234567, "1234.567 KG is 1234567 g exactly");

  std::cout << "Goods receipt and alloy production\n";
  erp::GoodsReceipt gr2{"50000003", "4500000002", "plant-alloy", "plant-separation", "NDPR-0001",
                        {"70.000", "KG"}};
  Posted(adapter.Post(gr2), "goods receipt 50000003 -> received NDPR-0001");
  erp::ProductionConfirmation alloy;
  alloy.order = "1000002";
  alloy.confirmation = "CONF-1000002-1";
  alloy.plant = "plant-alloy";
  alloy.routing = "molten salt electrolysis";
  alloy.components = {{"NDPR-0001", {"70", "KG"}}};
  alloy.outputs = {{"ALLOY-0001", MaterialClass::kMetalAlloy, {"60", "KG"},
                    {{Element::kNd, 44000}, {Element::kPr, 12500}}, "NdPr metal"}};
  alloy.scrap = {"10", "KG"};
  Posted(adapter.Post(alloy), "confirmation CONF-1000002-1 -> transformed NDPR-0001 into ALLOY-0001");

  auto report = (*ledger)->VerifyLot("ALLOY-0001");
  Expect(report.ok() && report->valid, "ALLOY-0001 verifies back to its mine");
  if (report.ok()) {
    for (const auto& o : report->origins) {
      std::cout << "        origin " << o.origin_lot << " (" << o.actor_id << ", " << o.site
                << "): " << o.share_ppm / 10000.0 << " %\n";
    }
    Expect(report->origins.size() == 1 && report->origins[0].origin_lot == "ORE-0001",
           "its single origin is ORE-0001");
  }
  auto lot = (*ledger)->GetLot("ORE-0001");
  Expect(lot.ok() && lot->status == "consumed", "ORE-0001 is consumed");

  ledger->reset();
  if (temp) fs::remove_all(fs::path(dir).parent_path());
  std::cout << (failures == 0 ? "all postings behaved as expected\n" : "FAILURES\n");
  return failures == 0 ? 0 : 1;
}
