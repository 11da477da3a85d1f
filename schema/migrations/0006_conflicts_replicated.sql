-- Schema version 6: conflict records are kept by the centre and pulled by the site they
-- concern, so both ends list the same conflicts under the same ids in the same state, in any
-- order of delivery (docs/protocol.md#conflicts). A record now names the site of its row and
-- carries the stamp columns of a replicated row.
ALTER TABLE conflicts ADD COLUMN site_code TEXT NOT NULL DEFAULT '';
ALTER TABLE conflicts ADD COLUMN created_hlc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conflicts ADD COLUMN updated_hlc INTEGER NOT NULL DEFAULT 0;
UPDATE conflicts SET site_code = COALESCE(
  (SELECT a.site_code FROM applications a WHERE a.id = conflicts.row_id),
  (SELECT c.site_code FROM complaints c WHERE c.id = conflicts.row_id),
  (SELECT k.site_code FROM counters k WHERE k.id = conflicts.row_id), '');
DELETE FROM conflicts WHERE site_code = '';  -- its row is gone: nothing left to decide
-- A site's own records from before were its own view (other ids, other winners); the centre's
-- records replace them: the centre puts each of its records in its feed for the site it
-- concerns, stamped after every change it made, so that site pulls it like a new one.
DELETE FROM conflicts
  WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'role' AND value = 'central');
INSERT INTO change_log (hlc, origin_site, table_name, row_id, op, data, base, audience)
  SELECT (SELECT COALESCE(MAX(hlc), 0) FROM change_log) + conflicts.rowid, 'CENTRAL',
         'conflicts', id, 'insert',
         json_object('id', id, 'site_code', site_code, 'table_name', table_name,
                     'row_id', row_id, 'col', col, 'winner_value', winner_value,
                     'winner_hlc', winner_hlc, 'winner_origin', winner_origin,
                     'loser_value', loser_value, 'loser_hlc', loser_hlc,
                     'loser_origin', loser_origin, 'detected_at', detected_at,
                     'status', status, 'resolved_at', resolved_at, 'resolution', resolution),
         NULL, site_code
  FROM conflicts ORDER BY conflicts.rowid;
CREATE INDEX conflicts_by_site ON conflicts (site_code, status);
