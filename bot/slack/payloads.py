"""The shape of a Slack request, checked before Bolt reads it.

Bolt trusts a signed request to be shaped as Slack shapes it: a body that is
not JSON, an ``event`` that is a list, a ``team_id`` that is a number or a
slash command without a user ends in an exception and a 500 (or, worse, a
command run as the user ``"None"``). Slack never sends such a thing, but
anyone holding the signing secret can, and a proxy can truncate a body.
:func:`malformed` says what is wrong, so that the route answers 400 with the
reason and nothing is stored; it reads the body as Bolt's ``parse_body``
does (JSON when it says so or looks so, else a form, whose ``payload`` field
is JSON). Fields postpoc never reads are not checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

Problem = str | None

READ_EVENTS = frozenset({"message", "app_home_opened"})
"""The events whose fields postpoc reads as strings."""


def malformed(body: str, content_type: str | None) -> Problem:
    """Why ``body`` is not a request Slack would send, or None when it may be."""
    if not body:
        return None  # Bolt answers an empty body itself (404: nothing matches)
    if content_type == "application/json" or body.startswith("{"):
        return _json_body(body)
    form = parse_qsl(body, keep_blank_values=True)
    payloads = [value for name, value in form if name == "payload"]
    if "payload" in body and payloads:
        if len(payloads) > 1:
            return "more than one payload"
        return _interaction(payloads[0])
    fields = dict(form)
    if "command" in fields:
        return _command(fields)
    return None


def _parsed(text: str) -> tuple[Any, Problem]:
    try:
        return json.loads(text), None
    except ValueError:
        return None, "not JSON"
    except RecursionError:  # nested deeper than the parser goes: no Slack payload is
        return None, "nested too deeply"


def _json_body(body: str) -> Problem:
    envelope, problem = _parsed(body)
    if problem:
        return problem
    if not isinstance(envelope, Mapping):
        return "not a JSON object"
    if not isinstance(envelope.get("type"), str):
        return "no type"
    if envelope["type"] != "event_callback":
        return None
    if not _text(envelope.get("team_id")) and not _text(envelope.get("enterprise_id")):
        return "no team"
    if "team_id" in envelope and not isinstance(envelope["team_id"], str | None):
        return "team_id is not a string"
    event = envelope.get("event")
    if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
        return "no event, or an event of no type"
    if event["type"] not in READ_EVENTS:
        return None  # other events shape "user" or "channel" as objects
    return _strings(event, ("text", "user", "channel", "tab", "ts"), "event")


def _interaction(payload: str) -> Problem:
    found, problem = _parsed(payload)
    if problem:
        return "payload: " + problem
    if not isinstance(found, Mapping) or not isinstance(found.get("type"), str):
        return "payload: not an object with a type"
    user = found.get("user")
    if not isinstance(user, Mapping) or not _text(user.get("id")):
        return "payload: no user"
    team = found.get("team")
    if team is not None and not isinstance(team, Mapping):
        return "payload: team is not an object"
    kind = found["type"]
    if kind == "block_actions":
        actions = found.get("actions")
        if not isinstance(actions, list) or not actions:
            return "payload: no actions"
        if not all(isinstance(a, Mapping) and _text(a.get("action_id")) for a in actions):
            return "payload: an action without action_id"
    if kind in ("view_submission", "view_closed"):
        view = found.get("view")
        if not isinstance(view, Mapping):
            return "payload: no view"
        state = view.get("state")
        if state is not None and not (
            isinstance(state, Mapping) and isinstance(state.get("values", {}), Mapping)
        ):
            return "payload: the view's state is not an object"
    return None


def _command(fields: Mapping[str, str]) -> Problem:
    missing = [name for name in ("command", "user_id", "team_id") if not fields.get(name)]
    return f"command without {', '.join(missing)}" if missing else None


def _strings(found: Mapping[str, Any], names: tuple[str, ...], where: str) -> Problem:
    wrong = [name for name in names if name in found and not isinstance(found[name], str)]
    return f"{where}: {', '.join(wrong)} not a string" if wrong else None


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)
