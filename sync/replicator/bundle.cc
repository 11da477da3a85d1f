#include "sync/replicator/bundle.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "sync/core/compress.h"
#include "sync/core/time_util.h"
#include "sync/protocol/messages.h"
#include "sync/protocol/wire.h"

namespace mpp::replicator {
namespace {

constexpr std::string_view kFormat = "mpp-bundle";
constexpr int kFormatVersion = 1;

Error Bad(const std::string& what) {
  return MakeError(Errc::kBadBundle, "not a bundle of this version: " + what);
}

}  // namespace

std::string NewBundleId(Random& random) {
  char id[33];
  std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(random.Next()),
                static_cast<unsigned long long>(random.Next()));
  return id;
}

std::string EncodeBundle(const Bundle& b) {
  Json exchanges = Json::array();
  for (const Exchange& e : b.exchanges) {
    Json j = {{"method", e.method}, {"target", e.target}, {"body", e.body}};
    if (e.status != 0) {
      j["status"] = e.status;
      j["response"] = e.response;
    }
    exchanges.push_back(std::move(j));
  }
  const Json j = {{"format", kFormat},
                  {"version", kFormatVersion},
                  {"id", b.id},
                  {"from", b.from},
                  {"to", b.to},
                  {"created_at", b.created_at},
                  {"protocol", b.protocol},
                  {"schema", b.schema},
                  {"exchanges", std::move(exchanges)}};
  return ZstdCompress(DumpJson(j), 3);
}

Result<Bundle> DecodeBundle(std::string_view content) {
  auto text = ZstdDecompress(content, kMaxBundleBytes);
  if (!text) {
    if (text.error().code == Errc::kBodyTooLarge) return text.error();
    return MakeError(Errc::kBadBundle, "the bundle's content is not zstd: " + text.error().message);
  }
  // A bundle is many pages: its own bound on values, the same bound on nesting.
  auto parsed = ParseJson(*text, kMaxJsonDepth, kMaxBundleValues);
  if (!parsed)
    return MakeError(Errc::kBadBundle, "its content is not JSON: " + parsed.error().message);
  const Json& j = *parsed;
  if (!j.is_object() || j.value("format", "") != kFormat)
    return Bad("no \"format\": \"mpp-bundle\"");
  if (!j.contains("version") || j["version"] != kFormatVersion) {
    return Bad("bundle version " + (j.contains("version") ? j["version"].dump() : "none") +
               " (this build reads " + std::to_string(kFormatVersion) + ")");
  }
  Bundle b;
  for (const char* k : {"id", "from", "to", "created_at"}) {
    if (!j.contains(k) || !j[k].is_string() || j[k].get<std::string>().size() > 64) {
      return Bad(std::string("\"") + k + "\" is not a short string");
    }
  }
  b.id = j["id"];
  b.from = j["from"];
  b.to = j["to"];
  b.created_at = j["created_at"];
  for (const char* k : {"protocol", "schema"}) {
    if (!j.contains(k) || !j[k].is_number_integer() || j[k].get<int64_t>() < 0 ||
        j[k].get<int64_t>() > 1'000'000) {
      return Bad(std::string("\"") + k + "\" is not a version number");
    }
  }
  b.protocol = j["protocol"].get<int>();
  b.schema = j["schema"].get<int>();
  if (!j.contains("exchanges") || !j["exchanges"].is_array()) return Bad("no \"exchanges\" list");
  for (const Json& e : j["exchanges"]) {
    if (!e.is_object() || !e.contains("method") || !e["method"].is_string() ||
        !e.contains("target") || !e["target"].is_string()) {
      return Bad("an exchange without a method and a target");
    }
    Exchange x;
    x.method = e["method"];
    x.target = e["target"];
    x.body = e.value("body", Json());
    if (e.contains("status")) {
      if (!e["status"].is_number_integer() || e["status"].get<int>() < 100 ||
          e["status"].get<int>() > 599 || !e.contains("response")) {
        return Bad("an answer without an HTTP status and a response");
      }
      x.status = e["status"].get<int>();
      x.response = e["response"];
    }
    b.exchanges.push_back(std::move(x));
  }
  return b;
}

}  // namespace mpp::replicator

