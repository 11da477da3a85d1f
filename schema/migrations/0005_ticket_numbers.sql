-- mpp:foreign_keys=off
-- Schema version 5: a queue ticket's number is what was printed for the citizen, not what
-- names the ticket (its id does). A site whose disk was restored from an older copy issues
-- again numbers it had issued before the copy; both tickets are real and both must reach the
-- centre, so (site, day, number) is no longer unique. SQLite drops a constraint by rebuilding
-- the table, with foreign keys off meanwhile (the migration runner checks them after).
CREATE TABLE queue_tickets_v5 (
  id           TEXT PRIMARY KEY,
  site_code    TEXT NOT NULL REFERENCES sites(code),
  service_code TEXT NOT NULL REFERENCES services(code),
  counter_code TEXT,
  day          TEXT NOT NULL,                 -- local calendar date at the site
  number       INTEGER NOT NULL CHECK (number > 0),
  ticket_no    TEXT NOT NULL,                 -- 'G01-007'
  issued_at    TEXT NOT NULL,
  hlc          INTEGER NOT NULL
) STRICT;
INSERT INTO queue_tickets_v5 (id, site_code, service_code, counter_code, day, number, ticket_no,
                              issued_at, hlc)
  SELECT id, site_code, service_code, counter_code, day, number, ticket_no, issued_at, hlc
  FROM queue_tickets;
DROP TABLE queue_tickets;
ALTER TABLE queue_tickets_v5 RENAME TO queue_tickets;
CREATE INDEX queue_tickets_by_day ON queue_tickets (site_code, day, ticket_no);
