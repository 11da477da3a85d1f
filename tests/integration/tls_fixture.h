// The fixture of the tests that run the real mpp-central and mppctl over real mutual TLS on
// 127.0.0.1: a PKI made with certs/mpp-ca.sh (with an operator and a ministry certificate), a
// running centre with the CRL, sites initialised against it, mppctl run as a technician
// would.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "sync/core/json.h"
#include "sync/net/http_client.h"
#include "sync/protocol/wire.h"
#include "sync/store/site_store.h"
#include "tests/support/central_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace mpp {

using testing::RunCommand;

class SyncTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Ca(pki_.Init());
    Ca(pki_.AddRole("operator", "operator"));
    Ca(pki_.AddRole("ministry", "ministry"));
    auto central = testing::CentralProcess::Start(pki_, dir_.path(), {"--crl", pki_.Crl()});
    ASSERT_TRUE(central.ok()) << central.error().message;
    central_.emplace(std::move(central).value());
    port_ = central_->port();
  }

  // A step of certs/mpp-ca.sh; a failure fails the test with the script's output.
  void Ca(const Status& st) { ASSERT_TRUE(st.ok()) << st.error().message; }

  std::string InitSite(const std::string& code) {
    Ca(pki_.AddSite(code));
    const std::string data = dir_.File(code);
    const Status init = testing::InitSite(pki_, code, data, port_);
    EXPECT_TRUE(init.ok()) << init.error().message;
    return data;
  }

  // Writes through the site's store while no node runs (the file is the real one).
  template <typename F>
  void WithStore(const std::string& data, F&& f) {
    SystemClock clock;
    CryptoRandom random;
    auto s = store::SiteStore::Open(data + "/site.db", clock, random);
    ASSERT_TRUE(s.ok()) << s.error().message;
    f(**s);
  }

  Json Ctl(const std::vector<std::string>& args, int expect_exit = 0) {
    std::vector<std::string> argv = {MPP_CTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out;
    const int code = RunCommand(argv, &out);
    EXPECT_EQ(code, expect_exit) << out;
    auto j = Json::parse(out.substr(0, out.find('\n')), nullptr, false);
    return j.is_discarded() ? Json{{"output", out}} : j;
  }

  net::TlsClientConfig Cert(const std::string& name) { return pki_.ClientTls(name); }

  Result<http::Response> Call(const net::TlsClientConfig& tls, const std::string& method,
                              const std::string& target, const Json& body = nullptr) {
    net::HttpClient client("127.0.0.1", port_, std::chrono::seconds(10), tls);
    http::Request r;
    r.method = method;
    r.target = target;
    r.headers = {{protocol::kHeaderProtocol, "1"}, {protocol::kHeaderSchema, "3"}};
    if (!body.is_null()) {
      r.body = body.dump();
      r.content_type = "application/json";
    }
    return client.Send(r);
  }

  testing::TempDir dir_;
  testing::TestPki pki_{dir_.File("pki")};
  std::optional<testing::CentralProcess> central_;
  uint16_t port_ = 0;
};

}  // namespace mpp
