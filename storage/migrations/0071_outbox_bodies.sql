-- A broadcast's message is stored once, not once per recipient. An announcement to
-- 100,000 people used to write its text, buttons and base64 `.ics` into every outbox row
-- (about 1.8 KB each); now the rows point at one body per distinct message (language,
-- time zone, kind) and carry only the chat, keys and times.
--
-- `digest` (SHA-256 of the payload) makes storing a body idempotent: the same poll sent
-- to a late voter reuses the body its first sending stored. Bodies hold broadcast text
-- only, never a person's words, so /forget has nothing to erase here; retention removes
-- bodies no row points at any more.
CREATE TABLE outbox_bodies (
    id         INTEGER PRIMARY KEY,
    digest     TEXT    NOT NULL UNIQUE,
    payload    TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX outbox_bodies_created ON outbox_bodies (created_at);
ALTER TABLE outbox ADD COLUMN body_id INTEGER REFERENCES outbox_bodies (id);
CREATE INDEX outbox_body ON outbox (body_id) WHERE body_id IS NOT NULL;
