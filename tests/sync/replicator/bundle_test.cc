// USB bundles with no network at all: a site's bundle answered by the centre's own endpoint,
// the centre's bundle pulled by the site's own Pull; twice, late, for the wrong site, from a
// restored disk, and what a bundle must not carry. (Signatures: tests/integration.)
#include <gtest/gtest.h>

#include "sync/core/compress.h"
#include "sync/core/hex.h"
#include "sync/replicator/bundle.h"
#include "sync/store/site_store.h"
#include "tests/sync/replicator/sync_fixture.h"

namespace mpp::testing {
namespace {

using replicator::Bundle;

class BundleTest : public SyncFixture {
 protected:
  replicator::SyncOptions Options() {
    replicator::SyncOptions o;
    o.schema_version = SchemaVersion();
    o.max_batch_bytes = 32 * 1024;  // several batches in a small test
    return o;
  }
  // What travels: the bundle through its file content and back.
  static Bundle Carry(const Bundle& b) {
    auto back = replicator::DecodeBundle(replicator::EncodeBundle(b));
    EXPECT_TRUE(back.ok()) << back.error().message;
    return back.ok() ? *back : Bundle{};
  }
  Bundle Export(TestSite& s, bool everything = false) {
    auto b = replicator::ExportSiteBundle(s.store->replica(), *s.clock, Options(), everything,
                                          replicator::NewBundleId(random_));
    EXPECT_TRUE(b.ok()) << b.error().message;
    return Carry(b.ok() ? *b : Bundle{});
  }
  Bundle Answer(const Bundle& b, const std::string& signer) {
    auto answered =
        replicator::AnswerSiteBundle(*endpoint_, b, protocol::PeerFromUris({"mpp:site:" + signer}));
    EXPECT_TRUE(answered.ok()) << answered.error().message;
    return answered.ok() ? *answered : Bundle{};
  }
  Bundle For(const std::string& site) {
    auto b =
        replicator::MakeBundleFor(*endpoint_, *central_, site, replicator::NewBundleId(random_),
                                  central_clock_, SchemaVersion());
    EXPECT_TRUE(b.ok()) << b.error().message;
    return Carry(b.ok() ? *b : Bundle{});
  }
  Result<replicator::SyncReport> Import(TestSite& s, const Bundle& b) {
    return replicator::ImportSiteBundle(s.store->replica(), *s.clock, Options(), b);
  }
  int64_t Pending(TestSite& s) { return s.store->replica().PendingChanges()->changes; }
  static bool AllAnswered(const Bundle& b) {
    for (const auto& e : b.exchanges) {
      if (e.status / 100 != 2) return false;
    }
    return true;
  }
};

TEST_F(BundleTest, ARoundTripSiteToCentreToSiteWithNoNetwork) {
  TestSite& a = AddSite("MPP7301");
  a.transport->set_cut(true);  // no link, the whole test
  const Json first = NewApp(a);
  for (int i = 0; i < 300; ++i) NewApp(a);
  const int64_t pending = Pending(a);

  const Bundle out = Export(a);
  EXPECT_EQ(out.from, "MPP7301");
  EXPECT_EQ(out.to, "centre");
  EXPECT_GT(out.exchanges.size(), 2u) << "several push batches and a pull";
  EXPECT_EQ(Pending(a), pending) << "exporting acknowledges nothing";
  const Bundle answered = Answer(out, "MPP7301");
  EXPECT_TRUE(AllAnswered(answered));
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM applications"), 301);

  ASSERT_TRUE(Decide("applications", first["id"], {{"status", "verified"}}).ok());
  auto report = Import(a, For("MPP7301"));
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_GT(report->pulled, 0);
  EXPECT_EQ(Pending(a), 0) << "the centre's acknowledgement came back";
  EXPECT_EQ((*a.store->office().GetApplication(first["id"]))["status"], "verified");
  auto history = a.store->replica().SyncHistory(10);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0]["direction"], "export");
  EXPECT_EQ((*history)[0]["pushed"], pending);
  EXPECT_EQ((*history)[1]["direction"], "import");
  EXPECT_EQ((*history)[1]["via"], "bundle");
  EXPECT_EQ((*history)[1]["outcome"], "complete");
  a.transport->set_cut(false);
  ExpectInSync(a);
}

