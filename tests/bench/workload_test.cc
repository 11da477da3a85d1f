#include "tests/bench/workload.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "sync/core/hex.h"
#include "sync/core/json.h"

namespace mpp::bench {
namespace {

TEST(WorkloadTest, IdenticalToTheSharedGenerator) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (int64_t i = 0; i < 10000; ++i) {
    const std::string line = WorkloadTx(i) + "\n";
    EVP_DigestUpdate(ctx, line.data(), line.size());
  }
  unsigned char md[32];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  EXPECT_EQ(HexEncode(std::string_view(reinterpret_cast<const char*>(md), n)), kSha256Ndjson10k);
}

}  // namespace
}  // namespace mpp::bench
