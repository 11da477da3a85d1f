#include "sync/core/ids.h"

#include <array>
#include <cstdint>

#include <openssl/evp.h>

namespace mpp {

namespace {

std::string Format(const std::array<uint8_t, 16>& b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0F]);
  }
  return out;
}

}  // namespace

std::string NameBasedUuid(std::string_view name) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(name.data(), name.size(), md, &n, EVP_sha256(), nullptr);
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = md[i];
  b[6] = static_cast<uint8_t>(0x80 | (b[6] & 0x0F));  // version 8
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));  // variant 10
  return Format(b);
}

std::string NewUuidV7(Clock& clock, Random& random) {
  const uint64_t ms = static_cast<uint64_t>(clock.NowMs()) & 0xFFFFFFFFFFFFull;
  const uint64_t r1 = random.Next();
  const uint64_t r2 = random.Next();
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[static_cast<size_t>(i)] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | ((r1 >> 8) & 0x0F));  // version 7
  b[7] = static_cast<uint8_t>(r1 & 0xFF);
  b[8] = static_cast<uint8_t>(0x80 | ((r2 >> 56) & 0x3F));  // variant 10
  for (int i = 9; i < 16; ++i)
    b[static_cast<size_t>(i)] = static_cast<uint8_t>(r2 >> (8 * (15 - i)));
  return Format(b);
}

std::string SiteIdTag(std::string_view site_code) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(site_code.data(), site_code.size(), md, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag;
  for (int i = 0; i < 4; ++i) {
    tag.push_back(kHex[md[i] >> 4]);
    tag.push_back(kHex[md[i] & 0x0F]);
  }
  return tag;
}

std::string NewSiteUuid(Clock& clock, Random& random, std::string_view tag) {
  std::string id = NewUuidV7(clock, random);
  id.replace(id.size() - tag.size(), tag.size(), tag);
  return id;
}

bool HasSiteTag(std::string_view id, std::string_view tag) {
  return id.size() == 36 && id.ends_with(tag);
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace mpp
