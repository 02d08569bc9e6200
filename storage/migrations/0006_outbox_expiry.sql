-- The delivery loop sweeps expired reminders; this keeps the sweep from scanning the table.
CREATE INDEX outbox_expiry ON outbox (expires_at)
    WHERE status = 'pending' AND expires_at IS NOT NULL;
-- Recent topic views are trimmed by the daily retention job rather than on every view.
CREATE INDEX topic_views_viewed ON topic_views (viewed_at);
