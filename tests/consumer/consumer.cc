// Uses the installed C++ API (C++17): a ledger with a mine, one extraction,
// verified. Exit 0 on success.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "retrace/ledger.h"
#include "retrace/render.h"

int main() {
  char dir[] = "/tmp/retrace-consumer-XXXXXX";
  if (mkdtemp(dir) == nullptr) return 2;
  std::string path = std::string(dir) + "/ledger";
  auto root = retrace::Signer::Generate(retrace::Algorithm::kEd25519);
  auto mine = retrace::Signer::Generate(retrace::Algorithm::kEcdsaP256Sha256);
  retrace::Options options;
  options.sync = false;
  auto ledger = retrace::Ledger::Create(options, path, "consumer", **root);
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s\n", ledger.status().ToString().c_str());
    return 1;
  }
  retrace::Event reg;
  reg.event_id = "reg-1";
  reg.actor_id = "regulator";
  reg.time = retrace::Now();
  reg.body = retrace::ActorRegistered{"mine-1", "Mine", retrace::Role::kMine, (*mine)->public_key(),
                                      "LIC-1", "CN"};
  retrace::Event grant;
  grant.event_id = "grant-1";
  grant.actor_id = "regulator";
  grant.time = {1772438400, 0};  // 2026-03-02
  grant.body = retrace::QuotaGranted{"mine-1", 2026, retrace::QuotaKind::kMiningRock, 1000000, ""};
  retrace::Event ex;
  ex.event_id = "ex-1";
  ex.actor_id = "mine-1";
  ex.time = {1772438400, 0};
  retrace::Lot lot{"ORE-1", retrace::MaterialClass::kOreConcentrate, 1000, {{retrace::Element::kNd, 10}}, ""};
  ex.body = retrace::Extracted{lot, "pit", "LIC-1", retrace::QuotaKind::kMiningRock};
  for (auto [ev, signer] : {std::pair{&reg, root->get()}, std::pair{&grant, root->get()},
                            std::pair{&ex, mine->get()}}) {
    if (!(*ledger)->LinkParents(ev).ok()) return 1;
    auto se = retrace::SignEvent(*ev, *signer);
    if (!se.ok() || !(*ledger)->Append(*se).ok()) return 1;
  }
  auto report = (*ledger)->VerifyLot("ORE-1");
  bool ok = report.ok() && report->valid && report->origins.size() == 1 &&
            retrace::LineageToSvg(*report).find("<svg") == 0;
  std::printf("consumer_cxx: %s\n", ok ? "ORE-1 verified" : "FAILED");
  std::system((std::string("rm -rf ") + dir).c_str());
  return ok ? 0 : 1;
}
