#include "sync/core/nik.h"

#include <openssl/evp.h>

#include <algorithm>

#include "sync/core/hex.h"
#include "sync/core/json.h"

namespace mpp {

Status ValidateNik(std::string_view nik) {
  auto bad = [](const char* why) {
    return MakeError(Errc::kInvalidValue, std::string("nik is not a valid NIK: ") + why);
  };
  if (nik.size() != 16) return bad("it must be exactly 16 digits");
  for (char c : nik) {
    if (c < '0' || c > '9') return bad("it must contain digits only");
  }
  auto num = [&](size_t pos) { return (nik[pos] - '0') * 10 + (nik[pos + 1] - '0'); };
  const int province = num(0), day = num(6), month = num(8);
  if (province < 11 || province > 94) return bad("the province code (digits 1-2) is not 11-94");
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) {
    return bad("the birth day (digits 7-8) is not 01-31 or 41-71");
  }
  if (month < 1 || month > 12) return bad("the birth month (digits 9-10) is not 01-12");
  if (nik.substr(12) == "0000") return bad("the serial number (digits 13-16) is 0000");
  return {};
}

std::string CitizenRef(std::string_view key, std::string_view nik) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(nik.data()), nik.size(), mac, sizeof mac,
            &mac_len);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

namespace {

// What the byte sequence at `text[i]` is, for the NIK scan, how long it is, and for a digit
// its value.
enum class Glyph { kDigit, kJoiner, kOther };

struct Scanned {
  Glyph glyph;
  size_t length;
  int digit = 0;
};

// The value of `cp` if it is a decimal digit of a script a NIK could be typed in (ASCII,
// Arabic-Indic, Extended Arabic-Indic, Devanagari, full-width, mathematical), else -1.
int DigitValue(uint32_t cp) {
  if (cp >= '0' && cp <= '9') return static_cast<int>(cp - '0');
  for (uint32_t zero : {0x0660u, 0x06F0u, 0x0966u, 0xFF10u}) {
    if (cp >= zero && cp <= zero + 9) return static_cast<int>(cp - zero);
  }
  if (cp >= 0x1D7CE && cp <= 0x1D7FF) return static_cast<int>((cp - 0x1D7CE) % 10);
  return -1;
}

// Whether `cp` can stand between the digits of a number without making it words: every ASCII
// character but letters (spaces, line breaks, '.', ',', '/', '-', '_', ...), Latin-1
// punctuation (no-break space, soft hyphen, middle dot), general punctuation and symbols
// (dashes, zero-width characters, arrows, U+2000-2BFF), CJK and full-width punctuation, and
// the byte-order mark. Letters of any script break a run.
bool IsJoiner(uint32_t cp) {
  if (cp < 0x80) return !((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
  return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
         (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE10 && cp <= 0xFE6F) ||
         (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
         (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) || cp == 0xFEFF;
}

Scanned ScanAt(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const size_t left = text.size() - i;
  const unsigned char c = b(0);
  uint32_t cp = c;
  size_t n = 1;
  if (c >= 0xF0 && left >= 4) {
    cp = ((c & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
    n = 4;
  } else if (c >= 0xE0 && c < 0xF0 && left >= 3) {
    cp = ((c & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    n = 3;
  } else if (c >= 0xC0 && c < 0xE0 && left >= 2) {
    cp = ((c & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    n = 2;
  } else if (c >= 0x80) {
    return {Glyph::kOther, 1};  // a stray byte: invalid UTF-8 breaks a run
  }
  if (const int d = DigitValue(cp); d >= 0) return {Glyph::kDigit, n, d};
  if (IsJoiner(cp)) return {Glyph::kJoiner, n};
  return {Glyph::kOther, n};
}

// Calls `found(begin, end)` for every run of 16 or more digits, joiners between them allowed.
template <typename F>
void ForEachNikLikeRun(std::string_view text, F&& found) {
  size_t i = 0;
  while (i < text.size()) {
    Scanned s = ScanAt(text, i);
    if (s.glyph != Glyph::kDigit) {
      i += s.length;
      continue;
    }
    const size_t begin = i;
    size_t end = i, digits = 0;
    while (i < text.size()) {
      s = ScanAt(text, i);
      if (s.glyph == Glyph::kOther) break;
      i += s.length;
      if (s.glyph == Glyph::kDigit) {
        ++digits;
        end = i;
      }
    }
    if (digits >= 16) found(begin, end);
    i = end;  // joiners after the last digit belong to no run
  }
}

}  // namespace

std::string NikDigits(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const Scanned s = ScanAt(text, i);
    if (s.glyph == Glyph::kDigit) {
      out += static_cast<char>('0' + s.digit);
    } else if (s.glyph == Glyph::kOther) {
      out.append(text.substr(i, s.length));
    }
    i += s.length;
  }
  return out;
}

bool ContainsNikLikeNumber(std::string_view text) {
  bool any = false;
  ForEachNikLikeRun(text, [&](size_t, size_t) { any = true; });
  return any;
}

std::string MaskNikLikeNumbers(std::string_view text) {
  std::string out;
  size_t copied = 0;
  ForEachNikLikeRun(text, [&](size_t begin, size_t end) {
    if (out.empty()) out.reserve(text.size());
    out.append(text.substr(copied, begin - copied));
    out += "[16-digit number hidden]";
    copied = end;
  });
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
}

}  // namespace mpp