TEST_F(BundleTest, TheSameBundleTwiceChangesNothingAndALateOneNothingBad) {
  TestSite& a = AddSite("MPP7301");
  const Json app = NewApp(a);
  const Bundle out = Export(a);
  Answer(out, "MPP7301");
  const int64_t log = CentralCount("SELECT COUNT(*) FROM change_log");
  const int64_t site_log = CentralCount("SELECT COUNT(*) FROM site_log");
  const Bundle again = Answer(out, "MPP7301");
  EXPECT_TRUE(AllAnswered(again));
  EXPECT_EQ(again.exchanges[0].response["duplicates"], out.exchanges[0].body["changes"].size());
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM change_log"), log);
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM site_log"), site_log);

  ASSERT_TRUE(Decide("applications", app["id"], {{"status", "verified"}}).ok());
  const Bundle back = For("MPP7301");
  ASSERT_TRUE(Import(a, back).ok());
  const int64_t cursor = *a.store->replica().PullCursor();
  auto twice = Import(a, back);
  ASSERT_TRUE(twice.ok()) << twice.error().message;
  EXPECT_EQ(twice->pulled, 0);
  EXPECT_EQ(*a.store->replica().PullCursor(), cursor);

  // Work synced over the network since: the old bundle moves nothing back.
  NewApp(a);
  ASSERT_TRUE(Decide("applications", app["id"], {{"status", "in_process"}}).ok());
  Sync(a);
  const int64_t acked = *a.store->replica().AckedSeq();
  const int64_t synced_cursor = *a.store->replica().PullCursor();
  ASSERT_TRUE(Import(a, back).ok());
  EXPECT_EQ(*a.store->replica().AckedSeq(), acked);
  EXPECT_EQ(*a.store->replica().PullCursor(), synced_cursor);
  EXPECT_EQ((*a.store->office().GetApplication(app["id"]))["status"], "in_process");
  ExpectInSync(a);
}

