// retrace witness serve: the C2SP tlog-witness HTTP interface
// (POST <prefix>/add-checkpoint) over a witness state file, on Debian's
// cpp-httplib. The checks and the state are `witness cosign`'s
// (HandleAddCheckpoint); each request locks the state file, so several
// servers (or cosign commands) may share one.
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <ctime>
#include <iostream>
#include <thread>

#include "common.h"
#include "retrace/witness_http.h"
#include "witness_serve.h"

namespace retrace::cli {
namespace {

constexpr std::size_t kMaxRequestBytes = std::size_t{1} << 20;  // a note is at most 1 MiB

int RunServe(const WitnessServeOptions& o) {
  const char* cmd = "witness serve";
  Result<std::unique_ptr<NoteSigner>> key =
      NoteSigner::LoadSignerKeyFile(o.key, NoteKeyType::kCosignatureV1);
  if (!key.ok()) return Fail(cmd, "cannot load the witness key: " + key.status().ToString());
  Result<WitnessState> state = ReadWitnessStateFile(o.state);
  if (!state.ok()) {
    return Fail(cmd, state.status().ToString() + " (create it with `retrace witness init`)");
  }
  const std::size_t colon = o.listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Fail(cmd, "--listen must be HOST:PORT, e.g. 127.0.0.1:8081 (port 0: any free port)");
  }
  std::string host = o.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(o.listen.substr(colon + 1));
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) return Fail(cmd, "--listen: bad port in " + Shown(o.listen));
  std::string prefix = o.prefix;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();

  // SIGINT and SIGTERM are taken by a thread that stops the server; block
  // them before the server's threads start so they inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  httplib::Server server;
  server.set_payload_max_length(kMaxRequestBytes);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  const NoteSigner& cosigner = **key;
  const std::string state_path = o.state;
  server.Post(prefix + "/add-checkpoint", [&](const httplib::Request& req, httplib::Response& res) {
    const WitnessHttpResponse r = HandleAddCheckpoint(
        state_path, cosigner, req.body, static_cast<std::uint64_t>(std::time(nullptr)));
    res.status = r.status;
    res.set_content(r.body, r.content_type.c_str());
    if (!o.quiet) {
      std::cerr << "witness serve: add-checkpoint -> " << r.status << "\n";
    }
  });
  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host.c_str());
  } else if (!server.bind_to_port(host.c_str(), port)) {
    bound = -1;
  }
  if (bound <= 0) return Fail(cmd, "cannot listen on " + Shown(o.listen));
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
  });
  std::cout << "witness " << Shown(cosigner.name()) << " listening on http://"
            << (host.find(':') != std::string::npos ? "[" + host + "]" : host) << ":" << bound
            << prefix << "/add-checkpoint" << std::endl;
  const bool ok = server.listen_after_bind();
  // Wake the stopper if the server ended by itself.
  if (!ok) pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  if (!ok) return Fail(cmd, "the server stopped with an error");
  return kExitOk;
}

}  // namespace

void AddWitnessServeSubcommand(CLI::App* witness, WitnessServeOptions* o) {
  o->app = witness->add_subcommand(
      "serve",
      "Serve the C2SP tlog-witness add-checkpoint endpoint over HTTP, cosigning with the "
      "witness key and keeping the state file (until SIGINT or SIGTERM)");
  o->app->add_option("--state", o->state, "Witness state file (retrace witness init)")->required();
  o->app->add_option("--key", o->key, "Witness signer key file (note-keygen --type witness)")
      ->required();
  o->app->add_option("--listen", o->listen,
                     "HOST:PORT to listen on (port 0: a free port, printed on standard output)")
      ->required();
  o->app->add_option("--prefix", o->prefix, "URL path prefix of the endpoint")->capture_default_str();
  o->app->add_flag("--quiet", o->quiet, "Do not log each request on standard error");
  SetHelpFooter(o->app, {"stopped by SIGINT or SIGTERM", "",
                         "usage error, unreadable key or state file, or the address cannot be "
                         "listened on"});
}

int RunWitnessServe(const WitnessServeOptions& o) { return RunServe(o); }

}  // namespace retrace::cli
