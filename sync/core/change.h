// A change record: the unit of replication. One row's columns, written at one origin at one
// hybrid-logical-clock instant. Pure data with its JSON form (docs/protocol.md#changes).
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "sync/core/hlc.h"
#include "sync/core/json.h"
#include "sync/core/result.h"

namespace mpp {

// Who wrote a column value, and when. Versions are totally ordered: rank first (the stage of a
// state machine), then the HLC stamp, then the origin's code as the tie-break. The merge keeps
// the greatest, so replicas that have seen the same changes agree, whatever the order.
struct Version {
  int rank = 0;
  HlcStamp hlc = 0;
  std::string origin;
  auto operator<=>(const Version&) const = default;
  bool SameWrite(const Version& o) const { return hlc == o.hlc && origin == o.origin; }
};

struct Change {
  int64_t seq = 0;  // position in the origin's log: contiguous from 1
  HlcStamp hlc = 0;
  std::string origin;  // site code, or "CENTRAL"
  std::string table;
  std::string row_id;
  std::string op;              // "insert" | "update"
  Json data = Json::object();  // column → value
  Json base = Json::object();  // update only: column or group → [hlc, origin] it overwrote
};

constexpr const char* kCentreOrigin = "CENTRAL";

// The most changes one push or one pull page carries; a longer one is refused whole (a push)
// or cut (a page), whatever its size in bytes.
constexpr size_t kMaxBatchChanges = 2000;

// {"seq":..,"hlc":"<decimal>","origin":..,"table":..,"row":..,"op":..,"data":{..},"base":{..}}
// The hlc travels as a decimal string: it does not fit a JavaScript number.
Json ChangeToJson(const Change& c);
// Checks the shape only (types, op, non-empty names); kInvalidValue naming the problem.
Result<Change> ChangeFromJson(const Json& j);

}  // namespace mpp
