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
    const int index = messages_++;
    if (index == fail_message_ && !fail_after_delivery_) {
      lost_ = request;
      return MakeError(Errc::kInternal, "request lost (test)");
    }
    net::HttpRequest r = request;
    r.peer_uris = uris_;
    sent_ += r.body.size();
    auto res = api_.Handle(r);
    if (index == fail_message_ && fail_after_delivery_) {
      lost_ = request;
      return MakeError(Errc::kInternal, "response lost (test)");
    }
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
  // Counting from now, message `index` (0-based) is lost: before it reaches the centre, or
  // after (its response is lost). lost_request() is what was sent.
  void LoseMessage(int index, bool after_delivery) {
    messages_ = 0;
    fail_message_ = index;
    fail_after_delivery_ = after_delivery;
    lost_ = {};
  }
  const net::HttpRequest& lost_request() const { return lost_; }
  int messages() const { return messages_; }
  // The next `n` requests reach the centre but their responses are lost.
  void drop_responses(int n) { drop_responses_ = n; }

 private:
  central::CentralApi& api_;
  std::vector<std::string> uris_;
  uint64_t sent_ = 0, received_ = 0;
  bool cut_ = false;
  int drop_responses_ = 0;
  int messages_ = 0, fail_message_ = -1;
  bool fail_after_delivery_ = false;
  net::HttpRequest lost_;
};

}  // namespace mpp::testing
