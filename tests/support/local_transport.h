// The replicator's transport, in-process: each request goes straight to the centre's handler
// (a CentralEndpoint, or mpp-central's whole CentralApi) as if it had arrived over mutual TLS
// with a certificate naming `uris`. No sockets.
#pragma once

#include <string>
#include <vector>

#include "sync/http/message.h"
#include "sync/replicator/replicator.h"

namespace mpp::testing {

class LocalTransport final : public replicator::SyncTransport {
 public:
  LocalTransport(http::Handler centre, std::vector<std::string> uris)
      : centre_(std::move(centre)), uris_(std::move(uris)) {}
  Result<http::Response> Send(const http::Request& request) override {
    if (cut_) return MakeError(Errc::kInternal, "link cut (test)");
    const int index = messages_++;
    if (index == fail_message_ && !fail_after_delivery_) {
      lost_ = request;
      return MakeError(Errc::kInternal, "request lost (test)");
    }
    http::Request r = request;
    r.peer_uris = uris_;
    sent_ += r.body.size();
    auto res = centre_(r);
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
  const http::Request& lost_request() const { return lost_; }
  int messages() const { return messages_; }
  // The next `n` requests reach the centre but their responses are lost.
  void drop_responses(int n) { drop_responses_ = n; }

 private:
  http::Handler centre_;
  std::vector<std::string> uris_;
  uint64_t sent_ = 0, received_ = 0;
  bool cut_ = false;
  int drop_responses_ = 0;
  int messages_ = 0, fail_message_ = -1;
  bool fail_after_delivery_ = false;
  http::Request lost_;
};

}  // namespace mpp::testing
