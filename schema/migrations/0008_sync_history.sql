-- Schema version 8: a site's sync history (`mppctl log`, `mppctl status`), and at the centre
-- where each site last pulled from. One sync_history row per
-- attempt, over the network or by bundle, successful or not. Never synced; the centre's is
-- empty. The newest 1,000 attempts are kept.
CREATE TABLE sync_history (
  id             INTEGER PRIMARY KEY,
  started_at     TEXT NOT NULL,      -- RFC 3339 UTC, the PC's clock
  finished_at    TEXT NOT NULL,
  via            TEXT NOT NULL CHECK (via IN ('network', 'bundle')),
  direction      TEXT NOT NULL CHECK (direction IN ('both', 'push', 'pull', 'export', 'import')),
  outcome        TEXT NOT NULL CHECK (outcome IN ('complete', 'partial', 'failed')),
  pushed         INTEGER NOT NULL DEFAULT 0,   -- changes the centre newly stored
  pulled         INTEGER NOT NULL DEFAULT 0,   -- changes received from the centre
  bytes_sent     INTEGER NOT NULL DEFAULT 0,
  bytes_received INTEGER NOT NULL DEFAULT 0,
  contacted      INTEGER NOT NULL DEFAULT 0,   -- the centre answered at least once (2xx)
  push_complete  INTEGER NOT NULL DEFAULT 0,   -- nothing left to push when it ended
  pull_complete  INTEGER NOT NULL DEFAULT 0,   -- nothing left to pull when it ended
  error_code     TEXT,
  error_message  TEXT
) STRICT;

-- Centre: what each site said it holds of the centre's feed when it last pulled (over the
-- network or in a bundle), and when the centre last heard from it: the start of the next
-- bundle for it (mpp-central export), and a contact even when a sync pushes nothing.
ALTER TABLE site_cursors ADD COLUMN pull_cursor INTEGER;
ALTER TABLE site_cursors ADD COLUMN last_contact_at TEXT;
