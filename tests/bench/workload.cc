#include "tests/bench/workload.h"

#include <cstdio>

#include "sync/core/hex.h"
#include "sync/core/json.h"
#include "sync/core/time_util.h"

namespace mpp::bench {
namespace {

constexpr const char* kSite = "MPP7301";
constexpr const char* kAgencies[] = {"DPMPTSP",  "DUKCAPIL", "BPN",    "SAMSAT",
                                     "IMIGRASI", "BPJS",     "DINKES", "DISHUB"};
constexpr const char* kPrefixes[] = {"PBG", "NIB", "KTP", "KK",   "AKTA",
                                     "SIM", "PBB", "IMB", "SKCK", "PASPOR"};
constexpr const char* kStatuses[] = {"received", "in_process", "completed", "rejected"};
constexpr int kFees[] = {0, 10000, 25000, 50000, 75000, 100000, 150000, 250000};
constexpr const char* kNoteA[] = {
    "Applicant submitted", "Walk-in citizen brought", "Online form included", "Officer verified",
    "Courier delivered",   "Family member filed",     "Notary forwarded",     "Agent uploaded"};
constexpr const char* kNoteB[] = {"original ID card and family card",
                                  "scanned land certificate",
                                  "two passport photos",
                                  "signed statement letter",
                                  "tax payment receipt",
                                  "building floor plan",
                                  "company deed copy",
                                  "vehicle registration papers"};
constexpr const char* kNoteC[] = {"awaiting supervisor signature",
                                  "no further action needed",
                                  "follow-up call scheduled",
                                  "minor typo corrected on form",
                                  "fee paid at counter",
                                  "documents returned to citizen",
                                  "queue delayed by network outage",
                                  "printed receipt handed over"};
constexpr int64_t kBaseEpoch = 1'795'132'800;  // 2026-11-20T00:00:00Z

std::string IsoWita(int64_t epoch_sec) {
  std::string s = FormatUtc((epoch_sec + 8 * 3600) * 1000);
  s.pop_back();  // 'Z'
  return s + "+08:00";
}

std::string Pad(int64_t n, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(n));
  return buf;
}

}  // namespace

std::string WorkloadTx(int64_t i, std::string_view seed) {
  const std::string h = *HexDecode(Sha256Hex(std::string(seed) + ":" + std::to_string(i)));
  auto b = [&](size_t k) { return static_cast<int>(static_cast<unsigned char>(h[k])); };
  const std::string ref = Sha256Hex(std::to_string(i));
  const int64_t received = kBaseEpoch + i * 37 + b(0) % 37;
  const int64_t completed = received + 300 + (b(1) * 256 + b(2)) % 3600;
  std::string out;
  out.reserve(512);
  auto field = [&](const char* name, const std::string& value, bool quoted = true) {
    out += out.empty() ? "{\"" : ",\"";
    out += name;
    out += quoted ? "\":\"" : "\":";
    out += value;
    if (quoted) out += '"';
  };
  field("id", std::string(kSite) + "-" + Pad(i, 8));
  field("site_id", kSite);
  field("counter", kAgencies[i % 8]);
  field("service_code", std::string(kPrefixes[b(3) % 10]) + "-" + Pad(1 + b(4) % 4, 3));
  field("citizen_ref", ref);
  field("status", kStatuses[b(5) % 4]);
  field("queue_no", std::string(1, static_cast<char>('A' + b(6) % 4)) + "-" + Pad(i % 1000, 3));
  field("received_at", IsoWita(received));
  field("completed_at", IsoWita(completed));
  field("fee_idr", std::to_string(kFees[b(7) % 8]), false);
  field("officer", "officer-" + Pad(1 + b(8) % 40, 2));
  field("channel", b(9) % 3 == 0 ? "online" : "walk-in");
  field("survey_score", std::to_string(1 + b(10) % 5), false);
  field("notes", std::string(kNoteA[b(11) % 8]) + " " + kNoteB[b(12) % 8] + "; " +
                     kNoteC[b(13) % 8] + " (case " + HexEncode(h.substr(20, 4)) + ").");
  out += '}';
  return out;
}

}  // namespace mpp::bench
