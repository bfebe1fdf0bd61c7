"""Logs: JSON lines in production, with a request id, and never a credential."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from bot import logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("INFO", json=True, stream=stream)
    yield stream
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_log_line_is_json_with_its_request_id(captured: io.StringIO) -> None:
    logs.bind_request("req-42", "slack")
    logging.getLogger("postpoc.test").info("answer stored for %s", "a question")
    [line] = lines(captured)
    assert line["event"] == "answer stored for a question"
    assert (line["request_id"], line["platform"], line["level"]) == ("req-42", "slack", "info")
    assert "timestamp" in line


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234-5678-abcdefghijkl",
        "xapp-1-A111-222-abc",
        "pps_" + "0a1b" * 16,
        "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    ],
)
def test_credentials_never_reach_the_log(captured: io.StringIO, secret: str) -> None:
    logging.getLogger("slack_sdk").warning("calling chat.postMessage with %s", secret)
    structlog.get_logger("postpoc").warning("outbound", token=secret, signing_secret="s3cr3t")
    text = captured.getvalue()
    assert secret not in text and "s3cr3t" not in text
    assert "[redacted]" in text


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_library_lines_that_quote_a_body_are_withheld_at_any_level(level: str) -> None:
    stream = io.StringIO()
    logs.configure(level, json=True, stream=stream)
    try:
        body = "{'text': 'my secret answer'}"
        logging.getLogger("slack_bolt.AsyncRequestVerification").info(
            "Invalid request signature detected (body: %s)", body
        )
        logging.getLogger("postpoc.slack.bolt").warning("Unhandled request (%s)", body)
        logging.getLogger("sqlalchemy.engine.Engine").debug("Row ('my secret answer',)")
        logging.getLogger("aiosqlite").debug("executing ('my secret answer',)")
        logging.getLogger("postpoc.test").info("kept")
    finally:
        logging.getLogger().handlers.clear()
        structlog.reset_defaults()
    text = stream.getvalue()
    assert "my secret answer" not in text
    assert "Unhandled request (body withheld)" in text and "kept" in text


def test_a_traceback_is_scrubbed_like_a_message(captured: io.StringIO) -> None:
    try:
        raise ValueError("refused xoxb-1234-5678-abcdefghijkl")
    except ValueError:
        logging.getLogger("postpoc.test").exception("failed")
    text = captured.getvalue()
    assert "Traceback" in text and "xoxb-1234" not in text
