// A model-based test with the real programs: three mpp-nodes driven through their office APIs
// with random operations on every record kind (applications through their statuses, payments,
// surveys, queue tickets, complaints through their whole life), central decisions and conflict
// resolutions over mutual TLS, random `mppctl sync`s, and `kill -9` of nodes, of mppctl while it
// syncs and of mpp-central. A model of the merge rules follows every write that was answered
// with success: per column group, the write with the greatest (rank, time) wins. The programs
// run on one machine, so one clock: writes made one after another, a few milliseconds apart,
// are stamped in that order.
//
// At the end every acknowledged record is at the centre with the values the model predicts,
// no record that no one saved, `mppctl verify` is green at every site, and each node lists
// the same conflicts, under the same ids and in the same states, as the centre holds for it.
// MPP_MODEL_OPS sets the number of operations (default 1200), MPP_MODEL_SEED the seed.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "sync/core/json.h"
#include "sync/db/database.h"
#include "sync/net/http_client.h"
#include "sync/protocol/wire.h"
#include "tests/support/central_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace mpp {
namespace {

using testing::Process;
using testing::RunCommand;

const char* const kCodes[] = {"MPP7301", "MPP7310", "MPP7407"};
const std::map<std::string, int> kAppRank = {{"received", 0},  {"verified", 1}, {"in_process", 2},
                                             {"completed", 3}, {"rejected", 3}, {"cancelled", 3}};

// The model: per record, per column group, the winning write so far.
struct Write {
  int rank = 0;
  int64_t order = 0;
  Json value;  // the column the test compares
};
struct Record {
  std::string table, site;
  std::map<std::string, Write> groups;
  Json fixed;      // append-only columns the centre must hold as saved
  int events = 0;  // applications: status events written at the site
};

class ModelTest : public ::testing::Test {
 protected:
  struct Site {
    std::string code, data;
    std::unique_ptr<testing::NodeProcess> node;
    std::unique_ptr<net::HttpClient> client;
    std::vector<std::string> apps, complaints;
  };

  void SetUp() override {
    ASSERT_TRUE(pki_.Init({kCodes[0], kCodes[1], kCodes[2]}).ok());
    ASSERT_TRUE(pki_.AddRole("operator", "operator").ok());
    auto central = testing::CentralProcess::Start(pki_, dir_.path(), {"--log-level", "error"});
    ASSERT_TRUE(central.ok()) << central.error().message;
    central_.emplace(std::move(central).value());
    for (const char* code : kCodes) {
      Site& s = sites_.emplace_back();
      s.code = code;
      s.data = dir_.File(code);
      const Status init = testing::InitSite(pki_, code, s.data, central_->port());
      ASSERT_TRUE(init.ok()) << init.error().message;
      StartNode(s);
    }
  }

  void StartNode(Site& s) {
    s.client.reset();
    s.node = std::make_unique<testing::NodeProcess>(s.data, dir_.File(s.code + "-node.log"));
    ASSERT_NE(s.node->port, 0) << testing::ReadFile(dir_.File(s.code + "-node.log"));
    s.client =
        std::make_unique<net::HttpClient>("127.0.0.1", s.node->port, std::chrono::seconds(10));
  }

  // One write or read at a node; the status and the parsed body (null when none).
  std::pair<int, Json> Office(Site& s, const std::string& method, const std::string& target,
                              const Json& body = nullptr) {
    auto r = s.client->Send(method, target, body.is_null() ? "" : body.dump());
    EXPECT_TRUE(r.ok()) << s.code << " " << method << " " << target << ": "
                        << (r.ok() ? "" : r.error().message);
    if (!r.ok()) return {0, nullptr};
    EXPECT_NE(r->status, 500) << r->body;
    return {r->status, Json::parse(r->body, nullptr, false)};
  }

  // A call to the centre's API as the operator, over mutual TLS.
  std::pair<int, Json> Centre(const std::string& method, const std::string& target,
                              const Json& body = nullptr) {
    net::HttpClient client("127.0.0.1", central_->port(), std::chrono::seconds(10),
                           pki_.ClientTls("operator"));
    http::Request r;
    r.method = method;
    r.target = target;
    r.headers = {{protocol::kHeaderProtocol, "1"}, {protocol::kHeaderSchema, "3"}};
    if (!body.is_null()) {
      r.body = body.dump();
      r.content_type = "application/json";
    }
    auto resp = client.Send(r);
    EXPECT_TRUE(resp.ok()) << method << " " << target << ": "
                           << (resp.ok() ? "" : resp.error().message);
    if (!resp.ok()) return {0, nullptr};
    EXPECT_NE(resp->status, 500) << resp->body;
    return {resp->status, Json::parse(resp->body, nullptr, false)};
  }

