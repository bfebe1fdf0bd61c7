"""Prompt templates for the optional language-model layer, one file per task.

A template is ``<task>.v<version>.yaml`` in this folder::

    task: follow_up          # the task, as the file name says
    version: 1               # goes up when the wording changes; logged with each call
    inputs: [question, answer, language]
    system: |                # what the model is and what it must do
      ...
    user: |                  # where the data goes: $question, $answer, ...
      <answer>$answer</answer>

:func:`load` returns the newest version of a task (or the one asked for),
checked: the task and version match the file name, and the user template uses
exactly the declared inputs.

Values are never pasted into a prompt as text. :meth:`Prompt.render` writes
each one as JSON and escapes ``<``, ``>`` and ``&``, so what a person typed
stays one quoted string inside its tag: it can't close the tag, open another
or pass for part of the instructions.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["Prompt", "PromptError", "load", "quote", "tasks"]


class PromptError(ValueError):
    """A template file is wrong; the message names the file and the problem."""


class _PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    task: str
    version: int
    inputs: tuple[str, ...]
    system: str
    user: str


@dataclass(frozen=True)
class Rendered:
    """A prompt with its data in place: what is sent to the model."""

    system: str
    user: str


@dataclass(frozen=True)
class Prompt:
    task: str
    version: int
    inputs: tuple[str, ...]
    system: str
    user: str

    @property
    def name(self) -> str:
        """``follow_up.v1``: how logs name the prompt a call used."""
        return f"{self.task}.v{self.version}"

    def render(self, **values: object) -> Rendered:
        """The system text, and the user template with every value quoted in place."""
        if set(values) != set(self.inputs):
            raise PromptError(
                f"{self.name}: takes {sorted(self.inputs)}, was given {sorted(values)}"
            )
        quoted = {name: quote(value) for name, value in values.items()}
        return Rendered(self.system, string.Template(self.user).substitute(quoted))


def quote(value: object) -> str:
    """``value`` as JSON that can sit between tags: no ``<``, ``>`` or ``&`` left raw."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _files() -> dict[tuple[str, int], Traversable]:
    found: dict[tuple[str, int], Traversable] = {}
    for entry in resources.files("prompts").iterdir():
        stem, dot, extension = entry.name.rpartition(".")
        task, _, version = stem.rpartition(".v")
        if dot and extension == "yaml" and task and version.isdigit():
            found[(task, int(version))] = entry
    return found


def tasks() -> list[str]:
    """Every task that has a template."""
    return sorted({task for task, _ in _files()})


def load(task: str, version: int | None = None) -> Prompt:
    """The template of ``task``: the newest version unless ``version`` is given."""
    versions = sorted(number for name, number in _files() if name == task)
    if not versions:
        raise PromptError(f"no prompt for the task {task}")
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        raise PromptError(f"no version {version} of the prompt for {task}")
    return _load(task, chosen)


@cache
def _load(task: str, version: int) -> Prompt:
    entry = _files()[(task, version)]
    try:
        file = _PromptFile.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as error:
        raise PromptError(f"{entry.name}: {error}") from None
    if (file.task, file.version) != (task, version):
        raise PromptError(f"{entry.name} says it is {file.task} v{file.version}")
    used = _placeholders(file.user, entry.name)
    if used != set(file.inputs) or _placeholders(file.system, entry.name):
        raise PromptError(
            f"{entry.name}: the user template uses {sorted(used)}, the inputs are "
            f"{sorted(file.inputs)}; the system text takes no data"
        )
    return Prompt(file.task, file.version, file.inputs, file.system.strip(), file.user.strip())


def _placeholders(text: str, where: str) -> set[str]:
    template = string.Template(text)
    if not template.is_valid():
        raise PromptError(f"{where}: a $ that is not a placeholder (write $$ for a dollar sign)")
    return set(template.get_identifiers())
