// Helpers shared by the transparency subcommands (keys, output files).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common.h"

namespace retrace::cli {

Result<NoteVerifier> ReadNoteVerifier(const std::string& arg, NoteKeyType as) {
  std::string text = arg;
  std::error_code ec;
  // A verifier key is "name+hexid+base64" and never contains '/'; an
  // argument that does, or ends in .vkey, is a file and must exist.
  const bool looks_like_path = arg.find('/') != std::string::npos ||
                               (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".vkey") == 0);
  if (looks_like_path && !std::filesystem::exists(arg, ec)) {
    return NotFoundError("no such file: " + Shown(arg));
  }
  const bool from_file = std::filesystem::is_regular_file(arg, ec);
  if (from_file) {
    Result<std::string> data = ReadInput(arg);
    if (!data.ok()) return data.status();
    text = *data;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  }
  Result<NoteVerifier> v = NoteVerifier::Parse(text);
  if (!v.ok()) {
    if (from_file) {
      return InvalidArgumentError(Shown(arg) + " does not hold a verifier key: " +
                                  v.status().message());
    }
    return InvalidArgumentError(v.status().message() + " (give a verifier key, or a file holding " +
                                "one; there is no file named " + Shown(arg) + ")");
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
  // A temporary file beside the target and a rename, so that a reader never
  // sees half a file and a failure leaves `path` as it was. Every error says
  // why, in the operating system's words.
  const std::string tmp = path + ".tmp";
  auto os_error = [&](const std::string& what, int err) {
    return IoError(what + ": " + std::strerror(err) + "; " + Shown(path) + " is unchanged");
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    return os_error("cannot create " + Shown(tmp), err);
  }
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      ::unlink(tmp.c_str());
      return os_error("cannot write " + Shown(tmp), err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return os_error("cannot write " + Shown(tmp), err);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return os_error("cannot rename " + Shown(tmp) + " to " + Shown(path), err);
  }
  return Status::Ok();
}

}  // namespace retrace::cli
