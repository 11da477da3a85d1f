-- mppsync site schema, version 1.
-- Shipped migrations are never edited: changes come as a new numbered file.
--
-- Ownership: agencies, services and sites are reference data owned by the centre; every other
-- synced table holds data created at a site (site_code = the origin site). Every synced row
-- has a globally unique id minted offline (UUIDv7; reference tables use their stable code).
-- Times are RFC 3339 UTC text with a Z ("2026-11-20T00:12:44Z"): text order is time order.
-- hlc columns are hybrid logical clock stamps (48 bits of ms, 16 bits of counter).

-- Local, never synced: which site this is, and its secrets.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

---------------------------------------------------------------- reference data (centre-owned)
CREATE TABLE agencies (
  code TEXT PRIMARY KEY,                      -- 'DUKCAPIL'
  name TEXT NOT NULL
) STRICT;

CREATE TABLE services (
  code             TEXT PRIMARY KEY,          -- 'DKC-KTP'
  agency_code      TEXT NOT NULL REFERENCES agencies(code),
  name             TEXT NOT NULL,
  standard_minutes INTEGER NOT NULL CHECK (standard_minutes > 0),  -- service standard (SP)
  fee_idr          INTEGER NOT NULL CHECK (fee_idr >= 0),
  active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;

CREATE TABLE sites (
  code         TEXT PRIMARY KEY,              -- 'MPP7301'
  regency_code TEXT NOT NULL,                 -- Kemendagri code, '73.01'
  name         TEXT NOT NULL,
  time_zone    TEXT NOT NULL CHECK (time_zone IN ('WIB', 'WITA', 'WIT'))
) STRICT;

---------------------------------------------------------------- site data
CREATE TABLE counters (                       -- gerai
  id          TEXT PRIMARY KEY,
  site_code   TEXT NOT NULL REFERENCES sites(code),
  code        TEXT NOT NULL,                  -- 'G01'
  agency_code TEXT NOT NULL REFERENCES agencies(code),
  name        TEXT NOT NULL,
  hlc         INTEGER NOT NULL,
  UNIQUE (site_code, code)
) STRICT;

CREATE TABLE queue_tickets (
  id           TEXT PRIMARY KEY,
  site_code    TEXT NOT NULL REFERENCES sites(code),
  service_code TEXT NOT NULL REFERENCES services(code),
  counter_code TEXT,
  day          TEXT NOT NULL,                 -- local calendar date at the site
  number       INTEGER NOT NULL CHECK (number > 0),
  ticket_no    TEXT NOT NULL,                 -- 'G01-007'
  issued_at    TEXT NOT NULL,
  hlc          INTEGER NOT NULL,
  UNIQUE (site_code, day, ticket_no)
) STRICT;

CREATE TABLE applications (                   -- permohonan
  id           TEXT PRIMARY KEY,
  site_code    TEXT NOT NULL REFERENCES sites(code),
  service_code TEXT NOT NULL REFERENCES services(code),
  citizen_ref  TEXT CHECK (citizen_ref IS NULL OR length(citizen_ref) = 64),  -- HMAC of the NIK
  counter_code TEXT,
  ticket_id    TEXT REFERENCES queue_tickets(id),
  channel      TEXT NOT NULL CHECK (channel IN ('walk_in', 'online')),
  status       TEXT NOT NULL CHECK (status IN ('received', 'verified', 'in_process',
                                               'completed', 'rejected', 'cancelled')),
  received_at  TEXT NOT NULL,
  completed_at TEXT,                          -- set when the status becomes terminal
  fee_idr      INTEGER NOT NULL CHECK (fee_idr >= 0),
  officer      TEXT,
  notes        TEXT,
  created_hlc  INTEGER NOT NULL,
  updated_hlc  INTEGER NOT NULL
) STRICT;
CREATE INDEX applications_by_received ON applications (received_at, id);
CREATE INDEX applications_by_status ON applications (status, received_at);
CREATE INDEX applications_by_service ON applications (service_code, received_at);

CREATE TABLE application_events (             -- append-only status history
  id             TEXT PRIMARY KEY,
  site_code      TEXT NOT NULL REFERENCES sites(code),
  application_id TEXT NOT NULL REFERENCES applications(id),
  from_status    TEXT,
  to_status      TEXT NOT NULL,
  at             TEXT NOT NULL,
  officer        TEXT,
  note           TEXT,
  hlc            INTEGER NOT NULL
) STRICT;
CREATE INDEX application_events_by_application ON application_events (application_id, hlc);

CREATE TABLE payments (                       -- append-only
  id             TEXT PRIMARY KEY,
  site_code      TEXT NOT NULL REFERENCES sites(code),
  application_id TEXT NOT NULL REFERENCES applications(id),
  amount_idr     INTEGER NOT NULL CHECK (amount_idr > 0),
  method         TEXT NOT NULL CHECK (method IN ('cash', 'qris', 'transfer', 'edc')),
  reference      TEXT,
  paid_at        TEXT NOT NULL,
  hlc            INTEGER NOT NULL
) STRICT;
CREATE INDEX payments_by_application ON payments (application_id);

CREATE TABLE surveys (                        -- SKM responses (PermenPANRB 14/2017), append-only
  id             TEXT PRIMARY KEY,
  site_code      TEXT NOT NULL REFERENCES sites(code),
  service_code   TEXT NOT NULL REFERENCES services(code),
  application_id TEXT REFERENCES applications(id),
  u1 INTEGER NOT NULL CHECK (u1 BETWEEN 1 AND 4),  -- persyaratan (requirements)
  u2 INTEGER NOT NULL CHECK (u2 BETWEEN 1 AND 4),  -- sistem, mekanisme, prosedur
  u3 INTEGER NOT NULL CHECK (u3 BETWEEN 1 AND 4),  -- waktu penyelesaian (time)
  u4 INTEGER NOT NULL CHECK (u4 BETWEEN 1 AND 4),  -- biaya/tarif (cost)
  u5 INTEGER NOT NULL CHECK (u5 BETWEEN 1 AND 4),  -- produk spesifikasi jenis pelayanan
  u6 INTEGER NOT NULL CHECK (u6 BETWEEN 1 AND 4),  -- kompetensi pelaksana
  u7 INTEGER NOT NULL CHECK (u7 BETWEEN 1 AND 4),  -- perilaku pelaksana
  u8 INTEGER NOT NULL CHECK (u8 BETWEEN 1 AND 4),  -- penanganan pengaduan
  u9 INTEGER NOT NULL CHECK (u9 BETWEEN 1 AND 4),  -- sarana dan prasarana
  comment        TEXT,
  submitted_at   TEXT NOT NULL,
  hlc            INTEGER NOT NULL
) STRICT;

CREATE TABLE complaints (                     -- pengaduan, editable
  id             TEXT PRIMARY KEY,
  site_code      TEXT NOT NULL REFERENCES sites(code),
  application_id TEXT REFERENCES applications(id),
  service_code   TEXT REFERENCES services(code),
  channel        TEXT NOT NULL CHECK (channel IN ('counter', 'phone', 'web', 'sp4n_lapor',
                                                  'email', 'suggestion_box')),
  category       TEXT NOT NULL CHECK (category IN ('service_time', 'fee', 'staff_conduct',
                                                   'requirements', 'facilities', 'other')),
  description    TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
  response       TEXT,
  received_at    TEXT NOT NULL,
  resolved_at    TEXT,
  created_hlc    INTEGER NOT NULL,
  updated_hlc    INTEGER NOT NULL
) STRICT;

-- Append-only tables refuse edits at the lowest level, whatever code runs above.
CREATE TRIGGER application_events_no_update BEFORE UPDATE ON application_events
  BEGIN SELECT RAISE(ABORT, 'application_events is append-only'); END;
CREATE TRIGGER application_events_no_delete BEFORE DELETE ON application_events
  BEGIN SELECT RAISE(ABORT, 'application_events is append-only'); END;
CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments
  BEGIN SELECT RAISE(ABORT, 'payments is append-only'); END;
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
  BEGIN SELECT RAISE(ABORT, 'payments is append-only'); END;
CREATE TRIGGER surveys_no_update BEFORE UPDATE ON surveys
  BEGIN SELECT RAISE(ABORT, 'surveys is append-only'); END;
CREATE TRIGGER surveys_no_delete BEFORE DELETE ON surveys
  BEGIN SELECT RAISE(ABORT, 'surveys is append-only'); END;

---------------------------------------------------------------- sync metadata
-- Every write through the store appends here in the same transaction. seq is this replica's
-- local order (AUTOINCREMENT: never reused, and contiguous because a rolled-back insert also
-- rolls back the counter). data holds the columns written, as a JSON object.
CREATE TABLE change_log (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  hlc         INTEGER NOT NULL,
  origin_site TEXT NOT NULL,
  table_name  TEXT NOT NULL,
  row_id      TEXT NOT NULL,
  op          TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  data        TEXT NOT NULL CHECK (json_valid(data))
) STRICT;
CREATE INDEX change_log_by_row ON change_log (table_name, row_id);

-- Per sync peer: how far our own changes have been acknowledged, and the pull cursor.
CREATE TABLE sync_state (
  peer        TEXT PRIMARY KEY,               -- 'central'
  acked_seq   INTEGER NOT NULL DEFAULT 0,     -- change_log.seq acknowledged by the peer
  pull_cursor TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO sync_state (peer) VALUES ('central');
