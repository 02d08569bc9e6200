"""Logging that cannot leak secrets: known secret values are masked in every record.

Platform libraries log request URLs, and some platforms put the bot token in them; rather
than trusting every library, a filter on the root handler masks each configured secret.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from bot.log_format import JsonFormatter
from bot.platforms.registry import PLATFORMS

MASK = "[secret]"
# Libraries that log every HTTP request (with tokens in URLs) are kept at WARNING.
NOISY_LOGGERS = (
    "httpx",
    "httpcore",
    *(name for spec in PLATFORMS for name in spec.noisy_loggers),
    # Logs every SQL statement with its parameters (message text, platform ids) at DEBUG.
    "aiosqlite",
    "apscheduler",
)


class SecretMaskingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Library exceptions quote tokens ("The token `123:…` was rejected"); the
            # formatter prints exc_text when set, so the traceback is masked here.
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


def configure_logging(level: str, secrets: Iterable[str], fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    # Some libraries set their own loggers to DEBUG on import; the handler still drops them.
    handler.setLevel(level)
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(SecretMaskingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_noisy_libraries()


def quiet_noisy_libraries() -> None:
    """Keep libraries that log requests or SQL (with tokens, ids, text) at WARNING."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
