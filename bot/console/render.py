"""Core replies as terminal text. Pure: returns lines, prints nothing."""

from __future__ import annotations

from pathlib import Path

from conversations.channels import render_channels
from conversations.messages import (
    Answered,
    Ask,
    Card,
    Document,
    Image,
    QuestionKind,
    Reply,
    Say,
)

NUMBERED = (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE)


def render(reply: Reply, image_dir: Path | None = None) -> list[str]:
    # A channel the core names is shown by its id (conversations.channels).
    return [render_channels(line) for line in _render(reply, image_dir)]


def _render(reply: Reply, image_dir: Path | None = None) -> list[str]:
    if isinstance(reply, Say):
        return reply.text.splitlines() or [""]
    if isinstance(reply, Ask):
        return _ask(reply)
    if isinstance(reply, Card):
        return _card(reply)
    if isinstance(reply, Image):
        return _image(reply, image_dir)
    if isinstance(reply, Document):
        return _document(reply, image_dir)
    if isinstance(reply, Answered):
        return []
    raise TypeError(f"no console rendering for {type(reply).__name__}")


def _ask(ask: Ask) -> list[str]:
    lines = [f"[{ask.poc_handle} · {ask.progress}]"]
    if ask.error:
        lines.extend(f"! {line}" for line in ask.error.splitlines())
    lines.extend(ask.text.splitlines())
    if ask.kind in NUMBERED:
        lines.extend(f"  {n}. {choice.label}" for n, choice in enumerate(ask.choices, start=1))
    if ask.current is not None:
        lines.append(f"  ({ask.current})")
    lines.append(f"  {ask.hint_typed()}")  # no people picker in a terminal
    return lines


def _card(card: Card) -> list[str]:
    lines = [f"== {card.title} =="]
    if card.subtitle:
        lines.append(card.subtitle)
    for section in card.sections:
        if section.title:
            lines.append(f"-- {section.title} --")
        if section.text:
            lines.extend(section.text.splitlines())
        lines.extend(f"  {field.label}: {field.value}" for field in section.fields)
    lines.extend(f"  ({line})" for line in card.context)
    lines.extend(f"  > /poc {button.command}" for button in card.buttons)
    return lines


def _image(image: Image, image_dir: Path | None) -> list[str]:
    if image_dir is None:
        return [f"[{image.alt}]"]
    image_dir.mkdir(parents=True, exist_ok=True)
    path = image_dir / image.filename
    path.write_bytes(image.png)
    return [f"{image.alt}: {path}"]


def _document(document: Document, image_dir: Path | None) -> list[str]:
    """Written beside the charts' folder, in ``records/``; the path is shown."""
    if image_dir is None:
        return [f"[{document.title}: {document.filename}]"]
    folder = image_dir.parent / "records"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / document.filename
    path.write_bytes(document.make())
    return [f"{document.title}: {path}"]