TEST_F(BundleTest, ABundleIsAnsweredWithTheNetworksRulesAndOnlyItsPushesAndPulls) {
  TestSite& a = AddSite("MPP7301");
  AddSite("MPP7310");
  NewApp(a);
  const Bundle out = Export(a);
  // Carried by site MPP7310's certificate: the push names MPP7301, refused as over the link.
  const Bundle stolen = Answer(out, "MPP7310");
  EXPECT_EQ(stolen.exchanges[0].status, 403) << stolen.exchanges[0].response.dump();
  EXPECT_EQ(stolen.exchanges[1].status, 0) << "stops at the first refusal";
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM applications"), 0);

  Bundle sneaky = out;
  sneaky.exchanges.push_back({"GET", "/sync/v1/digest", nullptr, 0, nullptr});
  auto refused = replicator::AnswerSiteBundle(*endpoint_, sneaky,
                                              protocol::PeerFromUris({"mpp:site:MPP7301"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kBadBundle);
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM applications"), 0) << "nothing done";

  // A bundle made for another site is not imported here.
  auto other = Import(a, For("MPP7310"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Errc::kBundleRefused);
  Bundle from_a_site = For("MPP7301");
  from_a_site.from = "MPP7310";
  EXPECT_EQ(Import(a, from_a_site).error().code, Errc::kBundleRefused);
}

// Issue 14 review, finding 4: a site's bundle of thousands of pulls had the centre build
// thousands of 1 MiB pages in memory. A site's bundle holds its pushes and one pull, last.
TEST_F(BundleTest, ASitesBundleHoldsOnePullAndItLast) {
  TestSite& a = AddSite("MPP7301");
  NewApp(a);
  const Bundle out = Export(a);
  ASSERT_EQ(out.exchanges.back().method, "GET");
  for (auto mutate : {+[](Bundle& b) { b.exchanges.push_back(b.exchanges.back()); },
                      +[](Bundle& b) { std::swap(b.exchanges.front(), b.exchanges.back()); }}) {
    Bundle many = out;
    mutate(many);
    auto refused = replicator::AnswerSiteBundle(*endpoint_, many,
                                                protocol::PeerFromUris({"mpp:site:MPP7301"}));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::kBadBundle);
    EXPECT_NE(refused.error().message.find("one pull, last"), std::string::npos)
        << refused.error().message;
  }
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM applications"), 0) << "nothing done";
}

// Issue 14 review, finding 6: after a sync, `mppctl export --all` resent an application the
// site had sent with its sealed NIK; the site's copy no longer has the column, the centre's
// log has it null, and the centre called the resend a different change (site_behind).
TEST_F(BundleTest, EverythingAgainAfterASyncIsTakenAsDuplicates) {
  TestSite& a = AddSite("MPP7301");
  ASSERT_TRUE(a.store->office()
                  .CreateApplication({{"service_code", "DKC-KTP"}, {"nik", "7301014508900001"}})
                  .ok());
  NewApp(a);
  Sync(a);
  const Bundle all = Answer(Export(a, /*everything=*/true), "MPP7301");
  ASSERT_TRUE(AllAnswered(all)) << all.exchanges[0].response.dump();
  EXPECT_EQ(all.exchanges[0].response["duplicates"], all.exchanges[0].body["changes"].size());
  ExpectInSync(a);
}

TEST_F(BundleTest, ARestoredDiskIsToldToSyncOverTheNetworkAndNothingChanges) {
  TestSite& a = AddSite("MPP7301");
  for (int i = 0; i < 5; ++i) NewApp(a);
  Sync(a);
  // The disk goes back to before those applications: a fresh site file, same code.
  ReopenSite(a, [&](const std::string& path) {
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    ASSERT_TRUE(store::SiteStore::Initialise(path, {"MPP7301", NikKeysForTests().public_pem},
                                             *a.clock, random_)
                    .ok());
  });
  auto r = Import(a, For("MPP7301"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kSiteBehind);
  EXPECT_NE(r.error().message.find("Sync over the network"), std::string::npos);
  EXPECT_EQ(*a.store->replica().AckedSeq(), 0);
}

// Issue 14 review, finding 2: a disk restored from a backup that then took as much new work
// as it had lost had the centre's bundle acknowledge the new changes under the old numbers:
// they would never have been sent. The bundle names the stamp of the change it acknowledges.
TEST_F(BundleTest, ARestoredDiskWithNewWorkUnderTheSameNumbersAcknowledgesNothing) {
  TestSite& a = AddSite("MPP7301");
  for (int i = 0; i < 3; ++i) NewApp(a);
  Sync(a);
  const std::string backup = dir_.File("backup.db");
  ReopenSite(a, [&](const std::string& path) { std::filesystem::copy_file(path, backup); });
  for (int i = 0; i < 2; ++i) NewApp(a);
  Sync(a);
  const Bundle back = For("MPP7301");
  ReopenSite(a, [&](const std::string& path) {
    std::filesystem::copy_file(backup, path, std::filesystem::copy_options::overwrite_existing);
  });
  a.clock->Advance(60'000);
  for (int i = 0; i < 3; ++i) NewApp(a);  // more than was lost: the numbers are all there
  const int64_t acked = *a.store->replica().AckedSeq(), pending = Pending(a);
  auto r = Import(a, back);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kSiteBehind);
  EXPECT_NE(r.error().message.find("sync over the network"), std::string::npos);
  EXPECT_EQ(*a.store->replica().AckedSeq(), acked);
  EXPECT_EQ(Pending(a), pending) << "the new work is still to send";
  auto synced = Sync(a);
  EXPECT_GT(synced.recovered, 0);
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM applications"), 8);
  ExpectInSync(a);
}

TEST_F(BundleTest, ABundleCarriesNoNikAndNoKeyAndADamagedOneIsRefused) {
  TestSite& a = AddSite("MPP7301");
  const std::string nik = "7301014508900001";
  ASSERT_TRUE(
      a.store->office().CreateApplication({{"service_code", "DKC-KTP"}, {"nik", nik}}).ok());
  const std::string content = replicator::EncodeBundle(Export(a));
  auto text = ZstdDecompress(content, replicator::kMaxBundleBytes);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->find(nik), std::string::npos);
  const std::string key = ReadFile(store::SiteRefKeyPath(dir_.File("MPP7301.db")));
  EXPECT_EQ(text->find(HexEncode(key)), std::string::npos);
  EXPECT_NE(text->find("nik_sealed"), std::string::npos) << "the NIK travels sealed";

  for (const std::string& damaged :
       {content.substr(0, content.size() / 2), std::string("not a bundle"),
        ZstdCompress("{\"format\":\"mpp-bundle\",\"version\":2}"), ZstdCompress("[1,2,3]")}) {
    auto b = replicator::DecodeBundle(damaged);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().code, Errc::kBadBundle) << b.error().message;
  }
}

}  // namespace
}  // namespace mpp::testing
