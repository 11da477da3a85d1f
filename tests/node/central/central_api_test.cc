// mpp-central's whole API in process: the sync endpoints behind it, and what the program adds
// (the /api/v1 endpoints for the ministry and operators with their roles, the rate limit per
// certificate). Real SQLite files, real replicators.
#include "node/central/central_api.h"

#include <gtest/gtest.h>

#include "tests/sync/replicator/sync_fixture.h"

namespace mpp::testing {
namespace {

class CentralApiTest : public SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    api_ = std::make_unique<central::CentralApi>(*central_, central_clock_, SchemaVersion());
    centre_ = [this](const http::Request& r) { return api_->Handle(r); };
  }
  static std::string ErrorCode(const http::Response& r) {
    auto j = Json::parse(r.body, nullptr, false);
    return j.is_discarded() ? "" : j["error"].value("code", "");
  }
  Json PushBody(TestSite& s) {
    auto out = s.store->replica().ReadOutbox(0, 1 << 20);
    EXPECT_TRUE(out.ok());
    return protocol::ToJson(protocol::PushRequest{s.code, out->changes.front().seq, out->changes});
  }

  std::unique_ptr<central::CentralApi> api_;
};

TEST_F(CentralApiTest, RolesOtherThanSitesCannotPushAndUnknownCertificatesGetNothing) {
  TestSite& a = AddSite("MPP7301");
  NewApp(a);
  const Json body = PushBody(a);
  auto ministry = AsRole("mpp:role:ministry", "POST", "/sync/v1/push", body);
  EXPECT_EQ(ministry.status, 403);
  EXPECT_EQ(ErrorCode(ministry), "forbidden_role");
  auto nobody = AsRole("urn:someone-else", "GET", "/api/v1/sites");
  EXPECT_EQ(nobody.status, 401);
  EXPECT_EQ(AsRole("mpp:role:ministry", "GET", "/api/v1/sites").status, 200);
  auto resolve =
      AsRole("mpp:role:ministry", "POST", "/api/v1/conflicts/x/resolve", Json{{"keep", "winner"}});
  EXPECT_EQ(resolve.status, 403);
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM applications"), 0);
}

// A certificate that floods the centre is slowed down with 429 rate_limited and Retry-After;
// another site is not.
TEST_F(CentralApiTest, AFloodingSiteIsRateLimitedAndOtherSitesAreNot) {
  api_->LimitRate(5, 10);
  TestSite& a = AddSite("MPP7301");
  TestSite& b = AddSite("MPP7302");
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 30; ++i) {
    http::Request r;
    r.method = "GET";
    r.target = "/sync/v1/pull?after=0";
    r.headers = {{protocol::kHeaderProtocol, "1"},
                 {protocol::kHeaderSchema, std::to_string(SchemaVersion())}};
    auto res = a.transport->Send(r);
    ASSERT_TRUE(res.ok());
    if (res->status == 429) {
      ++limited;
      retry_after = res->Header("retry-after");
      EXPECT_EQ(Json::parse(res->body)["error"]["code"], "rate_limited");
    }
  }
  EXPECT_EQ(limited, 20);  // a burst of 10, then nothing until the clock moves
  EXPECT_EQ(retry_after, "1");
  NewApp(b);
  Sync(b);  // the other site is not slowed down
  auto blocked = a.replicator->SyncOnce();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, Errc::kRateLimited);
  central_clock_.Advance(2000);  // ten more tokens
  NewApp(a);
  Sync(a);
  ExpectInSync(a);
}

TEST_F(CentralApiTest, EveryResponseCarriesTheCentresVersionsAndClock) {
  for (const char* target : {"/healthz", "/api/v1/sites", "/sync/v1/pull?after=0", "/nowhere"}) {
    auto r = AsRole("mpp:role:ministry", "GET", target);
    EXPECT_EQ(r.Header(protocol::kHeaderProtocol), std::to_string(protocol::kProtocolVersion))
        << target;
    EXPECT_EQ(r.Header(protocol::kHeaderServerTime), std::to_string(kSyncT0)) << target;
    EXPECT_FALSE(r.Header(protocol::kHeaderServerHlc).empty()) << target;
  }
}

TEST_F(CentralApiTest, AnOperatorsDecisionGoesThroughTheApiAndReachesTheSite) {
  TestSite& a = AddSite("MPP7301");
  Json app = NewApp(a);
  Sync(a);
  central_clock_.Advance(1000);
  const std::string path = "/api/v1/records/applications/" + app["id"].get<std::string>();
  EXPECT_EQ(AsRole("mpp:role:ministry", "PATCH", path, {{"notes", "x"}}).status, 403);
  auto r = AsRole("mpp:role:operator", "PATCH", path, {{"notes", "Berkas diverifikasi pusat"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto forbidden = AsRole("mpp:role:operator", "PATCH", path, {{"citizen_ref", "x"}});
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(ErrorCode(forbidden), "forbidden_column");
  Sync(a);
  EXPECT_EQ((*a.store->office().GetApplication(app["id"]))["notes"], "Berkas diverifikasi pusat");
  ExpectInSync(a);
}

}  // namespace
}  // namespace mpp::testing

namespace mpp::testing {
namespace {

// GET /metrics at the centre: for the ministry and operators (it names every site), counting
// every request and refusal by code, with each site's staleness; never an id or a NIK.
TEST_F(CentralApiTest, MetricsNameEverySitesStalenessAndCountRefusalsByCode) {
  TestSite& a = AddSite("MPP7301");
  ASSERT_TRUE(a.store->office()
                  .CreateApplication({{"service_code", "DKC-KTP"}, {"nik", "7301014508900001"}})
                  .ok());
  Sync(a);
  central_clock_.Advance(90'000);
  EXPECT_EQ(
      AsRole("mpp:role:ministry", "POST", "/api/v1/conflicts/0190d2a4b5c6/resolve", Json::object())
          .status,
      403);
  auto site = AsRole("mpp:site:MPP7301", "GET", "/metrics");
  EXPECT_EQ(site.status, 403);
  EXPECT_EQ(ErrorCode(site), "forbidden_role");
  EXPECT_EQ(AsRole("urn:nobody", "GET", "/metrics").status, 401);

  auto page = AsRole("mpp:role:ministry", "GET", "/metrics");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.content_type, http::kMetricsContentType);
  const std::string& m = page.body;
  EXPECT_NE(m.find("mpp_site_last_push_age_seconds{site=\"MPP7301\"} 90"), std::string::npos) << m;
  EXPECT_NE(m.find("mpp_site_acked_seq{site=\"MPP7301\"}"), std::string::npos);
  EXPECT_NE(m.find("mpp_http_errors_total{code=\"forbidden_role\"} 2"), std::string::npos) << m;
  EXPECT_NE(m.find("route=\"/sync/v1/push\",method=\"POST\",status=\"200\""), std::string::npos)
      << m;
  EXPECT_NE(m.find("route=\"/api/v1/conflicts/{id}/resolve\",method=\"POST\",status=\"403\""),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("7301014508900001"), std::string::npos);
  EXPECT_EQ(AsRole("mpp:role:operator", "POST", "/metrics").status, 405);
}

}  // namespace
}  // namespace mpp::testing
