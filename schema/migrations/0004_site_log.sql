-- Schema version 4. Centre: every change a site pushed, as the centre stored it, under the
-- site's own numbering. With it the centre tells a replay (the same change sent again) from a
-- different change under a number it already holds (a site whose disk was restored from an
-- older copy, or rebuilt empty), refuses the second with site_behind instead of dropping it,
-- and gives that site back its own changes so it can recover (docs/protocol.md#recovery).
-- Stays empty at a site.
CREATE TABLE site_log (
  site_code  TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  hlc        INTEGER NOT NULL,
  table_name TEXT NOT NULL,
  row_id     TEXT NOT NULL,
  op         TEXT NOT NULL,
  data       TEXT NOT NULL,
  base       TEXT,
  PRIMARY KEY (site_code, seq)
) STRICT, WITHOUT ROWID;

-- Centre: a site's changes refused one by one for what they do (a row of another site, say
-- an id another site already used; reference data; a value the rules refuse), set aside with
-- the reason instead of stopping every later change of that site. Visible to the ministry and
-- operators (GET /api/v1/quarantine); an operator dismisses one once it is dealt with.
CREATE TABLE quarantine (
  id          INTEGER PRIMARY KEY,
  site_code   TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  table_name  TEXT NOT NULL,
  row_id      TEXT NOT NULL,
  op          TEXT NOT NULL,
  data        TEXT NOT NULL,
  code        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  at          TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('open', 'dismissed')),
  resolved_at TEXT,
  resolved_by TEXT
) STRICT;
CREATE INDEX quarantine_by_status ON quarantine (status, id);
