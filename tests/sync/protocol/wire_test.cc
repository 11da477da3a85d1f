#include "sync/protocol/wire.h"

#include <gtest/gtest.h>

namespace mpp::protocol {
namespace {

TEST(WireTest, TheCentreServesItsVersionAndOlderSchemas) {
  EXPECT_TRUE(CheckPeerVersions({kProtocolVersion, 3}, 3).ok());
  EXPECT_TRUE(CheckPeerVersions({kOldestProtocolServed, 2}, 3).ok());  // a site not yet upgraded
  auto newer_schema = CheckPeerVersions({kProtocolVersion, 4}, 3);
  ASSERT_FALSE(newer_schema.ok());
  EXPECT_EQ(newer_schema.error().code, Errc::kIncompatibleVersion);
  EXPECT_NE(newer_schema.error().message.find("upgrade mpp-central"), std::string::npos);
  EXPECT_FALSE(CheckPeerVersions({kProtocolVersion + 1, 3}, 3).ok());
  EXPECT_FALSE(CheckPeerVersions({0, 3}, 3).ok());
}

TEST(WireTest, PeerVersionsAreReadFromTheHeadersOnce) {
  http::Request r;
  r.headers = VersionHeaders(3);
  const PeerVersions v = ReadPeerVersions(r);
  EXPECT_EQ(v.protocol, kProtocolVersion);
  EXPECT_EQ(v.schema, 3);
  r.headers = {{kHeaderProtocol, "1x"}, {kHeaderSchema, ""}};
  EXPECT_EQ(ReadPeerVersions(r).protocol, 0);  // not a number: no version at all
  EXPECT_EQ(ReadPeerVersions(r).schema, 0);
}

TEST(WireTest, PeersAreNamedByTheirCertificateUris) {
  using Role = Peer::Role;
  EXPECT_EQ(PeerFromUris({"mpp:site:MPP7301"}).role, Role::kSite);
  EXPECT_EQ(PeerFromUris({"mpp:site:MPP7301"}).site, "MPP7301");
  EXPECT_EQ(PeerFromUris({"x", "mpp:role:ministry"}).role, Role::kMinistry);
  EXPECT_EQ(PeerFromUris({"mpp:role:operator"}).role, Role::kOperator);
  EXPECT_EQ(PeerFromUris({"mpp:site:"}).role, Role::kNone);
  EXPECT_EQ(PeerFromUris({}).name, "anonymous");
  // Issue 11, finding 4: one certificate, one identity. A site and a role, two sites, or a
  // site with an mpp: URI this build does not know is no identity at all.
  for (const std::vector<std::string>& two :
       {std::vector<std::string>{"mpp:site:MPP7301", "mpp:role:operator"},
        std::vector<std::string>{"mpp:site:MPP7301", "mpp:site:MPP7302"},
        std::vector<std::string>{"mpp:site:CENTRAL", "mpp:site:MPP7301"},
        std::vector<std::string>{"mpp:role:admin", "mpp:role:ministry"},
        std::vector<std::string>{"mpp:site:MPP7301", "MPP:role:operator"}}) {
    const Peer p = PeerFromUris(two);
    EXPECT_EQ(p.role, Role::kNone) << two[0] << " " << two[1];
    EXPECT_TRUE(p.ambiguous);
  }
  EXPECT_EQ(PeerFromUris({std::string(5000, 'x')}).name.size(), 200u);
  // Issue 11, finding 4: a certificate for mpp:site:CENTRAL acted as the centre. Only site
  // codes (MPP and four digits) name a site.
  for (const char* uri : {"mpp:site:CENTRAL", "mpp:site:MPP730", "mpp:site:MPP73011",
                          "mpp:site:mpp7301", "mpp:site:MPP73O1", "mpp:site:MPP7301 "}) {
    EXPECT_EQ(PeerFromUris({uri}).role, Role::kNone) << uri;
  }
  EXPECT_FALSE(IsSiteCode("CENTRAL"));
}

}  // namespace
}  // namespace mpp::protocol

namespace mpp::protocol {
namespace {

// Issue 14 review, finding 7: a site imported a bundle signed by any certificate naming
// mpp:centre among others (a site's or an operator's that also said mpp:centre).
TEST(NamesOnlyTheCentreTest, TheCentreAndNothingElseOfOurs) {
  EXPECT_TRUE(NamesOnlyTheCentre({"mpp:centre"}));
  EXPECT_TRUE(NamesOnlyTheCentre({"https://kemenpan.go.id", "mpp:centre"}));
  EXPECT_FALSE(NamesOnlyTheCentre({}));
  EXPECT_FALSE(NamesOnlyTheCentre({"mpp:site:MPP7301", "mpp:centre"}));
  EXPECT_FALSE(NamesOnlyTheCentre({"mpp:centre", "MPP:role:operator"}));
  EXPECT_FALSE(NamesOnlyTheCentre({"MPP:centre"}));
  EXPECT_FALSE(NamesOnlyTheCentre({"mpp:centre", "mpp:centre"}));
}

}  // namespace
}  // namespace mpp::protocol
