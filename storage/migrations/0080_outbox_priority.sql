-- Who an outbox row is for: 0 someone waiting for it (a reply handed over after a failed
-- send, a case relay, a staff answer), 1 bulk (announcements, reminders, polls). Due rows
-- are taken lowest first, so a person's answer never queues behind a broadcast; the
-- index serves that order for the pending rows of one platform.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (platform, status, priority, not_before, chat_id);
