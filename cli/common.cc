#include "common.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>

namespace retrace::cli {

int Fail(std::string_view command, const std::string& message) {
  std::cerr << "retrace " << command << ": " << message << "\n";
  return kExitError;
}

Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& dir, bool read_only) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return NotFoundError("no ledger at " + dir + " (no such directory)");
  }
  Options options;
  options.read_only = read_only;
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options, dir);
  if (!ledger.ok()) return ledger.status().Annotate("cannot open the ledger at " + dir);
  return ledger;
}

std::string UnchangedNote(const Ledger& ledger) {
  Result<LedgerInfo> info = ledger.Info();
  if (!info.ok()) return "the ledger is unchanged";
  return "the ledger is unchanged (size " + std::to_string(info->size) + ", head " +
         ShortHash(info->head_hash) + ")";
}

std::string Refusal(const std::string& what, const Ledger& ledger) {
  // Parser messages (protobuf's JSON errors) span lines and carry a caret
  // marker; an error message on the terminal should be one line.
  std::string line;
  for (char c : what) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if ((c >= 0 && c < 0x20) || c == 0x7f) c = '?';  // never echo control bytes
    if (c == ' ' && (line.empty() || line.back() == ' ')) continue;
    line.push_back(c);
  }
  for (std::size_t at; (at = line.find(" ^ ")) != std::string::npos;) line.erase(at, 2);
  while (!line.empty() && (line.back() == ' ' || line.back() == '^')) line.pop_back();
  const std::string kUnchanged = "the ledger is unchanged";
  if (line.size() >= kUnchanged.size() &&
      line.compare(line.size() - kUnchanged.size(), kUnchanged.size(), kUnchanged) == 0) {
    line.erase(line.size() - kUnchanged.size());
    return line + UnchangedNote(ledger);
  }
  if (line.find("unchanged") != std::string::npos) return line;
  return line + "; " + UnchangedNote(ledger);
}

Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    if (std::cin.bad()) return IoError("cannot read standard input");
    return ss.str();
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError("no such file: " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open " + path + " for reading");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return IoError("cannot read " + path);
  return data;
}

Result<Role> ParseRole(std::string_view name) {
  std::string n(name);
  for (char& c : n) {
    if (c == '-') c = '_';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (n.rfind("role_", 0) == 0) n = n.substr(5);
  static const std::pair<const char*, Role> kRoles[] = {
      {"regulator", Role::kRegulator}, {"mine", Role::kMine},
      {"separator", Role::kSeparator}, {"smelter", Role::kSmelter},
      {"magnet_maker", Role::kMagnetMaker}, {"exporter", Role::kExporter},
      {"recycler", Role::kRecycler}, {"importer", Role::kImporter}};
  for (const auto& [text, role] : kRoles) {
    if (n == text) return role;
  }
  return InvalidArgumentError("unknown role \"" + std::string(name) +
                              "\" (expected mine, separator, smelter, magnet_maker, exporter, "
                              "recycler, importer or regulator)");
}

std::string HexEncode(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string FormatMass(std::uint64_t grams) {
  auto frac = [](std::uint64_t v) {
    std::string s = std::to_string(v);
    return std::string(3 - std::min<std::size_t>(3, s.size()), '0') + s;
  };
  if (grams >= 1000000) {
    return std::to_string(grams / 1000000) + "." + frac(grams % 1000000 / 1000) + " t";
  }
  if (grams >= 1000) return std::to_string(grams / 1000) + "." + frac(grams % 1000) + " kg";
  return std::to_string(grams) + " g";
}

std::string FormatContent(const std::vector<ElementMass>& content) {
  std::string out;
  for (const ElementMass& em : content) {
    if (!out.empty()) out += ", ";
    out += std::string(ElementSymbol(em.element)) + " " + FormatMass(em.grams);
  }
  return out.empty() ? "none declared" : out;
}

std::string FormatPpm(std::uint32_t ppm) {
  std::uint32_t hundredths = (ppm + 50) / 100;  // of a percent
  std::string frac = std::to_string(hundredths % 100);
  if (frac.size() < 2) frac.insert(0, "0");
  return std::to_string(hundredths / 100) + "." + frac + " %";
}

std::string ShortHash(const Hash& h) { return HashToHex(h).substr(0, 16); }

nlohmann::json RecordToJson(const Record& record) {
  nlohmann::json j;
  j["seq"] = record.seq;
  j["hash"] = HashToHex(record.hash);
  j["prev_hash"] = HashToHex(record.prev_hash);
  j["key_id"] = record.key_id;
  j["signature"] = HexEncode(record.signature);
  Result<Event> ev = DecodeEvent(record.event_bytes);
  if (!ev.ok()) {
    j["event_error"] = ev.status().ToString();
    j["event_bytes"] = HexEncode(record.event_bytes);
    return j;
  }
  j["kind"] = EventKindName(ev->body);
  Result<std::string> text = EventToJson(*ev);
  if (text.ok()) {
    j["event"] = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  } else {
    j["event_error"] = text.status().ToString();
  }
  return j;
}

nlohmann::json LotInfoToJson(const LotInfo& info) {
  nlohmann::json content = nlohmann::json::array();
  for (const ElementMass& em : info.lot.content) {
    content.push_back({{"element", ElementSymbol(em.element)}, {"grams", em.grams}});
  }
  nlohmann::json j = {{"lot_id", info.lot.lot_id},
                      {"material", MaterialClassName(info.lot.material)},
                      {"mass_g", info.lot.mass_g},
                      {"remaining_g", info.remaining_g},
                      {"content", content},
                      {"description", info.lot.description},
                      {"status", info.status},
                      {"custodian", info.custodian},
                      {"created_seq", info.created_seq},
                      {"head_seq", info.head_seq},
                      {"head_hash", HashToHex(info.head_hash)}};
  if (!info.in_transit_to.empty()) j["in_transit_to"] = info.in_transit_to;
  return j;
}

std::string RandomEventId() {
  std::random_device rd;
  std::uint64_t a = (std::uint64_t{rd()} << 32) | rd();
  std::uint64_t b = (std::uint64_t{rd()} << 32) | rd();
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(a >> (8 * i)));
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(b >> (8 * i)));
  return "ev-" + HexEncode(bytes);
}

}  // namespace retrace::cli
