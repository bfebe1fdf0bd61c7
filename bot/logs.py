"""Logging: JSON lines in production, readable lines in a terminal.

Every log line, postpoc's and its libraries', goes through structlog's
processors: a request id bound per request, a time stamp, and a scrubber that
removes anything that looks like a credential. Answer text is never logged by
postpoc itself; the scrubber is the second line of defence for tokens.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

SECRET_KEYS = re.compile(r"(token|secret|password|authorization|signature|cookie|api_key)", re.I)
SECRET_VALUES = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|pps_[0-9a-f]+|Bearer\s+[A-Za-z0-9._~+/=-]+|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9._-]+)"
)
REDACTED = "[redacted]"


def scrub(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop credential-looking values, whatever their key or place in a message."""
    for key, value in list(event.items()):
        if SECRET_KEYS.search(key) and key != "event":
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = SECRET_VALUES.sub(REDACTED, value)
    return event


def configure(level: str = "INFO", json: bool | None = None, stream: TextIO | None = None) -> None:
    """Set up logging once, at start, to ``stream`` (standard error by default).
    ``json`` defaults to "not a terminal"."""
    stream = stream or sys.stderr
    if json is None:
        json = not stream.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        scrub,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def bind_request(request_id: str, platform: str) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id, platform=platform)
