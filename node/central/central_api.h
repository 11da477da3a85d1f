// The API of mpp-central (docs/protocol.md): the sync endpoints for sites, delegated to the
// sync library's CentralEndpoint, and the centre's own endpoints for the ministry and
// operators (/api/v1). A plain function of the request and the verified peer, so it is tested
// without sockets; authorisation is decided here, from the client certificate only
// (http::Request::peer_uris), never from the request body. Adds what makes it a program: a
// rate limit per certificate and a log line per request.
#pragma once

#include <memory>

#include "node/central/rate_limiter.h"
#include "sync/core/clock.h"
#include "sync/http/message.h"
#include "sync/http/metrics.h"
#include "sync/protocol/wire.h"
#include "sync/replicator/central_endpoint.h"
#include "sync/store/central_store.h"

namespace mpp::central {

class CentralApi {
 public:
  CentralApi(store::CentralStore& store, Clock& clock, int schema_version)
      : store_(store), clock_(clock), sync_(store, clock, schema_version) {}
  // Never throws. Thread-safe.
  http::Response Handle(const http::Request& request);
  // From now on each certificate may make `per_second` requests a second (`burst` at once);
  // beyond that: 429 rate_limited with Retry-After. Call before serving.
  void LimitRate(double per_second, double burst);

 private:
  http::Response Route(const http::Request& request, const protocol::Peer& peer);
  // GET /metrics: every request counted, and per site what the ministry watches (how long
  // since it last pushed, what the centre holds of it), from the store at each scrape.
  http::Response MetricsPage();

  store::CentralStore& store_;
  Clock& clock_;
  replicator::CentralEndpoint sync_;
  std::unique_ptr<RateLimiter> limiter_;  // null: no limit
  http::Metrics metrics_;
};

}  // namespace mpp::central
