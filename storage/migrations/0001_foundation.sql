-- People, their conversation state, and the durable outbox.
CREATE TABLE people (
    id               INTEGER PRIMARY KEY,
    platform         TEXT    NOT NULL,
    platform_user_id TEXT    NOT NULL,
    locale           TEXT,
    locale_chosen    INTEGER NOT NULL DEFAULT 0,
    role             TEXT    NOT NULL DEFAULT 'resident'
                     CHECK (role IN ('resident', 'liaison', 'organizer', 'admin')),
    timezone         TEXT,
    unreachable      INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL,
    last_seen_at     TEXT    NOT NULL,
    UNIQUE (platform, platform_user_id)
);
CREATE INDEX people_role ON people (role) WHERE role <> 'resident';

CREATE TABLE conversation_state (
    person_id  INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    flow       TEXT NOT NULL,
    step       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);
CREATE INDEX conversation_state_updated ON conversation_state (updated_at);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT    NOT NULL UNIQUE,
    platform        TEXT    NOT NULL,
    chat_id         TEXT    NOT NULL,
    thread_id       TEXT,
    person_id       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT,
    last_error      TEXT,
    broadcast_id    TEXT
);
CREATE INDEX outbox_due ON outbox (platform, status, not_before);
CREATE INDEX outbox_chat ON outbox (platform, chat_id, status);
CREATE INDEX outbox_broadcast ON outbox (broadcast_id, status) WHERE broadcast_id IS NOT NULL;
