#include "node/site/node_metrics.h"

#include <fstream>
#include <iterator>
#include <map>

#include "sync/core/json.h"
#include "sync/core/time_util.h"

namespace mpp::site {

std::vector<http::Gauge> NodeGauges(store::SiteStore& store, const std::string& data_dir,
                                    Clock& clock) {
  std::vector<http::Gauge> g;
  const std::string site = "site=\"" + store.site_code() + "\"";
  if (auto p = store.replica().PendingChanges(); p) {
    g.push_back({"mpp_pending_changes",
                 "This site's changes not yet acknowledged by the centre.",
                 {{site, static_cast<double>(p->changes)}}});
    g.push_back(
        {"mpp_pending_bytes", "Their size (JSON bytes).", {{site, static_cast<double>(p->bytes)}}});
  }
  if (auto s = store.office().StatusSummary(); s) {
    g.push_back({"mpp_sealed_niks_waiting",
                 "Sealed NIKs the centre has not acknowledged yet.",
                 {{site, static_cast<double>(s->value("sealed_niks_waiting", int64_t{0}))}}});
    g.push_back(
        {"mpp_clock_offset_seconds",
         "The centre's clock minus this PC's, at the last sync.",
         {{site, static_cast<double>((*s)["clock"].value("offset_from_centre_ms", int64_t{0})) /
                     1000.0}}});
  }
  if (auto c = store.office().ListConflicts(std::string("open")); c) {
    g.push_back({"mpp_conflicts_open",
                 "Conflict records about this site not resolved yet.",
                 {{site, static_cast<double>((*c)["items"].size())}}});
  }
  if (auto history = store.replica().SyncHistory(1000); history) {
    const int64_t now = clock.NowMs();
    std::map<std::string, double> outcomes = {{"complete", 0}, {"partial", 0}, {"failed", 0}};
    std::map<std::string, double> errors;
    Json contact, push, pull;
    for (const Json& h : *history) {
      outcomes[h["outcome"].get<std::string>()] += 1;
      if (!h["error"].is_null()) errors[h["error"]["code"].get<std::string>()] += 1;
      if (h["contacted"].get<bool>()) contact = h["finished_at"];
      if (h["push_complete"].get<bool>()) push = h["finished_at"];
      if (h["pull_complete"].get<bool>()) pull = h["finished_at"];
    }
    http::Gauge attempts{
        "mpp_sync_attempts", "Sync attempts in the history (the newest 1,000), by outcome.", {}};
    for (const auto& [o, n] : outcomes)
      attempts.values.push_back({site + ",outcome=\"" + o + "\"", n});
    g.push_back(std::move(attempts));
    http::Gauge by_code{"mpp_sync_errors", "Failed attempts in the history, by error code.", {}};
    for (const auto& [code, n] : errors)
      by_code.values.push_back({site + ",code=\"" + code + "\"", n});
    g.push_back(std::move(by_code));
    auto age = [&](const char* name, const char* help, const Json& when) {
      if (!when.is_string()) return;
      auto t = ParseRfc3339(when.get<std::string>());
      if (t) g.push_back({name, help, {{site, static_cast<double>(now - *t) / 1000.0}}});
    };
    age("mpp_last_contact_age_seconds", "Seconds since a sync last got an answer from the centre.",
        contact);
    age("mpp_last_push_age_seconds", "Seconds since the last complete push.", push);
    age("mpp_last_pull_age_seconds", "Seconds since the last complete pull.", pull);
  }
  if (std::ifstream in(data_dir + "/sync-agent.json"); in) {
    auto agent = ParseJson(
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    if (agent && agent->is_object()) {
      g.push_back({"mpp_sync_agent_failures_in_a_row",
                   "The background sync's failures since it last reached the centre.",
                   {{site, static_cast<double>(agent->value("failures_in_a_row", 0))}}});
    }
  }
  return g;
}

}  // namespace mpp::site