namespace mpp::replicator {
namespace {

// The answers of a centre's bundle as a transport: the site's Replicator pulls through it as
// over the network. A pull after X gets the page of the bundle that holds X (its changes at
// or before X left out), or an empty last page past the bundle's end.
class ReplayTransport final : public SyncTransport {
 public:
  ReplayTransport(const Bundle& bundle, int64_t acked) : acked_(acked) {
    for (const Exchange& e : bundle.exchanges) {
      if (e.method == "GET" && e.status == 200 && PathOf(e.target) == protocol::kPullPath) {
        pages_.push_back(&e);
      }
    }
  }

  Result<http::Response> Send(const http::Request& request) override {
    if (request.method != "GET" || PathOf(request.target) != protocol::kPullPath) {
      return MakeError(Errc::kBadBundle,
                       request.method + " " + request.target + " is not answered in this bundle");
    }
    const int64_t after = AfterOf(request.target);
    Json page;
    for (const Exchange* e : pages_) {
      auto p = protocol::PullResponseFromJson(e->response);
      if (!p) return MakeError(Errc::kBadBundle, "a page of the bundle: " + p.error().message);
      const int64_t from = AfterOf(e->target);
      if (from <= after && after < p->next_cursor) {
        std::vector<Change> newer;
        for (Change& c : p->changes) {
          if (c.seq > after) newer.push_back(std::move(c));
        }
        p->changes = std::move(newer);
        page = protocol::ToJson(*p);
        break;
      }
      if (from > after && page.is_null()) {
        return MakeError(Errc::kBadBundle,
                         "the bundle's pages start after change " + std::to_string(from) +
                             " of the centre, and this site holds them only to " +
                             std::to_string(after) + ": make a new bundle for it, or sync");
      }
    }
    if (page.is_null()) {  // past the bundle's end: nothing more in it
      protocol::PullResponse end;
      end.next_cursor = after;
      end.site_acked_seq = acked_;
      page = protocol::ToJson(end);
    }
    const std::string body = DumpJson(page);
    received_ += body.size();
    return http::Response{200, "application/json", body, {}};
  }
  uint64_t bytes_received() const override { return received_; }

 private:
  static std::string_view PathOf(std::string_view target) {
    return target.substr(0, target.find('?'));
  }
  static int64_t AfterOf(std::string_view target) {
    const auto at = target.find("after=");
    return at == std::string_view::npos ? 0
                                        : std::atoll(std::string(target.substr(at + 6)).c_str());
  }

