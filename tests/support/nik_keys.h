// The ministry's NIK keys for tests (sync/core/nik_seal.h): an RSA sealing key pair and a
// national citizen key, made once per test process (RSA key generation takes a while).
#pragma once

#include <memory>
#include <string>

#include "sync/core/nik_seal.h"

namespace mpp::testing {

struct TestNikKeys {
  std::string public_pem;                     // what a site is given
  std::string private_pem;                    // what the centre holds
  std::string citizen_key;                    // the national citizen key (32 bytes)
  std::shared_ptr<const CitizenKeys> centre;  // both, as the centre uses them
};

const TestNikKeys& NikKeysForTests();

// A new RSA key pair of `bits`: {public PEM, private PEM}.
std::pair<std::string, std::string> NewRsaKeyPair(int bits = 2048);

}  // namespace mpp::testing
