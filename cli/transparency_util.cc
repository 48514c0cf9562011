// Helpers shared by the transparency subcommands (keys, output files).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common.h"

namespace retrace::cli {

Result<NoteVerifier> ReadNoteVerifier(const std::string& arg, NoteKeyType as) {
  std::string text = arg;
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    Result<std::string> data = ReadInput(arg);
    if (!data.ok()) return data.status();
    text = *data;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  }
  Result<NoteVerifier> v = NoteVerifier::Parse(text);
  if (!v.ok()) {
    return InvalidArgumentError(v.status().message() + " (give a verifier key or a file holding one)");
  }
  if (v->type() == as) return v;
  if (as == NoteKeyType::kCosignatureV1) return v->WithType(as);  // a witness's plain key
  return InvalidArgumentError("verifier key " + v->ToString() + " is a " +
                              NoteKeyTypeName(v->type()) + " key; a log key must be ed25519");
}

std::string Base64Encode(std::string_view in) {
  static const char kA[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kA[(v >> s) & 63];
  }
  if (in.size() - i == 1) {
    const std::uint32_t v = byte(i) << 16;
    out += {kA[v >> 18], kA[(v >> 12) & 63], '=', '='};
  } else if (in.size() - i == 2) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += {kA[v >> 18], kA[(v >> 12) & 63], kA[(v >> 6) & 63], '='};
  }
  return out;
}

Status WriteOutput(const std::string& path, std::string_view data) {
  if (path == "-") {
    std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    std::cout.flush();
    return std::cout ? Status::Ok() : IoError("cannot write to standard output");
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return IoError("cannot create " + tmp + "; " + path + " is unchanged");
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return IoError("cannot write " + tmp + "; " + path + " is unchanged");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return IoError("cannot rename " + tmp + " to " + path + "; " + path + " is unchanged");
  }
  return Status::Ok();
}

}  // namespace retrace::cli
