// When the site's sync agent (mpp-node --sync-every) tries next: every `every_ms` (± 10%
// jitter, so that sites started together do not call together) after a sync that reached the
// centre; after failures, exponential backoff with full jitter (a wait drawn below a ceiling
// that starts at `every_ms` and doubles per failure, up to `max_backoff_ms`); never before a
// `Retry-After` the centre gave; and only inside the window, if one is set (e.g. outside office
// hours, in the site's local time). A pure function of the clock and the randomness it is given:
// tested with fake ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sync/core/clock.h"
#include "sync/core/result.h"

namespace mpp::replicator {

// A daily window of local time, minutes after midnight; `from` > `to` crosses midnight
// (18:00-07:00). Parsed from "HH:MM-HH:MM".
struct SyncWindow {
  int from_minute = 0;
  int to_minute = 0;
  static Result<SyncWindow> Parse(const std::string& text);
  bool Contains(int minute_of_day) const;
};

struct ScheduleOptions {
  int64_t every_ms = 300'000;
  int64_t max_backoff_ms = 3'600'000;
  std::optional<SyncWindow> window;
  int tz_offset_minutes = 0;  // the site's local time (WIB +420, WITA +480, WIT +540)
};

class SyncSchedule {
 public:
  SyncSchedule(ScheduleOptions options, Random& random) : o_(options), random_(random) {}

  // After a sync that reached the centre (complete or not): the next one in about every_ms.
  int64_t AfterSuccess(int64_t now_ms);
  // After one that did not (no link, refused, ...): back off. `retry_after_ms` > 0 when the
  // centre said when to come back (429).
  int64_t AfterFailure(int64_t now_ms, int64_t retry_after_ms = 0);
  // The first attempt after start: soon (within a tenth of every_ms), inside the window.
  int64_t First(int64_t now_ms);

  int failures() const { return failures_; }

 private:
  // `t`, or the next start of the window when `t` falls outside it.
  int64_t IntoWindow(int64_t t) const;
  int64_t Jitter(int64_t range);  // uniform in [0, range]

  ScheduleOptions o_;
  Random& random_;
  int failures_ = 0;
};

}  // namespace mpp::replicator
