-- Staff queries that must stay fast at 100,000 cases and outbox rows.
--
-- `liaison cases stats` counts by language, status, outcome and rating from this index
-- alone (one pass over small index entries, never the wide case rows).
CREATE INDEX cases_stats ON cases (lang, status, outcome, satisfaction);
-- Time to a liaison's first reply in whole seconds, written once with `first_reply_at`,
-- so the median and p90 are two look-ups in an ordered index rather than parsing every
-- case's timestamps. Cases answered before this column existed are filled in by the
-- stats query itself (found through the partial index below, empty once done).
ALTER TABLE cases ADD COLUMN first_reply_wait_s INTEGER;
CREATE INDEX cases_first_reply_wait ON cases (first_reply_wait_s)
    WHERE first_reply_wait_s IS NOT NULL;
CREATE INDEX cases_wait_unknown ON cases (id)
    WHERE first_reply_at IS NOT NULL AND first_reply_wait_s IS NULL;
-- The SLA check runs every minute: it reads only cases still owed a reminder or a notice,
-- which is a handful however many cases have ever been opened.
-- (They replace the index on every open unclaimed case, which the planner preferred while
-- it made the job visit every case already reminded; open cases get a lean one.)
DROP INDEX cases_open_unclaimed;
CREATE INDEX cases_open ON cases (id) WHERE status = 'open';
CREATE INDEX cases_owed_room_reminder ON cases (opened_at)
    WHERE status = 'open' AND claimed_by IS NULL AND room_reminded_at IS NULL;
CREATE INDEX cases_owed_resident_notice ON cases (opened_at)
    WHERE status = 'open' AND claimed_by IS NULL AND resident_told_at IS NULL;
-- /forget deletes a person: every column pointing at people needs an index, or each
-- ON DELETE action (and the outbox delete by person) walks its whole table.
CREATE INDEX outbox_person ON outbox (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX cases_claimed_by ON cases (claimed_by) WHERE claimed_by IS NOT NULL;
CREATE INDEX case_messages_author ON case_messages (author_id);
CREATE INDEX audit_log_actor ON audit_log (actor_id);
CREATE INDEX meetings_created_by ON meetings (created_by);
CREATE INDEX polls_created_by ON polls (created_by);
CREATE INDEX meeting_recipients_person ON meeting_recipients (person_id);
CREATE INDEX rsvps_person ON rsvps (person_id);
-- Daily retention deletes finished outbox rows by age without visiting pending ones.
CREATE INDEX outbox_finished ON outbox (created_at) WHERE status <> 'pending';
