"""Settings that need an optional extra of the package, and whether it is installed.

``LLM_MODEL`` is the one today: it needs the ``llm`` extra (langchain). Set
without it, the bot would start and then die on the first import with a
traceback; instead the settings check says which extra to install, in one
line, at start and in ``postpoc doctor``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Extra:
    setting: str
    """The setting (upper case, as in the environment) that needs the extra."""
    extra: str
    """The name of the extra in pyproject.toml."""
    modules: tuple[str, ...]
    """What the extra brings, as imported."""


EXTRAS = (Extra("LLM_MODEL", "llm", ("langchain", "langchain_core")),)


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (langchain
    takes a second to import; the start should not pay that to ask)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(settings: dict[str, object]) -> Iterator[str]:
    """One line per setting given whose extra is not installed, with the
    command that installs it (for a virtual environment and for the image)."""
    for need in EXTRAS:
        if settings.get(need.setting.lower()) and not all(map(installed, need.modules)):
            yield (
                f"{need.setting} needs the {need.extra} extra, which is not installed: "
                f"pip install 'postpoc[{need.extra}]' "
                f"(the image: docker build --build-arg EXTRAS={need.extra})"
            )
