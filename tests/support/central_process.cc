#include "tests/support/central_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <charconv>
#include <exception>
#include <utility>

#include "tests/support/temp_dir.h"

namespace mpp::testing {
namespace {

Error Failed(std::string what, const std::string& output) {
  return MakeError(Errc::kInternal, std::move(what) + (output.empty() ? "" : ":\n" + output));
}

// Runs `argv` to completion; fails with its output unless it exits 0.
Status Run(const std::vector<std::string>& argv) {
  std::string out;
  const int code = RunCommand(argv, &out);
  if (code == 0) return {};
  std::string command;
  for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
  return Failed(command + " exited " + std::to_string(code), out);
}

// The port of a "listening HOST:PORT" line; 0 if there is none.
uint16_t PortOf(const std::string& line) {
  const auto colon = line.rfind(':');
  if (colon == std::string::npos) return 0;
  uint16_t port = 0;
  const char* end = line.data() + line.size();
  const auto [ptr, ec] = std::from_chars(line.data() + colon + 1, end, port);
  return ec == std::errc() && ptr == end ? port : 0;
}

}  // namespace

TestPki::TestPki(std::string dir) : dir_(std::move(dir)) {}

Status TestPki::Init(const std::vector<std::string>& sites) {
  MPP_RETURN_IF_ERROR(Script("init"));
  MPP_RETURN_IF_ERROR(Script("central", {"central"}));
  for (const auto& code : sites) MPP_RETURN_IF_ERROR(AddSite(code));
  return {};
}

Status TestPki::AddSite(const std::string& code) { return Script("site", {code}); }

Status TestPki::AddRole(const std::string& name, const std::string& role) {
  return Script("role", {name, role});
}

Status TestPki::AddExpiredSite(const std::string& code) { return Script("expired", {code}); }

Status TestPki::AddExpiringSite(const std::string& code, int seconds) {
  return Script("expiring", {code, std::to_string(seconds)});
}

Status TestPki::Revoke(const std::string& name) { return Script("revoke", {name}); }

net::TlsClientConfig TestPki::ClientTls(const std::string& name) const {
  return {Cert(name), Key(name), Ca(), ""};
}

Status TestPki::Script(const std::string& command, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/bash", std::string(MPP_SOURCE_DIR) + "/certs/mpp-ca.sh",
                                   command, dir_};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

CentralProcess::CentralProcess(std::string dir, std::vector<std::string> argv)
    : dir_(std::move(dir)), argv_(std::move(argv)) {}

Result<CentralProcess> CentralProcess::Start(const TestPki& pki, const std::string& dir,
                                             std::vector<std::string> flags) {
  const std::string data = dir + "/central";
  std::vector<std::string> argv = {MPP_CENTRAL_BIN, "--data", data, "--cert", pki.Cert("central")};
  argv.insert(argv.end(), {"--key", pki.Key("central"), "--ca", pki.Ca()});
  argv.insert(argv.end(), flags.begin(), flags.end());
  CentralProcess central(dir, std::move(argv));
  MPP_RETURN_IF_ERROR(central.Launch());
  return central;
}

void CentralProcess::Kill() {
  if (!process_) return;
  process_->Kill(SIGKILL);
  process_->Wait();
  process_.reset();
}

Status CentralProcess::Stop() {
  if (!process_) return {};
  process_->Kill(SIGTERM);
  const int status = process_->Wait();
  process_.reset();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return Failed("mpp-central did not exit cleanly on SIGTERM (status " + std::to_string(status) +
                    "); its log " + log_path(),
                ReadFile(log_path()));
}

Status CentralProcess::Restart() {
  Kill();
  return Launch();
}

Status CentralProcess::Launch() {
  // --listen right after --data, where the command lines this replaced had it.
  std::vector<std::string> argv = argv_;
  argv.insert(argv.begin() + 3, {"--listen", "127.0.0.1:" + std::to_string(port_)});
  try {
    process_ = std::make_unique<Process>(argv, log_path());
  } catch (const std::exception& e) {
    return Failed(std::string("cannot start mpp-central: ") + e.what(), "");
  }
  const uint16_t port = PortOf(process_->WaitForLine("listening "));
  if (port == 0) {
    process_.reset();  // kills it if it still runs
    return Failed("mpp-central did not print \"listening HOST:PORT\"; its log " + log_path(),
                  ReadFile(log_path()));
  }
  port_ = port;
  return {};
}

Status InitSite(const TestPki& pki, const std::string& code, const std::string& data_dir,
                uint16_t port) {
  return Run({MPP_CTL_BIN, "init", "--site", code, "--data", data_dir, "--central",
              "127.0.0.1:" + std::to_string(port), "--cert", pki.Cert(code), "--key", pki.Key(code),
              "--ca", pki.Ca()});
}

}  // namespace mpp::testing
