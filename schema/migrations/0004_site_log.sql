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
