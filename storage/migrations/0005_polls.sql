-- Trust polls. Responses carry no person: only a keyed hash of (poll, person), which lets a
-- second tap replace the first without anyone being able to tell who answered what.
CREATE TABLE polls (
    id                INTEGER PRIMARY KEY,
    template          TEXT    NOT NULL,
    question          TEXT    NOT NULL DEFAULT '{}',
    options           TEXT    NOT NULL DEFAULT '{}',
    audience_tags     TEXT    NOT NULL DEFAULT '',
    ask_neighborhood  INTEGER NOT NULL DEFAULT 0,
    opens_at          TEXT    NOT NULL,
    closes_at         TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    wave              INTEGER NOT NULL DEFAULT 1,
    created_by        INTEGER REFERENCES people (id) ON DELETE SET NULL
);
CREATE INDEX polls_status_closes ON polls (status, closes_at);
CREATE INDEX polls_template ON polls (template, wave);

CREATE TABLE poll_responses (
    poll_id      INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    voter_hash   TEXT    NOT NULL,
    answer       INTEGER,
    lang         TEXT    NOT NULL,
    neighborhood TEXT,
    PRIMARY KEY (poll_id, voter_hash)
);
-- Covers the results query (GROUP BY answer, lang, neighborhood) without touching the table.
CREATE INDEX poll_responses_poll ON poll_responses (poll_id, answer, lang, neighborhood);
