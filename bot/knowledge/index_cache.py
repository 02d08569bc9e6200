"""The built search index, kept on disk and reused while its inputs are unchanged.

Building the index of ten languages (tokenising ~17,000 phrasings, BM25 weights, the
language guesser) costs about a second of CPU at every start, more than everything else
the bot does before it polls. The index is a pure function of the content (topics,
search hints, calibration) and of the code that builds it, so it is stored under a key
made of both and loaded in a few milliseconds on the next start. Any change to a topic
file, a `search.toml`, the calibration, the deployment's extra content, the index code or
the numpy/scipy/Python versions gives another key, and the index is built afresh.

The file is a pickle. Loading a pickle runs whatever it names, so the cache folder must
be as trusted as the installed code: it is created private (mode 0700) and belongs to the
deployment (systemd's `CacheDirectory=`, or the service user's own cache folder). A file
that cannot be read or is not an index is rebuilt; a folder that cannot be written only
costs the rebuild at the next start: the cache never stops the bot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy

from bot.knowledge import content, language_id, search, terms, text
from bot.knowledge.content import Calibration, SearchHints, Topic
from bot.knowledge.search import KnowledgeSearch

log = logging.getLogger(__name__)
APP_FOLDER = "community-liaison-bot"
# The modules whose classes and functions make up a pickled index: a change to any of
# them changes the key, so an index is never loaded into code it was not built by.
INDEX_CODE = (content, language_id, search, terms, text)
# Indexes kept in the folder, most recently used first: one per content setup in use
# (a deployment has one; a test run a few, and must not evict the shipped content's).
KEPT_INDEXES = 4


def default_folder() -> Path:
    """systemd's cache directory for the service, else the user's cache folder."""
    systemd = os.environ.get("CACHE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / APP_FOLDER


def index_key(
    topics: dict[str, dict[str, Topic]],
    hints: dict[str, SearchHints],
    calibration: Calibration,
) -> str:
    """A digest of everything the index is built from: its inputs and its code."""
    digest = hashlib.sha256()
    for module in INDEX_CODE:
        digest.update(Path(module.__file__ or "").read_bytes())
    versions = (sys.version, np.__version__, scipy.__version__, pickle.HIGHEST_PROTOCOL)
    digest.update(repr(versions).encode())
    digest.update(repr(_canonical((topics, hints, calibration))).encode())
    return digest.hexdigest()


def cached_search(
    topics: dict[str, dict[str, Topic]],
    hints: dict[str, SearchHints],
    calibration: Calibration,
    folder: Path,
    build: Callable[[], KnowledgeSearch],
) -> KnowledgeSearch:
    """The index for these inputs from `folder`, or `build()` stored there for next time."""
    path = folder / f"search-{index_key(topics, hints, calibration)}.pickle"
    loaded = _load(path)
    if loaded is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: the last to be evicted
        return loaded
    built = build()
    _store(built, path)
    return built


def _load(path: Path) -> KnowledgeSearch | None:
    try:
        with path.open("rb") as handle:
            found = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as error:  # a truncated or foreign file: build it again
        log.warning("search index cache unreadable (%s); rebuilding it", type(error).__name__)
        return None
    return found if isinstance(found, KnowledgeSearch) else None


def _store(index: KnowledgeSearch, path: Path) -> None:
    """Written to a private temporary file and renamed into place, so a reader (another
    instance starting at the same moment) sees a whole index or none. Only the
    KEPT_INDEXES most recently used indexes stay: old content's would never be loaded."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".search-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        log.warning("search index not cached (%s); it is built at every start", error.strerror)
        return
    _evict(path.parent)


def _evict(folder: Path) -> None:
    def last_used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:  # removed meanwhile by another instance
            return 0.0

    indexes = sorted(folder.glob("search-*.pickle"), key=last_used, reverse=True)
    for old in indexes[KEPT_INDEXES:]:
        old.unlink(missing_ok=True)


def _canonical(value: object) -> object:
    """`value` as nested tuples whose repr is the same in every process: sets are sorted
    (their iteration order follows the per-process string hash seed)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(_canonical(getattr(value, f.name)) for f in dataclasses.fields(value)),
        )
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted((_canonical(item) for item in value), key=repr)))
    if isinstance(value, dict):
        return ("dict", tuple((key, _canonical(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(item) for item in value)
    return value
