// A centre and several sites in one process: real SQLite files, the real CentralEndpoint, the
// real Replicator, joined by LocalTransport. Clocks are ManualClocks the test moves. A test of
// mpp-central's whole API puts its handler in `centre_` (tests/node/central).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "schema/migrations.h"
#include "sync/protocol/messages.h"
#include "sync/protocol/wire.h"
#include "sync/replicator/central_endpoint.h"
#include "sync/replicator/replicator.h"
#include "sync/store/central_store.h"
#include "sync/store/site_store.h"
#include "tests/support/local_transport.h"
#include "tests/support/nik_keys.h"
#include "tests/support/temp_dir.h"

namespace mpp::testing {

constexpr int64_t kSyncT0 = 1'795'000'000'000;

struct TestSite {
  std::string code;
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<store::SiteStore> store;
  std::unique_ptr<LocalTransport> transport;
  std::unique_ptr<replicator::Replicator> replicator;
};

class SyncFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = store::OpenSqliteCentralStore(dir_.File("central.db"), central_clock_, {},
                                           NikKeysForTests().centre);
    ASSERT_TRUE(c.ok()) << c.error().message;
    central_ = std::move(c).value();
    endpoint_ =
        std::make_unique<replicator::CentralEndpoint>(*central_, central_clock_, SchemaVersion());
    centre_ = [this](const http::Request& r) { return endpoint_->Handle(r); };
  }
  // Reopens the centre's store from its file, as after a restart, with `keys` to open the
  // sealed NIKs.
  void RestartCentre(std::shared_ptr<const CitizenKeys> keys = NikKeysForTests().centre) {
    endpoint_.reset();
    central_.reset();
    auto c =
        store::OpenSqliteCentralStore(dir_.File("central.db"), central_clock_, {}, std::move(keys));
    ASSERT_TRUE(c.ok()) << c.error().message;
    central_ = std::move(c).value();
    endpoint_ =
        std::make_unique<replicator::CentralEndpoint>(*central_, central_clock_, SchemaVersion());
  }
  static int SchemaVersion() { return schema::Migrations().back().version; }

  TestSite& AddSite(const std::string& code) {
    auto& s = sites_[code];
    s.code = code;
    s.clock = std::make_unique<ManualClock>(kSyncT0);
    const std::string path = dir_.File(code + ".db");
    EXPECT_TRUE(
        store::SiteStore::Initialise(path, {code, NikKeysForTests().public_pem}, *s.clock, random_)
            .ok());
    auto st = store::SiteStore::Open(path, *s.clock, random_);
    EXPECT_TRUE(st.ok());
    s.store = std::move(st).value();
    s.transport =
        std::make_unique<LocalTransport>([this](const http::Request& r) { return centre_(r); },
                                         std::vector<std::string>{"mpp:site:" + code});
    replicator::SyncOptions o;
    o.schema_version = SchemaVersion();
    o.initial_batch_bytes = 4096;  // several batches even for small tests
    s.replicator =
        std::make_unique<replicator::Replicator>(s.store->replica(), *s.transport, *s.clock, o);
    return s;
  }

  // Closes the site's store (as a PC switched off), runs `between` on its file, and opens it
  // again with a new replicator.
  void ReopenSite(TestSite& s, const std::function<void(const std::string& path)>& between = {}) {
    s.replicator.reset();
    s.store.reset();
    const std::string path = dir_.File(s.code + ".db");
    if (between) between(path);
    auto st = store::SiteStore::Open(path, *s.clock, random_);
    ASSERT_TRUE(st.ok()) << st.error().message;
    s.store = std::move(st).value();
    replicator::SyncOptions o;
    o.schema_version = SchemaVersion();
    o.initial_batch_bytes = 4096;
    s.replicator =
        std::make_unique<replicator::Replicator>(s.store->replica(), *s.transport, *s.clock, o);
  }

  replicator::SyncReport Sync(TestSite& s) {
    auto r = s.replicator->SyncOnce();
    EXPECT_TRUE(r.ok()) << s.code << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : replicator::SyncReport{};
  }

  void ExpectInSync(TestSite& s) {
    auto v = s.replicator->Verify();
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_TRUE((*v)["in_sync"].get<bool>()) << s.code << ": " << v->dump();
  }

  // A call to the centre with a certificate naming `uri`, in-process.
  http::Response AsRole(const std::string& uri, const std::string& method,
                        const std::string& target, const Json& body = nullptr) {
    http::Request r;
    r.method = method;
    r.target = target;
    r.body = body.is_null() ? "" : body.dump();
    r.content_type = "application/json";
    r.peer_uris = {uri};
    r.headers = protocol::VersionHeaders(SchemaVersion());
    return centre_(r);
  }

  // A decision taken centrally by an operator (what PATCH /api/v1/records does).
  Result<Json> Decide(const std::string& table, const std::string& id, const Json& columns) {
    return central_->UpdateRow(table, id, columns, "mpp:role:operator");
  }

  int64_t CentralCount(const std::string& sql) {
    auto db = db::Database::Open(dir_.File("central.db"), {.create = false});
    auto s = (*db)->Prepare(sql);
    EXPECT_TRUE(s.ok()) << sql;
    EXPECT_TRUE((*s)->Step().ok());
    return (*s)->ColumnInt(0);
  }

  Json NewApp(TestSite& s, const std::string& service = "DKC-KTP") {
    auto r = s.store->office().CreateApplication({{"service_code", service}});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Json();
  }

  TempDir dir_;
  ManualClock central_clock_{kSyncT0};
  SeededRandom random_{11};
  std::unique_ptr<store::CentralStore> central_;
  std::unique_ptr<replicator::CentralEndpoint> endpoint_;
  http::Handler centre_;
  std::map<std::string, TestSite> sites_;
};

}  // namespace mpp::testing
