// libFuzzer target: the request routers of mpp-central (CentralApi) and mpp-node (OfficeApi)
// over real SQLite stores in a temporary directory. Any input must give a response with a
// status in 200..599 and, for 4xx/5xx, a JSON body {"error":{"code","message"}} whose code is
// not internal_error (an exception caught in the handler); never a crash, a leak or undefined
// behaviour (ASan + UBSan).
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "node/central/central_api.h"
#include "node/site/office_api.h"
#include "schema/migrations.h"
#include "sync/core/json.h"
#include "sync/core/log.h"
#include "sync/store/central_store.h"
#include "sync/store/site_store.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace mpp;

struct World {
  World() {
    SetLogLevel(LogLevel::kError);
    char tmpl[] = "/tmp/mppfuzz-XXXXXX";
    dir = mkdtemp(tmpl);
    const db::OpenOptions fast{.durability = db::Durability::kNormal};
    auto c = store::OpenSqliteCentralStore(dir + "/central.db", clock, fast);
    if (!c) std::abort();
    central = std::move(c).value();
    central_api =
        std::make_unique<central::CentralApi>(*central, clock, schema::Migrations().back().version);
    if (!store::SiteStore::Initialise(dir + "/site.db", {"MPP7301", ""}, clock, random))
      std::abort();
    auto s = store::SiteStore::Open(dir + "/site.db", clock, random,
                                    {.durability = db::Durability::kNormal, .create = false});
    if (!s) std::abort();
    site = std::move(s).value();
    office_api = std::make_unique<site::OfficeApi>(site->office());
  }
  ~World() { std::filesystem::remove_all(dir); }

  std::string dir;
  ManualClock clock{1'795'000'000'000};
  SeededRandom random{1};
  std::unique_ptr<store::CentralStore> central;
  std::unique_ptr<central::CentralApi> central_api;
  std::unique_ptr<store::SiteStore> site;
  std::unique_ptr<site::OfficeApi> office_api;
};

void CheckResponse(const http::Response& r) {
  if (r.status < 200 || r.status > 599) std::abort();
  if (r.status >= 400) {
    auto j = ParseJson(r.body);
    if (!j || !j->contains("error") || !(*j)["error"].contains("code") ||
        !(*j)["error"].contains("message"))
      std::abort();  // every error is a JSON body with a stable code and a message
    // internal_error is what a handler's exception becomes: a bug, never an answer to input.
    if ((*j)["error"]["code"] == "internal_error") std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();  // one per process: the stores keep what inputs wrote
  if (size == 0) return 0;
  http::Request req = fuzz::RequestFromBytes(data + 1, size - 1);
  if (data[0] & 1) {
    CheckResponse(world->central_api->Handle(req));
  } else {
    req.peer_uris.clear();  // the office API is local: no certificates
    CheckResponse(world->office_api->Handle(req));
  }
  return 0;
}
