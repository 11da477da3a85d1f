// The office API of mpp-node (docs/api.md): routes a request to the SiteStore and turns the
// result into a response. A plain function of the request, so it is tested without sockets,
// and the one place where store errors become HTTP statuses and JSON error bodies.
#pragma once

#include "sync/net/http_types.h"
#include "sync/store/site_store.h"

namespace mpp::site {

class OfficeApi {
 public:
  explicit OfficeApi(store::SiteStore& store) : store_(store) {}
  // Never throws. Thread-safe (the store serialises).
  net::HttpResponse Handle(const net::HttpRequest& request);

 private:
  net::HttpResponse Route(const net::HttpRequest& request);
  store::SiteStore& store_;
};

}  // namespace mpp::site
