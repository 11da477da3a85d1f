// The centre's end of the sync protocol (docs/protocol.md), the twin of the site's Replicator:
// /sync/v1/push (apply a site's batch exactly once), /sync/v1/pull (the centre's changes a
// site may see), /sync/v1/own (a site's own changes as stored, to recover a restored site)
// and /sync/v1/digest (for verify), each checked against the peer's declared
// versions, with every response stamped with the centre's versions, clock and HLC. Who the
// peer is comes from its verified certificate (protocol::PeerFromUris), never from a body;
// refusals for who the peer is are written to the audit log.
//
// A plain function of the request, so it runs in-process in tests and behind mpp-central's
// HTTPS server alike. It knows no sockets. Thread-safe (the store serialises); never throws.
#pragma once

#include "sync/core/clock.h"
#include "sync/http/message.h"
#include "sync/protocol/wire.h"
#include "sync/store/central_store.h"

namespace mpp::replicator {

class CentralEndpoint {
 public:
  CentralEndpoint(store::CentralStore& store, Clock& clock, int schema_version)
      : store_(store), clock_(clock), schema_version_(schema_version) {}

  // True for the paths this endpoint answers (under /sync/v1/).
  static bool Serves(const http::Request& request);

  // Answers one sync request from the peer its certificate names, stamped (see Stamp).
  http::Response Handle(const http::Request& request);
  // The same, for a caller that has already named the peer.
  http::Response Handle(const http::Request& request, const protocol::Peer& peer);

  // Adds the headers every response of the centre carries: its protocol and schema versions,
  // its clock (Unix ms) and a fresh HLC stamp, from which sites correct their clocks.
  void Stamp(http::Response& response);

  // A page of `site`'s feed after `after`, as /sync/v1/pull answers it (and a bundle for the
  // site carries it): protocol::PullResponse as JSON.
  Result<Json> FeedPage(const std::string& site, int64_t after, size_t max_bytes);

  // Audits and logs a refusal of `peer` (never a body), and answers it.
  http::Response Refuse(const http::Request& request, const protocol::Peer& peer,
                        const Error& error);

 private:
  http::Response Route(const http::Request& request, const protocol::Peer& peer);
  http::Response Push(const http::Request& request, const protocol::Peer& peer);
  // The centre's changes for the site, or (`own`) the site's own changes as stored.
  http::Response Pull(const http::Request& request, const protocol::Peer& peer, bool own);
  http::Response Digest(const http::Request& request, const protocol::Peer& peer);

  store::CentralStore& store_;
  Clock& clock_;
  const int schema_version_;
};

}  // namespace mpp::replicator
