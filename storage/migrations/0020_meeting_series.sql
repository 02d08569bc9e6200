-- Recurring meetings: a series keeps the rule (an RFC 5545 RRULE value read in the
-- series' time zone, so occurrences keep their wall-clock time across clock changes);
-- each occurrence is an ordinary meeting row, announced, reminded, changed or cancelled
-- on its own, that remembers the series and the start the rule gave it.
CREATE TABLE meeting_series (
    id          INTEGER PRIMARY KEY,
    rule        TEXT NOT NULL,
    first_start TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

ALTER TABLE meetings ADD COLUMN series_id INTEGER REFERENCES meeting_series (id);
ALTER TABLE meetings ADD COLUMN series_start TEXT;
CREATE INDEX meetings_series ON meetings (series_id, series_start);