  std::vector<const Exchange*> pages_;
  int64_t acked_;
  uint64_t received_ = 0;
};

std::string PullTarget(int64_t after, size_t max_bytes) {
  return std::string(protocol::kPullPath) + "?after=" + std::to_string(after) +
         "&max_bytes=" + std::to_string(max_bytes);
}

}  // namespace

Result<Bundle> ExportSiteBundle(store::SiteReplica& replica, Clock& clock,
                                const SyncOptions& options, bool everything, std::string id) {
  const int64_t started = clock.NowMs();
  Bundle b;
  b.id = std::move(id);
  b.from = replica.site_code();
  b.to = std::string(kBundleFromCentre);
  b.created_at = FormatUtc(started);
  b.protocol = protocol::kProtocolVersion;
  b.schema = options.schema_version;
  MPP_ASSIGN_OR_RETURN(const int64_t acked, replica.AckedSeq());
  int64_t after = everything ? 0 : acked, changes = 0;
  size_t bytes = 0;
  for (;;) {
    MPP_ASSIGN_OR_RETURN(auto outbox, replica.ReadOutbox(after, options.max_batch_bytes));
    if (outbox.changes.empty()) break;
    const int64_t first = outbox.changes.front().seq;
    after = outbox.changes.back().seq;
    changes += static_cast<int64_t>(outbox.changes.size());
    bytes += outbox.bytes;
    b.exchanges.push_back(
        {"POST", std::string(protocol::kPushPath),
         protocol::ToJson(protocol::PushRequest{b.from, first, std::move(outbox.changes)}), 0,
         nullptr});
    if (bytes > kMaxBundleBytes / 2) {
      return MakeError(Errc::kBodyTooLarge,
                       "more than " + std::to_string(kMaxBundleBytes / 2 >> 20) +
                           " MiB of changes wait: sync over a link, or carry two bundles");
    }
  }
  MPP_ASSIGN_OR_RETURN(const int64_t cursor, replica.PullCursor());
  b.exchanges.push_back({"GET", PullTarget(cursor, options.pull_page_bytes), nullptr, 0, nullptr});
  store::SiteReplica::SyncRecord record;
  record.started_ms = started;
  record.finished_ms = clock.NowMs();
  record.via = "bundle";
  record.direction = "export";
  record.outcome = "complete";
  record.pushed = changes;
  record.bytes_sent = bytes;
  MPP_RETURN_IF_ERROR(replica.RecordSync(record));
  return b;
}

Result<SyncReport> ImportSiteBundle(store::SiteReplica& replica, Clock& clock,
                                    const SyncOptions& options, const Bundle& bundle) {
  if (bundle.from != kBundleFromCentre || bundle.to != replica.site_code()) {
    return MakeError(Errc::kBundleRefused, "the bundle is from " + bundle.from + " for " +
                                               bundle.to + ", not from the centre for " +
                                               replica.site_code());
  }
  const Exchange* hello = nullptr;
  for (const Exchange& e : bundle.exchanges) {
    if (e.method == "GET" && e.target == protocol::kHelloPath && e.status == 200) hello = &e;
  }
  if (!hello || !hello->response.contains("acked_seq") ||
      !hello->response["acked_seq"].is_number_integer()) {
    return MakeError(Errc::kBadBundle, "the bundle does not say what the centre holds");
  }
  const int64_t theirs = hello->response["acked_seq"].get<int64_t>();
  MPP_ASSIGN_OR_RETURN(const int64_t acked, replica.AckedSeq());
  MPP_ASSIGN_OR_RETURN(const auto pending, replica.PendingChanges());
  if (theirs > acked + pending.changes) {
    return MakeError(Errc::kSiteBehind,
                     "the centre holds this site's changes up to seq " + std::to_string(theirs) +
                         ", more than this disk has (" + std::to_string(acked + pending.changes) +
                         "): it was restored from a backup. Sync over the network once: that "
                         "brings them back (a bundle cannot)");
  }
  // As a push's answer: what the centre holds is acknowledged (never moves back: an older
  // bundle says less than a later sync did). But only when the change this disk holds under
  // that number is the one the centre holds: a disk restored from a backup that then took
  // new work has other changes under the same numbers, which must still be sent.
  if (theirs > acked) {
    if (hello->response.contains("acked_hlc")) {
      MPP_ASSIGN_OR_RETURN(auto mine, replica.ReadOutbox(theirs - 1, 1));
      const Json& hlc = hello->response["acked_hlc"];
      if (mine.changes.empty() || mine.changes.front().seq != theirs || !hlc.is_number_integer() ||
          static_cast<HlcStamp>(hlc.get<int64_t>()) != mine.changes.front().hlc) {
        return MakeError(Errc::kSiteBehind,
                         "change " + std::to_string(theirs) +
                             " of this site differs from the one the centre holds under that "
                             "number: this disk was restored from a backup and took new work "
                             "since. Nothing was changed; sync over the network once (it "
                             "recovers the centre's copies and sends the new work after them)");
      }
    }
    MPP_RETURN_IF_ERROR(replica.MarkAcked(theirs));
  }
  ReplayTransport replay(bundle, theirs);
  Replicator puller(replica, replay, clock, options);
  SyncRun run;
  run.push = false;
  run.measure_clock = false;  // the bundle's answers are days old
  run.via = "bundle";
  run.direction = "import";
  auto report = puller.Sync(run);
  if (!report) return report.error();
  report->acked_seq = std::max(theirs, acked);
  return report;
}

}  // namespace mpp::replicator