  // A write answered with success, at time `order`, into the model.
  void Model(const std::string& id, const std::string& group, int rank, const Json& value) {
    Write& w = model_[id].groups[group];
    const int64_t order = ++clock_;
    if (rank > w.rank || (rank == w.rank && order > w.order)) w = {rank, order, value};
  }

  // Writes are spaced so that their stamps follow the order the test made them in.
  void Tick() { std::this_thread::sleep_for(std::chrono::milliseconds(3)); }

  void NewApplication(Site& s) {
    const char* services[] = {"DKC-KTP", "DKC-KK", "SAM-PKB", "POL-SKCK"};
    auto [status, body] =
        Office(s, "POST", "/api/v1/applications", {{"service_code", services[Pick(4)]}});
    ASSERT_EQ(status, 201) << body.dump();
    const std::string id = body["id"];
    Record& r = model_[id];
    r.table = "applications";
    r.site = s.code;
    r.events = 1;
    Model(id, "status", 0, "received");
    Model(id, "notes", 0, body["notes"]);
    Model(id, "fee_idr", 0, body["fee_idr"]);
    s.apps.push_back(id);
  }

  void NewComplaint(Site& s) {
    auto [status, body] = Office(
        s, "POST", "/api/v1/complaints",
        {{"channel", "counter"}, {"category", "service_time"}, {"description", "Antrean lama"}});
    ASSERT_EQ(status, 201) << body.dump();
    const std::string id = body["id"];
    model_[id].table = "complaints";
    model_[id].site = s.code;
    Model(id, "status", 0, "open");
    Model(id, "response", 0, body["response"]);
    s.complaints.push_back(id);
  }

  const std::string& Any(const std::vector<std::string>& ids) {
    const size_t newest = ids.size() - 1;  // the newest few: many edits of each
    return ids[newest - std::min<size_t>(newest, Pick(5))];
  }

  void SiteOperation(Site& s) {
    const uint64_t k = Pick(100);
    if (k < 15 || s.apps.empty()) return NewApplication(s);
    if (k < 20 || s.complaints.empty()) return NewComplaint(s);
    if (k < 45) {
      const std::string& id = Any(s.apps);
      const char* to[] = {"verified", "in_process", "completed", "rejected", "cancelled"};
      const std::string next = to[Pick(5)];
      auto [status, body] =
          Office(s, "POST", "/api/v1/applications/" + id + "/status", {{"to", next}});
      if (status == 200 || status == 201) {
        Model(id, "status", kAppRank.at(next), next);
        ++model_[id].events;
      }
      return;
    }
    if (k < 60) {
      const std::string& id = Any(s.complaints);
      const char* to[] = {"in_progress", "resolved", "closed"};
      Json patch = {{"response", "loket " + std::to_string(Pick(100000))}};
      if (Pick(2)) patch["status"] = to[Pick(3)];
      auto [status, body] = Office(s, "PATCH", "/api/v1/complaints/" + id, patch);
      if (status == 200) {
        if (patch.contains("status")) Model(id, "status", 0, patch["status"]);
        Model(id, "response", 0, patch["response"]);
      }
      return;
    }
    if (k < 70) {
      const int64_t amount = 5000 + static_cast<int64_t>(Pick(50)) * 1000;
      auto [status, body] = Office(s, "POST", "/api/v1/payments",
                                   {{"application_id", Any(s.apps)},
                                    {"amount_idr", amount},
                                    {"method", Pick(2) ? "cash" : "qris"}});
      ASSERT_EQ(status, 201) << body.dump();
      Record& r = model_[body["id"]];
      r = {"payments", s.code, {}, {{"amount_idr", amount}}, 0};
      return;
    }
    if (k < 78) {
      Json survey = {{"service_code", "DKC-KTP"}};
      for (int u = 1; u <= 9; ++u) survey["u" + std::to_string(u)] = 1 + Pick(4);
      auto [status, body] = Office(s, "POST", "/api/v1/surveys", survey);
      ASSERT_EQ(status, 201) << body.dump();
      survey.erase("service_code");
      model_[body["id"]] = {"surveys", s.code, {}, survey, 0};
      return;
    }
    if (k < 85) {
      auto [status, body] =
          Office(s, "POST", "/api/v1/queue/tickets", {{"service_code", "DKC-KK"}});
      ASSERT_EQ(status, 201) << body.dump();
      model_[body["id"]] = {"queue_tickets", s.code, {}, {{"ticket_no", body["ticket_no"]}}, 0};
      return;
    }
    // A supervisor resolves one of the conflicts this node lists (it may be settled already).
    auto [status, listed] = Office(s, "GET", "/api/v1/conflicts?status=open");
    if (status != 200 || listed["items"].empty()) return;
    const Json c = listed["items"][Pick(listed["items"].size())];
    auto [rs, res] =
        Office(s, "POST", "/api/v1/conflicts/" + c["id"].get<std::string>() + "/resolve",
               {{"keep", Pick(2) ? "winner" : "loser"}});
    if (rs == 200) {
      ModelResolution(res);
      ++resolved_at_sites_;
    }
  }

