// A test centre: a throwaway certificate authority made with certs/mpp-ca.sh, the real
// mpp-central started with it on 127.0.0.1:0, and sites initialised against it with mppctl.
// The programs are the ones this build made (their paths are compiled in).
//
// Shared by the integration and fault tests and by mpp_bench, which is a program, not a gtest:
// nothing here asserts or throws. Every fallible call returns a Status or Result whose error
// (code kInternal) says what failed and carries the script's or program's output, or the
// centre's log; the caller decides whether that fails a test or ends a run.
//
// Not thread-safe. The accessors may be called from several threads while no other call is
// running on the same object.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sync/core/result.h"
#include "sync/net/tls.h"
#include "tests/support/process.h"

namespace mpp::testing {

// A certificate authority in one directory, made and extended with certs/mpp-ca.sh.
// Certificate NAME is Cert(NAME), its key Key(NAME). The object only knows the directory; the
// files are the caller's (keep the directory inside a TempDir).
class TestPki {
 public:
  // Names the directory; creates nothing until Init().
  explicit TestPki(std::string dir);

  // Creates the directory, the CA (Ca(), an empty Crl()), the centre's server certificate
  // "central" (for 127.0.0.1 and localhost), and a client certificate for each site in `sites`.
  // Fails if the script fails, e.g. when `dir` already holds a CA.
  Status Init(const std::vector<std::string>& sites = {});
  // A client certificate for site `code` (SAN mpp:site:CODE), named `code`.
  Status AddSite(const std::string& code);
  // A client certificate for role `role` (SAN mpp:role:ROLE: "ministry", "operator"), named
  // `name`.
  Status AddRole(const std::string& name, const std::string& role);
  // A certificate for site `code` that expired in 2020, named "CODE-expired".
  Status AddExpiredSite(const std::string& code);
  // A certificate for site `code` that expires `seconds` from now, named "CODE-expiring".
  Status AddExpiringSite(const std::string& code, int seconds);
  // Revokes `name`'s certificate and rewrites Crl(); a centre started with --crl Crl() refuses
  // it from its next handshake on.
  Status Revoke(const std::string& name);

  const std::string& dir() const { return dir_; }
  std::string Ca() const { return dir_ + "/ca.crt"; }
  std::string Crl() const { return dir_ + "/crl.pem"; }
  std::string Cert(const std::string& name) const { return dir_ + "/" + name + ".crt"; }
  std::string Key(const std::string& name) const { return dir_ + "/" + name + ".key"; }
  // A client that presents `name`'s certificate and trusts this CA (no session file).
  net::TlsClientConfig ClientTls(const std::string& name) const;

 private:
  // certs/mpp-ca.sh COMMAND DIR ARGS...
  Status Script(const std::string& command, const std::vector<std::string>& args = {});

  std::string dir_;
};

// The real mpp-central as a child process, with a TestPki's "central" certificate and CA, its
// data in DIR/central and its stderr appended to DIR/central.log. Owns the child: destruction
// kills it (SIGKILL) and reaps it. Movable, not copyable.
class CentralProcess {
 public:
  // Runs `mpp-central --data DIR/central --listen 127.0.0.1:0 --cert --key --ca` with `pki`'s
  // files, followed by `flags` (e.g. {"--crl", pki.Crl(), "--log-level", "error"}), and
  // returns once it printed "listening HOST:PORT" (at most 10 s). Copies the paths it needs:
  // `pki` may go before the process does. Fails if the program could not be started, exited,
  // or did not print the line in time; the error carries its log.
  static Result<CentralProcess> Start(const TestPki& pki, const std::string& dir,
                                      std::vector<std::string> flags = {});

  // The port it listens on; the same after Restart().
  uint16_t port() const { return port_; }
  // The child's process id; -1 after Kill() or Stop() until Restart() succeeds.
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  std::string data_dir() const { return dir_ + "/central"; }  // holds central.db
  std::string log_path() const { return dir_ + "/central.log"; }

  // kill -9 and reap: a crash at whatever it was doing.
  void Kill();
  // SIGTERM and reap: the way an operator stops it. Fails if it did not exit with status 0.
  Status Stop();
  // Starts it again on the same port with the same flags and data, after Kill() or Stop()
  // (if it still runs, it is killed first). Fails as Start() does; then pid() is -1.
  Status Restart();

 private:
  CentralProcess(std::string dir, std::vector<std::string> argv);
  Status Launch();

  std::string dir_;
  std::vector<std::string> argv_;  // the whole command line but --listen
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;  // 0 until the first start: any free port
};

// Runs `mppctl init` for site `code` into `data_dir`, set up to sync with the centre at
// 127.0.0.1:`port` (a CentralProcess's port, or that of a proxy in front of it) with the site's
// certificate from `pki` (made by Init() or AddSite() before). Fails with mppctl's output if
// it exits non-zero.
Status InitSite(const TestPki& pki, const std::string& code, const std::string& data_dir,
                uint16_t port);

}  // namespace mpp::testing
