"""Logging: JSON lines in production, readable lines in a terminal.

Every log line, postpoc's and its libraries', goes through structlog's
processors: a request id bound per request, a time stamp, and a scrubber that
removes anything that looks like a credential, from messages and from
tracebacks alike (an exception is formatted before the scrubber runs). Answer
text is never logged by postpoc itself; the scrubber is the second line of
defence for tokens.

Libraries log what passes through them: slack_bolt the whole body of a request
whose signature fails (at INFO), slack_sdk, Bolt's listener runners and
the database drivers (aiosqlite, psycopg) and SQLAlchemy request and response
bodies, statements with their values or result rows (at DEBUG). The
handler's :class:`Withheld` filter drops those records whatever the level
configured, so ``LOG_LEVEL=DEBUG`` shows postpoc's own detail and never what a
person typed.
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


BODY_LOGGERS = re.compile(r"^slack_bolt\.(Async)?RequestVerification$")
"""Log the raw body of a refused request: dropped below ERROR."""
CHATTY_LOGGERS = re.compile(
    r"^(slack_bolt|slack_sdk|sqlalchemy|aiosqlite|psycopg|aiohttp|botbuilder|botframework|"
    r"msrest|msal|urllib3|requests|postpoc\.slack\.bolt|postpoc:)(\.|:|$)"
)
"""Log payloads, rows or request bodies at DEBUG: only INFO and above are kept.
(``postpoc:<Class>`` are the loggers Bolt makes for its listener runners.)"""


BOLT_LOGGERS = re.compile(r"^(slack_bolt|postpoc\.slack\.bolt|postpoc:)")
BODY_IN_MESSAGE = re.compile(
    r"^(Unhandled request|.*without providing a response for the request) \(", re.S
)
"""Bolt's warnings that quote a request's body after their first words."""


class Withheld(logging.Filter):
    """Drops the library records that carry what people typed (see the module's
    doc); Bolt's warnings that quote a body keep their first words only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if BODY_LOGGERS.match(record.name):
            return record.levelno >= logging.ERROR
        if BOLT_LOGGERS.match(record.name):
            quoted = BODY_IN_MESSAGE.match(record.getMessage())
            if quoted:
                record.msg, record.args = quoted.group(1) + " (body withheld)", ()
        return record.levelno >= logging.INFO or not CHATTY_LOGGERS.match(record.name)


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
        # Before the scrubber: a traceback's text is scrubbed like a message.
        structlog.processors.format_exc_info,
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
    handler.addFilter(Withheld())
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