  // A resolution is an edit of the group's columns, by whoever answered it.
  void ModelResolution(const Json& res) {
    const std::string id = res["row_id"];
    const Json& cols = res["columns"];
    if (cols.contains("status")) {
      const std::string st = cols["status"];
      Model(id, "status", res["table"] == "applications" ? kAppRank.at(st) : 0, st);
    }
    if (cols.contains("response")) Model(id, "response", 0, cols["response"]);
    if (cols.contains("notes")) Model(id, "notes", 0, cols["notes"]);
  }

  void CentreOperation() {
    Site& s = sites_[Pick(3)];
    if (s.apps.empty()) return;
    const uint64_t k = Pick(10);
    if (k < 6) {
      const std::string& id = Any(s.apps);
      Json cols;
      if (k < 2) {
        cols = {{"notes", "pusat " + std::to_string(Pick(100000))}};
      } else if (k < 3) {
        cols = {{"fee_idr", 1000 * static_cast<int64_t>(Pick(60))}};
      } else {
        const char* to[] = {"in_process", "completed", "rejected"};
        cols = {{"status", to[Pick(3)]}};
      }
      auto [status, body] = Centre("PATCH", "/api/v1/records/applications/" + id, cols);
      if (status == 200) {
        const std::string group = cols.begin().key();
        const Json& v = cols.begin().value();
        Model(id, group, group == "status" ? kAppRank.at(v.get<std::string>()) : 0, v);
      }
      return;
    }
    if (k < 9 && !s.complaints.empty()) {
      const std::string& id = Any(s.complaints);
      Json cols = {{"response", "pusat " + std::to_string(Pick(100000))}};
      if (Pick(3) == 0) cols["status"] = Pick(2) ? "resolved" : "in_progress";
      auto [status, body] = Centre("PATCH", "/api/v1/records/complaints/" + id, cols);
      if (status == 200) {
        if (cols.contains("status")) Model(id, "status", 0, cols["status"]);
        Model(id, "response", 0, cols["response"]);
      }
      return;
    }
    auto [status, listed] = Centre("GET", "/api/v1/conflicts?status=open");
    if (status != 200 || listed["items"].empty()) return;
    const Json c = listed["items"][Pick(listed["items"].size())];
    auto [rs, res] = Centre("POST", "/api/v1/conflicts/" + c["id"].get<std::string>() + "/resolve",
                            {{"keep", Pick(2) ? "winner" : "loser"}});
    if (rs == 200) {
      ModelResolution(res);
      ++resolved_at_centre_;
    }
  }

