// A TCP proxy on 127.0.0.1 that imitates an island link between a site and the centre:
// one-way latency, a bandwidth cap per direction, cuts (after N bytes, or every T ms), and
// stalls (after N bytes nothing more is delivered, but the connections stay open).
// It counts the bytes it carries each way, which are the real bytes on the wire (TLS records
// included). For tests and benchmarks; runs its own thread. No root, no netem.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace mpp::testing {

struct LinkProfile {
  int64_t one_way_delay_ms = 0;
  int64_t bits_per_second = 0;    // 0: unlimited
  int64_t cut_after_bytes = 0;    // 0: never; else every connection is cut after this many bytes
  int64_t cut_every_ms = 0;       // 0: never; else all connections are cut this often
  int64_t stall_after_bytes = 0;  // 0: never; else delivery stops for good after this many
};

class LinkProxy {
 public:
  // Listens on 127.0.0.1:0 and forwards each connection to 127.0.0.1:`target_port`.
  LinkProxy(uint16_t target_port, LinkProfile profile);
  ~LinkProxy();
  uint16_t port() const;
  uint64_t bytes_up() const;    // client → target
  uint64_t bytes_down() const;  // target → client
  int cuts() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mpp::testing
