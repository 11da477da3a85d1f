#include "sync/http/metrics.h"

#include <gtest/gtest.h>

#include "sync/http/reply.h"

namespace mpp::http {
namespace {

TEST(RouteOfTest, WordsStayAndEverythingThatMayBeAnIdGoes) {
  EXPECT_EQ(RouteOf("/api/v1/applications"), "/api/v1/applications");
  EXPECT_EQ(RouteOf("/api/v1/applications/0190d2a4-5b6c-7d8e-9f00-112233445566/status"),
            "/api/v1/applications/{id}/status");
  EXPECT_EQ(RouteOf("/api/v1/citizens/7301014508900001"), "/api/v1/citizens/{id}");
  EXPECT_EQ(RouteOf("/api/v1/sites/MPP7301"), "/api/v1/sites/{id}");
  EXPECT_EQ(RouteOf("/api/v1/x/abcdefabcdefabcdefabcdefabcdef"), "/api/v1/x/{id}");
  EXPECT_EQ(RouteOf("/a/b1c2d3"), "/a/{id}") << "more than two digits";
  EXPECT_EQ(RouteOf("//healthz/"), "/healthz");
  EXPECT_EQ(RouteOf(""), "/");
}

TEST(MetricsTest, CountsRequestsBytesLatencyAndRefusalsByCode) {
  Metrics m;
  Request get;
  get.method = "GET";
  get.target = "/api/v1/applications?nik=7301014508900001";
  m.Answered(get, JsonResponse(Json::object()), 0.003);
  m.Answered(get, JsonResponse(Json::object()), 0.2);
  Request post;
  post.method = "POST";
  post.target = "/api/v1/applications";
  post.body = R"({"service_code":"NOPE"})";
  m.Answered(post, ErrorResponse(MakeError(Errc::kUnknownService, "no such service")), 0.001);
  m.Answered(post, Response{500, "text/plain", "\"code\":\"made_up\"", {}}, 0.001);
  const std::string page = m.Render({{"mpp_pending_changes", "waiting", {{"site=\"A\"", 3}}}});
  const std::string where = "route=\"/api/v1/applications\",method=\"GET\"";
  EXPECT_NE(page.find("mpp_http_requests_total{" + where + ",status=\"200\"} 2"), std::string::npos)
      << page;
  EXPECT_NE(page.find("mpp_http_request_duration_seconds_bucket{" + where + ",le=\"0.005\"} 1"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("mpp_http_request_duration_seconds_bucket{" + where + ",le=\"0.25\"} 2"),
            std::string::npos);
  EXPECT_NE(page.find("mpp_http_request_duration_seconds_count{" + where + "} 2"),
            std::string::npos);
  EXPECT_NE(page.find("mpp_http_received_bytes_total{route=\"/api/v1/applications\",method="
                      "\"POST\"} 46"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("mpp_http_errors_total{code=\"unknown_service\"} 1"), std::string::npos);
  EXPECT_NE(page.find("mpp_http_errors_total{code=\"none\"} 1"), std::string::npos)
      << "a code that is not ours is not a label";
  EXPECT_NE(page.find("# TYPE mpp_pending_changes gauge\nmpp_pending_changes{site=\"A\"} 3\n"),
            std::string::npos);
  EXPECT_EQ(page.find("7301014508900001"), std::string::npos) << "the query is never a label";
}

TEST(MetricsTest, MadeUpPathsCannotGrowThePage) {
  Metrics m;
  for (int i = 0; i < 1000; ++i) {
    std::string word;
    for (int n = i; n > 0 || word.empty(); n /= 26) word += static_cast<char>('a' + n % 26);
    m.Served("GET", "/probe/" + word, 404, 0.001);
  }
  const std::string page = m.Render({});
  size_t lines = 0;
  for (char c : page) lines += c == '\n';
  EXPECT_LT(lines, 2500u);
  EXPECT_NE(page.find("route=\"other\""), std::string::npos);
}

}  // namespace
}  // namespace mpp::http
