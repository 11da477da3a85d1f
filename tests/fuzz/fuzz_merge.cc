// libFuzzer target: the merge. Mode 0: the fuzzer's bytes are a sequence of versions of one
// column (a stamp names one write, so equal stamps carry equal ranks); folding Decide over
// them in any order must end at the same version, the greatest, and for two different writes
// exactly one side applies the other. Mode 1: the bytes are merge rules (merge_rules.json):
// the parser answers or refuses, never crashes.
#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "sync/core/merge.h"

using namespace mpp;

namespace {

Version Fold(const std::vector<Version>& order) {
  Version v = order.front();
  for (size_t i = 1; i < order.size(); ++i) {
    if (Decide(v, order[i], std::nullopt).outcome == MergeOutcome::kApply) v = order[i];
  }
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    (void)MergePolicy::Parse(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
    return 0;
  }
  static const char* const kOrigins[] = {"CENTRAL", "MPP7301", "MPP7302"};
  std::vector<Version> versions;
  for (size_t i = 1; i + 1 < size && versions.size() < 64; i += 2) {
    Version v;
    v.hlc = data[i] % 16;
    v.origin = kOrigins[data[i + 1] % 3];
    v.rank = static_cast<int>((v.hlc * 7 + static_cast<uint64_t>(data[i + 1] % 3) * 3) % 4);
    versions.push_back(v);
  }
  if (versions.empty()) return 0;
  for (const Version& a : versions) {
    for (const Version& b : versions) {
      if (a.SameWrite(b)) continue;
      const bool ab = Decide(a, b, std::nullopt).outcome == MergeOutcome::kApply;
      const bool ba = Decide(b, a, std::nullopt).outcome == MergeOutcome::kApply;
      if (ab == ba) std::abort();  // exactly one of two different writes wins
    }
  }
  const Version best = *std::max_element(versions.begin(), versions.end());
  std::vector<Version> order = versions;
  if (!(Fold(order) == best)) std::abort();
  std::reverse(order.begin(), order.end());
  if (!(Fold(order) == best)) std::abort();
  std::rotate(order.begin(), order.begin() + static_cast<long>(order.size() / 2), order.end());
  if (!(Fold(order) == best)) std::abort();
  return 0;
}
