"""Which database a configuration points at: the one place that tells SQLite from PostgreSQL.

Backups, the "does the database exist" check of read commands and the health probe all
ask here, so adding a backend changes this module rather than every command.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from storage.database import sqlite_path

MEMORY = ":memory:"
POSTGRES_SCHEMES = ("postgres://", "postgresql://")


class BackendKind(enum.Enum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


@dataclass(frozen=True, slots=True)
class Backend:
    """The configured database: a SQLite file path or a PostgreSQL URL."""

    kind: BackendKind
    location: str

    @property
    def path(self) -> Path:
        """The SQLite file (only meaningful for SQLite)."""
        return Path(self.location)

    def exists(self) -> bool:
        """False only when we know there is no database yet (a SQLite file not created)."""
        if self.kind is BackendKind.POSTGRESQL or self.location == MEMORY:
            return True
        return self.path.is_file()


def storage_backend(config: Config) -> Backend:
    """The backend the `[storage]` section names (`url`, or the older `path`)."""
    url = config.storage.database_url
    if url.startswith(POSTGRES_SCHEMES):
        return Backend(BackendKind.POSTGRESQL, url)
    return Backend(BackendKind.SQLITE, sqlite_path(url) or config.storage.path)
