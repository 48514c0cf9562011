// The names of roles, quota kinds, materials, elements and event kinds
// (retrace/event.h), and their parsers: the one spelling the CLI, the C
// API, JSON and reports use.
#include <string>

#include "retrace/event.h"
#include "util/escape.h"

namespace retrace {

const char* RoleName(Role r) noexcept {
  switch (r) {
    case Role::kUnspecified: return "unspecified";
    case Role::kRegulator: return "regulator";
    case Role::kMine: return "mine";
    case Role::kSeparator: return "separator";
    case Role::kSmelter: return "smelter";
    case Role::kMagnetMaker: return "magnet_maker";
    case Role::kExporter: return "exporter";
    case Role::kRecycler: return "recycler";
    case Role::kImporter: return "importer";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  // One spelling per role, case and '-' / '_' aside; "ROLE_" as in the proto.
  std::string n(name);
  for (char& c : n) {
    if (c == '-') c = '_';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (n.rfind("role_", 0) == 0) n.erase(0, 5);
  for (int r = 1; r <= 8; ++r) {
    if (n == RoleName(static_cast<Role>(r))) return static_cast<Role>(r);
  }
  return InvalidArgumentError("unknown role \"" + internal::EscapeForDisplay(name) +
                              "\" (expected regulator, mine, separator, smelter, magnet_maker, "
                              "exporter, recycler or importer)");
}

const char* QuotaKindName(QuotaKind k) noexcept {
  switch (k) {
    case QuotaKind::kUnspecified: return "unspecified";
    case QuotaKind::kMiningRock: return "mining_rock";
    case QuotaKind::kMiningIonic: return "mining_ionic";
    case QuotaKind::kSmeltingSeparation: return "smelting_separation";
  }
  return "unknown";
}

Result<QuotaKind> ParseQuotaKind(std::string_view name) {
  for (int k = 1; k <= 3; ++k) {
    if (name == QuotaKindName(static_cast<QuotaKind>(k))) return static_cast<QuotaKind>(k);
  }
  return InvalidArgumentError("unknown quota kind \"" + std::string(name) +
                              "\" (mining_rock, mining_ionic, smelting_separation)");
}

const char* MaterialClassName(MaterialClass m) noexcept {
  switch (m) {
    case MaterialClass::kUnspecified: return "unspecified";
    case MaterialClass::kOreConcentrate: return "ore_concentrate";
    case MaterialClass::kMixedCompound: return "mixed_compound";
    case MaterialClass::kSeparatedOxide: return "separated_oxide";
    case MaterialClass::kMetalAlloy: return "metal_alloy";
    case MaterialClass::kMagnet: return "magnet";
    case MaterialClass::kOther: return "other";
  }
  return "unknown";
}

const char* ElementSymbol(Element e) noexcept {
  switch (e) {
    case Element::kUnspecified: return "?";
    case Element::kSc: return "Sc";
    case Element::kY: return "Y";
    case Element::kLa: return "La";
    case Element::kCe: return "Ce";
    case Element::kPr: return "Pr";
    case Element::kNd: return "Nd";
    case Element::kPm: return "Pm";
    case Element::kSm: return "Sm";
    case Element::kEu: return "Eu";
    case Element::kGd: return "Gd";
    case Element::kTb: return "Tb";
    case Element::kDy: return "Dy";
    case Element::kHo: return "Ho";
    case Element::kEr: return "Er";
    case Element::kTm: return "Tm";
    case Element::kYb: return "Yb";
    case Element::kLu: return "Lu";
  }
  return "?";
}

const char* EventKindName(const EventBody& body) noexcept {
  switch (body.index()) {
    case 0: return "genesis";
    case 1: return "actor_registered";
    case 2: return "extracted";
    case 3: return "shipped";
    case 4: return "received";
    case 5: return "transformed";
    case 6: return "exported";
    case 7: return "quota_granted";
    case 8: return "policy_set";
    case 9: return "recycled";
    case 10: return "imported";
    case 11: return "key_rotated";
    case 12: return "key_revoked";
    case 13: return "reversed";
  }
  return "unknown";
}

}  // namespace retrace
