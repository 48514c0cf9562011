#include "monitor_config.h"

#include <set>

#include "common.h"

namespace retrace::cli {

Result<std::vector<MonitoredLedger>> ReadMonitorConfig(const std::string& path) {
  Result<std::string> text = ReadInput(path);
  if (!text.ok()) return text.status();
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("monitor configuration " + path + ": " + why);
  };
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (j.value("schema", "") != "retrace.monitor/v1") return bad("schema is not \"retrace.monitor/v1\"");
  const std::size_t slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? "." : path.substr(0, slash);
  auto rel = [&](const std::string& p) { return !p.empty() && p[0] == '/' ? p : base + "/" + p; };
  if (!j.contains("mirrors") || !j["mirrors"].is_string()) return bad("\"mirrors\" must name a directory");
  const std::string mirrors = rel(j["mirrors"].get<std::string>());
  FetchOptions fetch;
  if (j.contains("timeout_seconds")) {
    if (!j["timeout_seconds"].is_number() || j["timeout_seconds"].get<double>() <= 0) {
      return bad("\"timeout_seconds\" must be a positive number");
    }
    fetch.timeout_ms = static_cast<std::uint32_t>(j["timeout_seconds"].get<double>() * 1000);
  }
  if (j.contains("attempts")) {
    if (!j["attempts"].is_number_unsigned() || j["attempts"].get<unsigned>() < 1 ||
        j["attempts"].get<unsigned>() > 10) {
      return bad("\"attempts\" must be 1 to 10");
    }
    fetch.attempts = j["attempts"].get<unsigned>();
  }
  if (!j.contains("ledgers") || !j["ledgers"].is_array()) return bad("\"ledgers\" must be an array");
  std::vector<MonitoredLedger> out;
  std::set<std::string> names;
  for (const nlohmann::json& l : j["ledgers"]) {
    if (!l.is_object() || !l.contains("name") || !l["name"].is_string() || !l.contains("source") ||
        !l["source"].is_string() || !l.contains("log_key") || !l["log_key"].is_string()) {
      return bad("each ledger needs \"name\", \"source\" and \"log_key\" strings");
    }
    MonitoredLedger m;
    m.name = l["name"].get<std::string>();
    if (m.name.empty() || m.name.find('/') != std::string::npos || m.name[0] == '.' ||
        !names.insert(m.name).second) {
      return bad("ledger name \"" + m.name + "\" is empty, repeated, starts with '.' or holds '/'");
    }
    m.source = l["source"].get<std::string>();
    if (m.source.rfind("http://", 0) != 0 && m.source.rfind("https://", 0) != 0) {
      m.source = rel(m.source);
    }
    m.mirror_dir = mirrors + "/" + m.name;
    std::string key = l["log_key"].get<std::string>();
    if (key.find('+') == std::string::npos) key = rel(key);  // a file
    Result<NoteVerifier> v = ReadNoteVerifier(key, NoteKeyType::kEd25519);
    if (!v.ok()) return bad(m.name + ": log_key: " + v.status().message());
    m.options.log_keys.push_back(*v);
    if (l.contains("witnesses")) {
      if (!l["witnesses"].is_array()) return bad(m.name + ": \"witnesses\" must be an array");
      for (const nlohmann::json& w : l["witnesses"]) {
        if (!w.is_string()) return bad(m.name + ": a witness is not a string");
        std::string wk = w.get<std::string>();
        if (wk.find('+') == std::string::npos) wk = rel(wk);
        Result<NoteVerifier> wv = ReadNoteVerifier(wk, NoteKeyType::kCosignatureV1);
        if (!wv.ok()) return bad(m.name + ": witness: " + wv.status().message());
        m.options.witnesses.witnesses.push_back(*wv);
      }
    }
    m.options.witnesses.quorum = m.options.witnesses.witnesses.size();
    if (l.contains("quorum")) {
      if (!l["quorum"].is_number_unsigned() ||
          l["quorum"].get<std::size_t>() > m.options.witnesses.witnesses.size()) {
        return bad(m.name + ": \"quorum\" must be a number no larger than the witnesses given");
      }
      m.options.witnesses.quorum = l["quorum"].get<std::size_t>();
    }
    m.options.fetch = fetch;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace retrace::cli
