// mpp-central import FILE and mpp-central export --site CODE --out FILE: the centre's end of
// a USB bundle (sync/replicator/bundle.h), run by an operator on the centre's data directory
// while the daemon is stopped (they take its lock: one process writes central.db).
#pragma once

#include <memory>
#include <string>

#include "node/common/options.h"
#include "sync/core/nik_seal.h"

namespace mpp::central {

// Verifies FILE's signature (--ca, --crl: a site's certificate, not revoked), checks that its
// signer is the site it says it is from, and answers its pushes and pulls as the network
// would. Exit status: 0 every change taken, 1 a refusal (printed), 2 usage, 4 the signer
// refused, 6 a local problem.
int ImportBundle(const common::Options& opt, const std::string& file,
                 std::shared_ptr<const CitizenKeys> keys);
// A bundle for site --site signed with the centre's --cert/--key: what the centre holds of
// it and its feed after where it last pulled. Written to --out.
int ExportBundle(const common::Options& opt);

}  // namespace mpp::central
