-- Several instances on one database. An outbox row being delivered is leased to one
-- instance until `lease_until`; a lease that expires (the instance died) is taken over.
-- `leases` holds named roles (the Telegram poller, the Discord gateway, each periodic
-- job) with their holder and expiry, so exactly one live instance does each.
ALTER TABLE outbox ADD COLUMN leased_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
