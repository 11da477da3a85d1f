-- Schema version 7: the national NIK key leaves the sites (docs/architecture.md, "Personal
-- data"). A site matches its citizens with a key of its own (site_ref) and seals each NIK for
-- the centre (nik_sealed, dropped once the centre has it); only the centre makes the national
-- citizen_ref, with a key it alone holds, and records which key made it (citizen_key).
ALTER TABLE applications ADD COLUMN site_ref TEXT
  CHECK (site_ref IS NULL OR length(site_ref) = 64);     -- HMAC of the NIK, site's key
ALTER TABLE applications ADD COLUMN nik_sealed TEXT;     -- the NIK sealed for the centre
ALTER TABLE applications ADD COLUMN citizen_key TEXT;    -- id of the key of citizen_ref
CREATE INDEX applications_sealed ON applications (id) WHERE nik_sealed IS NOT NULL;
-- At a site, the old shared key goes, and with it the references made with it; the outbox
-- no longer carries them (the centre makes its own from the sealed NIK).
UPDATE applications SET citizen_ref = NULL
  WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'role' AND value = 'central');
UPDATE change_log SET data = json_remove(data, '$.citizen_ref')
  WHERE table_name = 'applications' AND json_type(data, '$.citizen_ref') IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'role' AND value = 'central');
DELETE FROM meta WHERE key = 'nik_key_hex';
