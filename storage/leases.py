"""Named leases: which live instance does a one-at-a-time job right now.

A lease is a row (name, holder, expiry). Taking it is one statement on both backends: an
upsert that only overwrites an expired lease or one the caller already holds, so two
instances racing for it cannot both win. Holders renew before expiry; a holder that dies
stops renewing and another instance takes over once the lease has run out.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from storage.database import Database
from storage.timestamps import to_db


def instance_name() -> str:
    """Who holds leases from this process: host, pid and a random part (pids recur)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class LeaseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew `name` until now + ttl; False while someone else holds it."""
        rows = await self._db.fetch(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
            "expires_at = excluded.expires_at "
            "WHERE leases.expires_at <= ? OR leases.holder = excluded.holder RETURNING holder",
            (name, holder, to_db(now + ttl), to_db(now)),
        )
        return bool(rows)

    async def release(self, name: str, holder: str) -> None:
        """Give the lease up at once (a clean stop), so takeover need not wait."""
        await self._db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    async def holders(self, prefix: str, now: datetime) -> int:
        """How many live leases have names starting with `prefix` (live instances)."""
        count = await self._db.fetchval(
            "SELECT COUNT(*) FROM leases WHERE substr(name, 1, ?) = ? AND expires_at > ?",
            (len(prefix), prefix, to_db(now)),
        )
        return int(count or 0)
