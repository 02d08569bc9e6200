-- Meetings: subscribers (with neighbourhood tags), meetings, who received each one (so
-- changes reach exactly them), RSVPs. Outbox rows gain an expiry: a reminder for a meeting
-- that has already started is skipped rather than sent late.
ALTER TABLE outbox ADD COLUMN expires_at TEXT;

CREATE TABLE subscribers (
    person_id     INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    subscribed_at TEXT NOT NULL
);

CREATE TABLE subscriber_tags (
    person_id INTEGER NOT NULL REFERENCES subscribers (person_id) ON DELETE CASCADE,
    tag       TEXT    NOT NULL,
    PRIMARY KEY (person_id, tag)
);
CREATE INDEX subscriber_tags_tag ON subscriber_tags (tag);

CREATE TABLE meetings (
    id               INTEGER PRIMARY KEY,
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    place            TEXT    NOT NULL DEFAULT '',
    link             TEXT    NOT NULL DEFAULT '',
    starts_at        TEXT    NOT NULL,
    timezone         TEXT    NOT NULL,
    audience_tags    TEXT    NOT NULL DEFAULT '',
    reminder_minutes TEXT    NOT NULL DEFAULT '1440,60',
    translations     TEXT    NOT NULL DEFAULT '{}',
    status           TEXT    NOT NULL DEFAULT 'published'
                     CHECK (status IN ('published', 'cancelled')),
    version          INTEGER NOT NULL DEFAULT 1,
    created_by       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at       TEXT    NOT NULL
);
CREATE INDEX meetings_upcoming ON meetings (status, starts_at);

CREATE TABLE meeting_recipients (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, person_id)
);

CREATE TABLE rsvps (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    answer     TEXT    NOT NULL CHECK (answer IN ('going', 'maybe', 'no')),
    PRIMARY KEY (meeting_id, person_id)
);
CREATE INDEX rsvps_meeting ON rsvps (meeting_id, answer);
