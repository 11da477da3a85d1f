#include "node/ctl/demo_generator.h"

#include <cstdio>
#include <random>

namespace mpp::ctl {
namespace {

const char* const kOfficers[] = {"Andi Nurhaliza", "Muh. Ilham",   "Sitti Rahmawati",
                                 "Rusdi Hamzah",   "Nur Aisyah",   "Fadli Amir",
                                 "Hasnah Baso",    "Syamsul Bahri"};
const char* const kNotes[] = {"Berkas lengkap",
                              "Menunggu tanda tangan kepala dinas",
                              "Pemohon membawa fotokopi KK",
                              "Dokumen asli dikembalikan",
                              "Antrean tertunda karena jaringan putus",
                              "Verifikasi lapangan"};
const char* const kComplaints[] = {"Antrean terlalu lama pada jam sibuk",
                                   "Biaya tidak sesuai papan informasi",
                                   "Petugas tidak ada di gerai saat jam layanan",
                                   "Persyaratan berbeda dari informasi di situs web",
                                   "Pendingin ruangan ruang tunggu tidak berfungsi"};
const char* const kCategories[] = {"service_time", "fee", "staff_conduct", "requirements",
                                   "facilities"};

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(engine_); }
  template <typename T, size_t N>
  const T& Pick(const T (&a)[N]) {
    return a[static_cast<size_t>(Uniform(0, static_cast<int>(N) - 1))];
  }

 private:
  std::mt19937_64 engine_;
};

std::string MakeNik(Rng& rng, const std::string& regency) {
  char nik[64];
  const int district = rng.Uniform(1, 12);
  int day = rng.Uniform(1, 28);
  if (rng.Chance(0.5)) day += 40;  // women: birth day + 40
  std::snprintf(nik, sizeof nik, "%.4s%02d%02d%02d%02d%04d", regency.c_str(), district, day,
                rng.Uniform(1, 12), rng.Uniform(50, 99 + 6) % 100, rng.Uniform(1, 9999));
  return nik;
}

bool Ok(int status) { return status >= 200 && status < 300; }

}  // namespace

VisitTotals GenerateVisits(int visits, uint64_t seed, const std::string& regency_prefix,
                           const std::vector<Service>& services,
                           const std::vector<Counter>& counters, const CallFn& call) {
  VisitTotals t;
  Rng rng(seed);
  if (services.empty()) return t;
  for (int v = 0; v < visits; ++v) {
    ++t.visits;
    const Service& s =
        services[static_cast<size_t>(rng.Uniform(0, static_cast<int>(services.size()) - 1))];
    std::string counter;
    for (const Counter& c : counters) {
      if (c.agency_code == s.agency_code) counter = c.code;
    }
    const std::string officer = rng.Pick(kOfficers);
    Json ticket_body = {{"service_code", s.code}};
    if (!counter.empty()) ticket_body["counter_code"] = counter;
    auto [ts, ticket] = call("POST", "/api/v1/queue/tickets", ticket_body);
    if (!Ok(ts)) {
      ++t.failed_calls;
      continue;
    }
    Json app_body = {{"service_code", s.code},
                     {"nik", MakeNik(rng, regency_prefix)},
                     {"channel", rng.Chance(0.8) ? "walk_in" : "online"},
                     {"ticket_id", ticket["id"]},
                     {"officer", officer}};
    if (!counter.empty()) app_body["counter_code"] = counter;
    if (rng.Chance(0.5)) app_body["notes"] = rng.Pick(kNotes);
    auto [as, app] = call("POST", "/api/v1/applications", app_body);
    if (!Ok(as)) {
      ++t.failed_calls;
      continue;
    }
    ++t.applications;
    const std::string id = app["id"];
    const std::string path = "/api/v1/applications/" + id + "/status";
    const int fate = rng.Uniform(1, 100);  // 72 completed, 8 rejected, 4 cancelled, 16 open
    std::vector<std::string> steps;
    if (fate <= 72) {
      steps = {"verified", "in_process", "completed"};
    } else if (fate <= 80) {
      steps = {"verified", "rejected"};
    } else if (fate <= 84) {
      steps = {"cancelled"};
    } else {
      steps = rng.Chance(0.5) ? std::vector<std::string>{"verified"}
                              : std::vector<std::string>{"verified", "in_process"};
    }
    bool failed = false;
    for (const auto& to : steps) {
      auto [ss, _] = call("POST", path, {{"to", to}, {"officer", officer}});
      if (!Ok(ss)) {
        failed = true;
        break;
      }
    }
    if (failed) {
      ++t.failed_calls;
      continue;
    }
    const std::string& last = steps.back();
    if (last == "completed") {
      ++t.completed;
    } else if (last == "rejected") {
      ++t.rejected;
    } else if (last == "cancelled") {
      ++t.cancelled;
    } else {
      ++t.open;
    }
    if (last == "completed" && s.fee_idr > 0) {
      const char* methods[] = {"cash", "qris", "transfer", "edc"};
      auto [ps, _] =
          call("POST", "/api/v1/payments",
               {{"application_id", id}, {"amount_idr", s.fee_idr}, {"method", rng.Pick(methods)}});
      Ok(ps) ? ++t.payments : ++t.failed_calls;
    }
    if (last == "completed" && rng.Chance(0.4)) {
      Json survey = {{"service_code", s.code}, {"application_id", id}};
      for (int u = 1; u <= 9; ++u) {
        const int r = rng.Uniform(1, 100);
        std::string question = "u";  // not "u" + ...: false -Wrestrict in GCC 12 (PR 105329)
        question += std::to_string(u);
        survey[question] = r <= 5 ? 2 : r <= 45 ? 3 : 4;
      }
      auto [ss, _] = call("POST", "/api/v1/surveys", survey);
      Ok(ss) ? ++t.surveys : ++t.failed_calls;
    }
    if (rng.Chance(0.03)) {
      auto [cs, _] = call("POST", "/api/v1/complaints",
                          {{"application_id", id},
                           {"service_code", s.code},
                           {"channel", "counter"},
                           {"category", rng.Pick(kCategories)},
                           {"description", rng.Pick(kComplaints)}});
      Ok(cs) ? ++t.complaints : ++t.failed_calls;
    }
  }
  return t;
}

}  // namespace mpp::ctl
