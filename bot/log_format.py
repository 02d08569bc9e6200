"""One JSON object per log line, for log collectors (`[logging] format = "json"`).

Fields: time (UTC, ISO 8601), level, logger, event (the message without its key=value
details), message (as the text format shows it), each `key=value` of the message as its
own field (person=<pseudonymous log id>, kind=..., error=...), anything passed as
`extra=`, and for exceptions only the exception's class and the stack of code locations.
The exception's own message is left out: it may quote what a person wrote.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from datetime import UTC, datetime
from typing import Any

# `key=value` details as the project's log calls write them ("person=%s error=%s").
DETAIL = re.compile(r"(?:^|\s)([a-z_]+)=(\S*)")
# Attributes every LogRecord has; anything else on a record came from `extra=`.
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
RESERVED = frozenset({"time", "level", "logger", "event", "message", "exc_type", "stack"})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        first = DETAIL.search(message)
        event = message[: first.start()] if first else message
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": event.strip().rstrip(":"),
            "message": message,
        }
        for key, value in DETAIL.findall(message):
            if key not in RESERVED:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in STANDARD_ATTRIBUTES and key not in RESERVED:
                entry[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["stack"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(entry, ensure_ascii=False)
