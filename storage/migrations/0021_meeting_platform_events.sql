-- A meeting's native calendar events on platforms that have them (a Discord scheduled
-- event per guild), so a change or cancellation updates the same event.
CREATE TABLE meeting_platform_events (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    platform   TEXT    NOT NULL,
    event_ref  TEXT    NOT NULL,
    PRIMARY KEY (meeting_id, platform, event_ref)
);
