// The API of mpp-central (docs/protocol.md): the sync endpoints for sites and the centre's
// own endpoints for the ministry and operators. A plain function of the request and the
// verified peer, so it is tested without sockets; authorisation is decided here, from the
// client certificate only (HttpRequest::peer_uris), never from the request body.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "node/central/rate_limiter.h"
#include "sync/core/clock.h"
#include "sync/net/http_types.h"
#include "sync/store/central_store.h"

namespace mpp::central {

struct Peer {
  enum class Role { kNone, kSite, kMinistry, kOperator };
  Role role = Role::kNone;
  std::string site;  // for kSite
  std::string name;  // for logs and the audit log: "mpp:site:MPP7301", "mpp:role:ministry"
};

// From the certificate's SAN URIs: mpp:site:<code>, mpp:role:ministry, mpp:role:operator.
Peer PeerFromUris(const std::vector<std::string>& uris);

class CentralApi {
 public:
  CentralApi(store::CentralStore& store, Clock& clock, int schema_version)
      : store_(store), clock_(clock), schema_version_(schema_version) {}
  // Never throws. Thread-safe.
  net::HttpResponse Handle(const net::HttpRequest& request);
  // From now on each certificate may make `per_second` requests a second (`burst` at once);
  // beyond that: 429 rate_limited with Retry-After. Call before serving.
  void LimitRate(double per_second, double burst);

 private:
  net::HttpResponse Route(const net::HttpRequest& request, const Peer& peer);
  net::HttpResponse Push(const net::HttpRequest& request, const Peer& peer);
  net::HttpResponse Pull(const net::HttpRequest& request, const Peer& peer);
  net::HttpResponse Refuse(const net::HttpRequest& request, const Peer& peer, const Error& e);

  store::CentralStore& store_;
  Clock& clock_;
  const int schema_version_;
  std::unique_ptr<RateLimiter> limiter_;  // null: no limit
};

}  // namespace mpp::central