  // mppctl sync for `s`; with `kill`, it is killed with SIGKILL a few milliseconds in, or
  // mpp-central is.
  void Sync(Site& s, int kill) {
    if (kill == 0) {
      std::string out;
      const int code = RunCommand({MPP_CTL_BIN, "--data", s.data, "sync"}, &out);
      if (code != 0) ++failed_syncs_;
      return;
    }
    Process sync({MPP_CTL_BIN, "--data", s.data, "sync"}, dir_.File("sync.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2 + Pick(40)));
    if (kill == 1) {
      sync.Kill(SIGKILL);
      if (WIFSIGNALED(sync.Wait())) ++interrupted_;
      ++ctl_kills_;
    } else {
      central_->Kill();
      const int status = sync.Wait();
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++interrupted_;
      ++centre_kills_;
      const Status restarted = central_->Restart();
      ASSERT_TRUE(restarted.ok()) << restarted.error().message;
    }
  }

  uint64_t Pick(uint64_t n) { return rng_() % n; }

  testing::TempDir dir_;
  testing::TestPki pki_{dir_.File("pki")};
  std::optional<testing::CentralProcess> central_;
  std::vector<Site> sites_;
  std::map<std::string, Record> model_;  // id → record
  int64_t clock_ = 0;
  std::mt19937_64 rng_{20261202};
  int node_kills_ = 0, ctl_kills_ = 0, centre_kills_ = 0, interrupted_ = 0, failed_syncs_ = 0;
  int resolved_at_sites_ = 0, resolved_at_centre_ = 0;
};

TEST_F(ModelTest, RandomWorkSyncsAndKillsEndWithWhatTheMergeRulesPredictEverywhere) {
  const char* env = std::getenv("MPP_MODEL_OPS");
  const int ops = env && *env ? std::atoi(env) : 1200;
  if (const char* seed = std::getenv("MPP_MODEL_SEED"); seed && *seed) rng_.seed(std::atoll(seed));
  for (int op = 0; op < ops && !HasFatalFailure(); ++op) {
    Tick();
    Site& s = sites_[Pick(3)];
    const uint64_t k = Pick(100);
    if (k < 60) {
      SiteOperation(s);
    } else if (k < 75) {
      CentreOperation();
    } else if (k < 93) {
      Sync(s, 0);
    } else if (k < 96) {
      Sync(s, Pick(2) ? 1 : 2);
    } else {
      s.node->process.Kill(SIGKILL);  // between requests: every answer given is on disk
      s.node->process.Wait();
      ++node_kills_;
      StartNode(s);
    }
  }
  ASSERT_FALSE(HasFatalFailure());
  for (int round = 0; round < 3; ++round) {
    for (Site& s : sites_) {
      std::string out;
      const int code = RunCommand({MPP_CTL_BIN, "--data", s.data, "sync"}, &out);
      if (round == 2) {
        EXPECT_EQ(code, 0) << s.code << ": " << out;
      }
    }
  }

  // Every acknowledged record at the centre, with the values the model predicts.
  auto db = db::Database::Open(central_->data_dir() + "/central.db", {.create = false});
  ASSERT_TRUE(db.ok());
  std::map<std::string, std::map<std::string, int64_t>> expected;  // site → table → rows
  int64_t checked = 0, wrong = 0;
  for (const auto& [id, r] : model_) {
    ++expected[r.site][r.table];
    auto stmt = (*db)->Prepare("SELECT * FROM " + r.table + " WHERE id = ?");
    ASSERT_TRUE(stmt.ok());
    (*stmt)->Bind(1, id);
    auto found = (*stmt)->Step();
    ASSERT_TRUE(found.ok());
    if (!*found) {
      ADD_FAILURE() << "LOST: " << r.site << " " << r.table << " " << id;
      continue;
    }
    Json row = Json::object();
    for (int i = 0; i < (*stmt)->ColumnCount(); ++i)
      row[(*stmt)->ColumnName(i)] = (*stmt)->ColumnJson(i);
    EXPECT_EQ(row["site_code"], r.site) << id;
    for (const auto& [group, w] : r.groups) {
      ++checked;
      if (row[group] != w.value) {
        ++wrong;
        ADD_FAILURE() << r.table << " " << id << "." << group << ": the centre holds "
                      << row[group].dump() << ", the merge rules give " << w.value.dump();
      }
    }
    for (const auto& [col, v] : r.fixed.items()) {
      ++checked;
      EXPECT_EQ(row[col], v) << r.table << " " << id << "." << col;
    }
    if (r.table == "applications") {
      auto events =
          (*db)->QueryInt("SELECT COUNT(*) FROM application_events WHERE application_id = ?", {id});
      EXPECT_EQ(events.ok() ? *events : -1, r.events) << "events of " << id;
    }
  }
  // Nothing at the centre that no one saved.
  for (const Site& s : sites_) {
    for (const char* table :
         {"applications", "payments", "surveys", "queue_tickets", "complaints"}) {
      auto n = (*db)->QueryInt(
          std::string("SELECT COUNT(*) FROM ") + table + " WHERE site_code = ?", {s.code});
      EXPECT_EQ(n.ok() ? *n : -1, expected[s.code][table]) << s.code << " " << table;
    }
  }

  // Every site agrees with the centre, conflict records included.
  auto [cs, all] = Centre("GET", "/api/v1/conflicts");
  ASSERT_EQ(cs, 200);
  int open = 0;
  for (const Json& c : all["items"]) open += c["status"] == "open";
  for (Site& s : sites_) {
    std::string out;
    EXPECT_EQ(RunCommand({MPP_CTL_BIN, "--data", s.data, "verify"}, &out), 0) << s.code << out;
    Json theirs = Json::array();
    for (const Json& c : all["items"]) {
      if (c["site_code"] == s.code) theirs.push_back(c);
    }
    auto [st, mine] = Office(s, "GET", "/api/v1/conflicts");
    ASSERT_EQ(st, 200);
    EXPECT_EQ(mine["items"], theirs) << s.code << " lists other conflicts than the centre";
  }
  std::printf(
      "model test: %d operations, %zu records (%lld values checked, %lld wrong); %zu conflicts "
      "(%d open, %d resolved at a site, %d at the centre); kills: %d mpp-node, %d mppctl, %d "
      "mpp-central (%d interrupted a sync); %d syncs failed\n",
      ops, model_.size(), static_cast<long long>(checked), static_cast<long long>(wrong),
      all["items"].size(), open, resolved_at_sites_, resolved_at_centre_, node_kills_, ctl_kills_,
      centre_kills_, interrupted_, failed_syncs_);
  EXPECT_GT(all["items"].size(), 0u) << "no concurrent edit: the run proved nothing of conflicts";
  EXPECT_GT(node_kills_ + ctl_kills_ + centre_kills_, 0);
}

}  // namespace
}  // namespace mpp
