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
-- A site's own records from before were its own view (other ids, other winners); the centre's
-- records replace them.
DELETE FROM conflicts
  WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'role' AND value = 'central');
CREATE INDEX conflicts_by_site ON conflicts (site_code, status);
