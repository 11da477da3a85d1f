#include "sync/core/clock.h"

#include <openssl/rand.h>

#include <chrono>
#include <cstdlib>

namespace mpp {

int64_t SystemClock::NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t SystemClock::SteadyMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

uint64_t CryptoRandom::Next() {
  uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) {
    std::abort();  // no entropy: minting ids would risk collisions, so refuse to go on
  }
  return v;
}

}  // namespace mpp
