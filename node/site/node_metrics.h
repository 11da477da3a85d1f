// The gauges of mpp-node's GET /metrics, read from the site's store, its sync history and the
// sync agent's state at each scrape: what waits to sync, how long since the centre was last
// reached, the recent attempts and their errors, the agent's backoff. No personal data.
#pragma once

#include <string>
#include <vector>

#include "sync/core/clock.h"
#include "sync/http/metrics.h"
#include "sync/store/site_store.h"

namespace mpp::site {

std::vector<http::Gauge> NodeGauges(store::SiteStore& store, const std::string& data_dir,
                                    Clock& clock);

}  // namespace mpp::site
