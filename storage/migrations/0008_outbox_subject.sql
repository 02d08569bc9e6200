-- The person whose data an outbox row carries: their chat id (a reply to them) or their
-- words (a case card or relay in a liaison room). /forget deletes rows by subject, which
-- also reaches rows without a person link (a reply queued after a rate limit).
ALTER TABLE outbox ADD COLUMN subject INTEGER;
UPDATE outbox SET subject = person_id WHERE person_id IS NOT NULL;
UPDATE outbox SET subject = (
    SELECT c.person_id FROM cases c WHERE outbox.dedupe_key LIKE 'case:' || c.id || ':%'
) WHERE subject IS NULL AND dedupe_key LIKE 'case:%';
CREATE INDEX outbox_subject ON outbox (subject) WHERE subject IS NOT NULL;
