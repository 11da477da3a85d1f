// The shared benchmark workload (../shared/bench/workload.js) in C++: the same deterministic
// ~470-byte service transactions, byte for byte (checked against the published sha256 of
// the NDJSON).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mpp::bench {

constexpr std::string_view kWorkloadSeed = "anchor-v1";

// Transaction `i` as compact JSON, exactly as JSON.stringify(makeTx(i, seed)) prints it.
std::string WorkloadTx(int64_t i, std::string_view seed = kWorkloadSeed);

// The published checksums of `node workload.js N` (NDJSON, '\n' after each line).
constexpr std::string_view kSha256Ndjson10k =
    "32e7cdd542a7391d6af2576875531009fe0c5e8ce83679ae166e3f49feea3bc5";
constexpr std::string_view kSha256Ndjson100k =
    "14d757b49c7f959ca04f3fe54d4f8fd6bd12f5a68c4eee3e8bfca20761e4d8e9";

}  // namespace mpp::bench