namespace mpp::replicator {

Result<Bundle> AnswerSiteBundle(CentralEndpoint& endpoint, Bundle bundle,
                                const protocol::Peer& peer) {
  // Its pushes, and one pull, last (what ExportSiteBundle makes): the answers the centre
  // builds stay one page.
  for (size_t i = 0; i < bundle.exchanges.size(); ++i) {
    const Exchange& e = bundle.exchanges[i];
    const std::string_view path = std::string_view(e.target).substr(0, e.target.find('?'));
    const bool push = e.method == "POST" && e.target == protocol::kPushPath;
    const bool pull = e.method == "GET" && path == protocol::kPullPath;
    if (!push && !pull) {
      return MakeError(Errc::kBadBundle, "a site's bundle holds pushes and one pull, last, not " +
                                             e.method.substr(0, 8) + " " + e.target.substr(0, 64));
    }
    if (pull && i + 1 != bundle.exchanges.size()) {
      return MakeError(Errc::kBadBundle,
                       "a site's bundle holds pushes and one pull, last; this one has a pull "
                       "as exchange " +
                           std::to_string(i + 1) + " of " +
                           std::to_string(bundle.exchanges.size()));
    }
  }
  for (Exchange& e : bundle.exchanges) {
    http::Request r;
    r.method = e.method;
    r.target = e.target;
    r.headers = {{protocol::kHeaderProtocol, std::to_string(bundle.protocol)},
                 {protocol::kHeaderSchema, std::to_string(bundle.schema)}};
    if (!e.body.is_null()) {
      r.content_type = "application/json";
      r.body = DumpJson(e.body);
    }
    const http::Response answer = endpoint.Handle(r, peer);
    auto body = protocol::DecodeBody(answer.body, answer.Header("content-encoding"));
    e.status = answer.status;
    e.response = body ? std::move(body).value() : Json(nullptr);
    if (answer.status / 100 != 2) break;  // as a sync stops at its first refusal
  }
  return bundle;
}

Result<Bundle> MakeBundleFor(CentralEndpoint& endpoint, store::CentralStore& store,
                             const std::string& site, std::string id, Clock& clock,
                             int schema_version) {
  MPP_ASSIGN_OR_RETURN(const bool known, store.KnowsSite(site));
  if (!known) return MakeError(Errc::kUnknownSite, site + " is not in the centre's list of sites");
  Bundle b;
  b.id = std::move(id);
  b.from = std::string(kBundleFromCentre);
  b.to = site;
  b.created_at = FormatUtc(clock.NowMs());
  b.protocol = protocol::kProtocolVersion;
  b.schema = schema_version;
  MPP_ASSIGN_OR_RETURN(const int64_t acked, store.AckedSeq(site));
  Json hello = {{"site", site}, {"acked_seq", acked}};
  // The stamp of the site's change at acked_seq: the site acknowledges only its own copy.
  MPP_ASSIGN_OR_RETURN(auto last, store.ReadOwnLog(site, acked - 1, 1));
  if (!last.changes.empty() && last.changes.front().seq == acked) {
    hello["acked_hlc"] = static_cast<int64_t>(last.changes.front().hlc);
  }
  b.exchanges.push_back({"GET", std::string(protocol::kHelloPath), nullptr, 200, std::move(hello)});
  MPP_ASSIGN_OR_RETURN(int64_t after, store.PullCursor(site));
  const size_t page_bytes = 1024 * 1024;
  size_t total = 0;
  for (;;) {
    MPP_ASSIGN_OR_RETURN(Json page, endpoint.FeedPage(site, after, page_bytes));
    auto p = protocol::PullResponseFromJson(page);
    if (!p) return p.error();
    const std::string target = PullTarget(after, page_bytes);
    total += DumpJson(page).size();
    b.exchanges.push_back({"GET", target, nullptr, 200, std::move(page)});
    if (!p->more || p->next_cursor <= after || total > kMaxBundleBytes / 2) break;
    after = p->next_cursor;
  }
  return b;
}

}  // namespace mpp::replicator
