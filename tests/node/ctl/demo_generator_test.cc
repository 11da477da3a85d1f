#include "node/ctl/demo_generator.h"

#include <gtest/gtest.h>

#include "node/site/office_api.h"
#include "tests/sync/store/store_fixture.h"

namespace mpp::ctl {
namespace {

class DemoGeneratorTest : public store::StoreFixture {};

TEST_F(DemoGeneratorTest, VisitsGoThroughTheApiWithoutErrorsAndAreReproducible) {
  site::OfficeApi api(store_->office());
  auto call = [&](const std::string& method, const std::string& path, const Json& body) {
    auto r =
        api.Handle({method, path, "application/json", body.is_null() ? "" : body.dump(), {}, {}});
    return std::pair<int, Json>(r.status, Json::parse(r.body));
  };
  auto services_json = Json::parse(api.Handle({"GET", "/api/v1/services", "", "", {}, {}}).body);
  std::vector<Service> services;
  for (const auto& s : services_json["items"])
    services.push_back({s["code"], s["agency_code"], s["fee_idr"]});
  std::vector<Counter> counters = {{"G01", "DPMPTSP"}, {"G02", "DUKCAPIL"}};
  const VisitTotals a = GenerateVisits(200, 99, "7301", services, counters, call);
  EXPECT_EQ(a.failed_calls, 0);
  EXPECT_EQ(a.applications, 200);
  EXPECT_EQ(a.completed + a.rejected + a.cancelled + a.open, 200);
  EXPECT_GT(a.completed, 100);
  EXPECT_GT(a.surveys, 0);
  EXPECT_EQ(Rows("applications"), 200);
  EXPECT_EQ(Rows("payments"), a.payments);
  const VisitTotals b = GenerateVisits(200, 99, "7301", services, counters, call);
  EXPECT_EQ(a.completed, b.completed);
  EXPECT_EQ(a.surveys, b.surveys);
}

}  // namespace
}  // namespace mpp::ctl
