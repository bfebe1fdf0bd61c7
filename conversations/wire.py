"""Replies as JSON, for the outbox: a post is computed once, stored, and sent
later (maybe by another replica) exactly as computed."""

from __future__ import annotations

import base64
from typing import Any

from conversations.messages import (
    Answered,
    Ask,
    Button,
    Card,
    Choice,
    Document,
    Field,
    Image,
    PersonRef,
    QuestionKind,
    Reply,
    Say,
    Section,
    Visibility,
)


def dump(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Say):
        return {"type": "say", "text": reply.text, "visibility": reply.visibility.value}
    if isinstance(reply, Card):
        return {
            "type": "card",
            "title": reply.title,
            "subtitle": reply.subtitle,
            "sections": [_dump_section(s) for s in reply.sections],
            "context": list(reply.context),
            "buttons": [{"label": b.label, "command": b.command} for b in reply.buttons],
            "visibility": reply.visibility.value,
        }
    if isinstance(reply, Ask):
        return {
            "type": "ask",
            **{k: getattr(reply, k) for k in _ASK_SCALARS},
            "kind": reply.kind.value,
            "choices": [{"value": c.value, "label": c.label} for c in reply.choices],
            "visibility": reply.visibility.value,
        }
    if isinstance(reply, Image):
        return {
            "type": "image",
            "png": base64.b64encode(reply.png).decode(),
            "alt": reply.alt,
            "filename": reply.filename,
            "visibility": reply.visibility.value,
        }
    if isinstance(reply, Document):
        return {
            "type": "document",
            "content": base64.b64encode(reply.make()).decode(),
            "filename": reply.filename,
            "media_type": reply.media_type,
            "title": reply.title,
            "fallback": reply.fallback,
            "visibility": reply.visibility.value,
        }
    return {
        "type": "answered",
        "token": reply.token,
        "summary": reply.summary,
        "visibility": reply.visibility.value,
        "left": reply.left,
    }


_ASK_SCALARS = (
    "token",
    "poc_handle",
    "progress",
    "text",
    "hint",
    "help",
    "reference",
    "unit",
    "current",
    "error",
    "typed_hint",
)


def _dump_section(section: Section) -> dict[str, Any]:
    return {
        "title": section.title,
        "text": section.text,
        "fields": [{"label": f.label, "value": f.value} for f in section.fields],
        "mentions": [{"platform_id": p.platform_id, "name": p.name} for p in section.mentions],
    }


def load(data: dict[str, Any]) -> Reply:
    visibility = Visibility(data.get("visibility", Visibility.PRIVATE.value))
    kind = data["type"]
    if kind == "say":
        return Say(data["text"], visibility=visibility)
    if kind == "card":
        return Card(
            title=data["title"],
            subtitle=data.get("subtitle"),
            sections=tuple(_load_section(s) for s in data.get("sections", [])),
            context=tuple(data.get("context", [])),
            buttons=tuple(Button(b["label"], b["command"]) for b in data.get("buttons", [])),
            visibility=visibility,
        )
    if kind == "ask":
        return Ask(
            **{k: data.get(k) for k in _ASK_SCALARS},  # type: ignore[arg-type]
            kind=QuestionKind(data["kind"]),
            choices=tuple(Choice(c["value"], c["label"]) for c in data.get("choices", [])),
            visibility=visibility,
        )
    if kind == "image":
        return Image(
            base64.b64decode(data["png"]),
            data["alt"],
            data.get("filename", "chart.png"),
            visibility,
        )
    if kind == "document":
        content = base64.b64decode(data["content"])
        return Document(
            lambda: content,
            data["filename"],
            data["media_type"],
            data["title"],
            data["fallback"],
            visibility,
        )
    if kind == "answered":
        return Answered(data["token"], data["summary"], visibility, bool(data.get("left", False)))
    raise ValueError(f"unknown reply type {kind!r}")


def _load_section(data: dict[str, Any]) -> Section:
    return Section(
        title=data.get("title"),
        text=data.get("text"),
        fields=tuple(Field(f["label"], f["value"]) for f in data.get("fields", [])),
        mentions=tuple(
            PersonRef(p["platform_id"], p.get("name")) for p in data.get("mentions", [])
        ),
    )


def dump_all(replies: list[Reply] | tuple[Reply, ...]) -> list[dict[str, Any]]:
    return [dump(r) for r in replies]


def load_all(data: list[dict[str, Any]]) -> tuple[Reply, ...]:
    return tuple(load(d) for d in data)
