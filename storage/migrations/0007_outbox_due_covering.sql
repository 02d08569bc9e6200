-- The delivery loop asks "which chats have due rows?" after every finished chat: answer it
-- from the index alone (chat_id included) and stop at the first few, never visiting rows.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (platform, status, not_before, chat_id);
