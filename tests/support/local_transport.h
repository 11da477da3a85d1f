// The replicator's transport, in-process: each request goes straight to a CentralApi as if it
// had arrived over mutual TLS with a certificate naming `uris`. No sockets.
#pragma once

#include <string>
#include <vector>

#include "node/central/central_api.h"
#include "sync/replicator/replicator.h"

namespace mpp::testing {

class LocalTransport final : public replicator::SyncTransport {
 public:
  LocalTransport(central::CentralApi& api, std::vector<std::string> uris)
      : api_(api), uris_(std::move(uris)) {}
  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    if (cut_) return MakeError(Errc::kInternal, "link cut (test)");
    net::HttpRequest r = request;
    r.peer_uris = uris_;
    sent_ += r.body.size();
    auto res = api_.Handle(r);
    if (drop_responses_ > 0) {
      --drop_responses_;
      return MakeError(Errc::kInternal, "response lost (test)");
    }
    received_ += res.body.size();
    return res;
  }
  uint64_t bytes_sent() const override { return sent_; }
  uint64_t bytes_received() const override { return received_; }
  void set_cut(bool cut) { cut_ = cut; }
  // The next `n` requests reach the centre but their responses are lost.
  void drop_responses(int n) { drop_responses_ = n; }

 private:
  central::CentralApi& api_;
  std::vector<std::string> uris_;
  uint64_t sent_ = 0, received_ = 0;
  bool cut_ = false;
  int drop_responses_ = 0;
};

}  // namespace mpp::testing
