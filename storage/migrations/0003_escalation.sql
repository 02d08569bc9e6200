-- Escalation to human liaisons: cases, their messages, where each case lives in the
-- liaison rooms, snippets, and the audit log. People gain a block flag and the name a
-- liaison chooses to show residents.
ALTER TABLE people ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN public_name TEXT;

CREATE TABLE cases (
    id                   INTEGER PRIMARY KEY,
    person_id            INTEGER REFERENCES people (id) ON DELETE SET NULL,
    status               TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    anonymous            INTEGER NOT NULL DEFAULT 1,
    shown_name           TEXT,
    pseudonym            TEXT    NOT NULL,
    lang                 TEXT    NOT NULL,
    urgent               INTEGER NOT NULL DEFAULT 0,
    topics               TEXT    NOT NULL DEFAULT '',
    opened_at            TEXT    NOT NULL,
    claimed_by           INTEGER REFERENCES people (id) ON DELETE SET NULL,
    claimed_at           TEXT,
    first_reply_at       TEXT,
    room_reminded_at     TEXT,
    resident_told_at     TEXT,
    closed_at            TEXT,
    outcome              TEXT,
    close_note           TEXT,
    satisfaction         INTEGER CHECK (satisfaction BETWEEN 1 AND 5)
);
CREATE INDEX cases_person_status ON cases (person_id, status);
CREATE INDEX cases_open_unclaimed ON cases (status, claimed_by, opened_at);
CREATE INDEX cases_closed_at ON cases (closed_at) WHERE closed_at IS NOT NULL;

CREATE TABLE case_messages (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('resident', 'liaison', 'note')),
    author_id       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    body            TEXT,
    attachment_name TEXT,
    created_at      TEXT    NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, id);

CREATE TABLE case_rooms (
    case_id   INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    platform  TEXT    NOT NULL,
    chat_id   TEXT    NOT NULL,
    thread_id TEXT,
    PRIMARY KEY (case_id, platform, chat_id)
);
CREATE INDEX case_rooms_thread ON case_rooms (platform, chat_id, thread_id);

CREATE TABLE snippets (
    name TEXT NOT NULL,
    lang TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (name, lang)
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    actor_id  INTEGER REFERENCES people (id) ON DELETE SET NULL,
    action    TEXT    NOT NULL,
    case_id   INTEGER REFERENCES cases (id) ON DELETE SET NULL,
    detail    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_case ON audit_log (case_id);
