-- Schema version 3: what the sync protocol needs (docs/protocol.md). One schema serves sites
-- and the centre; the centre-only tables stay empty at a site.

-- The version of every column of every replicated row, for the column-level merge. A row's
-- columns all carry the version of its insert (hlc, origin) unless `cols` names a later one:
-- {"<column or group>": [hlc, "<origin>", rank]}. rank orders a state-machine group (an
-- application's status) before the hlc does; it is 0 elsewhere.
CREATE TABLE row_versions (
  table_name TEXT NOT NULL,
  row_id     TEXT NOT NULL,
  hlc        INTEGER NOT NULL,
  origin     TEXT NOT NULL,
  cols       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(cols)),
  PRIMARY KEY (table_name, row_id)
) STRICT, WITHOUT ROWID;

-- An update records the versions it overwrote ({"<column or group>": [hlc, "<origin>"]}), so
-- a replica can tell a later edit from a concurrent one.
ALTER TABLE change_log ADD COLUMN base TEXT;
-- At the centre: which site pulls this change ('*' for reference data every site sees).
ALTER TABLE change_log ADD COLUMN audience TEXT;
CREATE INDEX change_log_by_audience ON change_log (audience, seq);

-- Concurrent edits of one column: both values and the winner the merge rules chose. The id is
-- derived from (table, row, column, winning version) so every replica names it alike.
CREATE TABLE conflicts (
  id            TEXT PRIMARY KEY,
  table_name    TEXT NOT NULL,
  row_id        TEXT NOT NULL,
  col           TEXT NOT NULL,
  winner_value  TEXT NOT NULL,   -- JSON
  winner_hlc    INTEGER NOT NULL,
  winner_origin TEXT NOT NULL,
  loser_value   TEXT NOT NULL,   -- JSON
  loser_hlc     INTEGER NOT NULL,
  loser_origin  TEXT NOT NULL,
  detected_at   TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  resolved_at   TEXT,
  resolution    TEXT
) STRICT;
CREATE INDEX conflicts_by_row ON conflicts (table_name, row_id, col);

-- Centre: per site, the last change sequence applied (exactly-once is keyed on it).
CREATE TABLE site_cursors (
  site_code      TEXT PRIMARY KEY,
  acked_seq      INTEGER NOT NULL DEFAULT 0,
  last_push_at   TEXT,
  protocol       INTEGER,
  schema_version INTEGER
) STRICT;

-- Centre: every refused request, who sent it and why (never a body).
CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY,
  at     TEXT NOT NULL,
  peer   TEXT NOT NULL,
  action TEXT NOT NULL,
  code   TEXT NOT NULL,
  detail TEXT NOT NULL
) STRICT;

-- A site: the offset of its wall clock from the centre's, measured at the last sync.
INSERT OR IGNORE INTO meta (key, value) VALUES ('clock_offset_ms', '0');
