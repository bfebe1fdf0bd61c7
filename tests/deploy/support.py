"""Reading the deployment files the way Docker, Compose and Kubernetes do.

No Docker engine runs where the tests run, so the checks read the files: a
small Dockerfile reader (instructions, stages, exec-form arguments), the
``.dockerignore`` rules that decide what the build can see, and the README's
code blocks.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
KUBERNETES = DEPLOY / "kubernetes"
README = DEPLOY / "README.md"
COMPOSE_SCHEMA = DEPLOY / "schemas" / "compose-spec.json"

INSTALL_MARKER = "<!-- dockerfile-install -->"
"""In deploy/README.md, right before the code block of the image's install commands."""


# --- Dockerfile ------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    flags: dict[str, str]  # --from=builder, --interval=30s, ...
    value: str  # the rest, continuations joined

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction, None for the shell form."""
        if not self.value.startswith("["):
            return None
        parsed = json.loads(self.value)
        assert isinstance(parsed, list) and all(isinstance(item, str) for item in parsed)
        return parsed


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def run_commands(self) -> list[str]:
        """Each command of the stage's RUN lines (split on ``&&``), whitespace normalised."""
        return [
            command
            for run in self.all("RUN")
            for command in split_commands(run.exec_form() or run.value)
        ]


def split_commands(script: str | list[str]) -> list[str]:
    if isinstance(script, list):
        return [" ".join(script)]
    return [" ".join(part.split()) for part in script.split("&&") if part.strip()]


def _logical_lines(text: str) -> Iterator[str]:
    """Lines with backslash continuations joined; comments and blank lines dropped."""
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        yield (pending + stripped).strip()
        pending = ""
    if pending.strip():
        yield pending.strip()


def _split_flags(rest: str) -> tuple[dict[str, str], str]:
    flags: dict[str, str] = {}
    while rest.startswith("--"):
        token, _, rest = rest.partition(" ")
        name, _, value = token[2:].partition("=")
        flags[name] = value
        rest = rest.lstrip()
    return flags, rest


@dataclass
class Dockerfile:
    args: dict[str, str]  # ARGs declared before the first FROM, with their defaults
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        return next(stage for stage in self.stages if stage.name == name)


def parse_dockerfile(text: str) -> Dockerfile:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(text):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        flags, value = _split_flags(rest.strip())
        if keyword == "FROM":
            image, _, name = value.partition(" AS ") if " AS " in value else value.partition(" as ")
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m[1] or m[2]], image.strip())
            stages.append(Stage(base=base, name=name.strip() or None))
        elif not stages:
            assert keyword == "ARG", f"only ARG may come before the first FROM, not {keyword}"
            name, _, default = value.partition("=")
            args[name.strip()] = default.strip()
        else:
            stages[-1].instructions.append(Instruction(keyword, flags, value))
    return Dockerfile(args, stages)


def dockerfile() -> Dockerfile:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


# --- .dockerignore ---------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match plus ``**``) as a regex."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out += "[" + pattern[i + 1 : end] + "]"
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


@dataclass
class DockerIgnore:
    rules: list[tuple[bool, str, re.Pattern[str]]]  # (exception, pattern, regex)

    @classmethod
    def parse(cls, text: str) -> DockerIgnore:
        rules = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exception = line.startswith("!")
            pattern = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
            rules.append((exception, pattern, _pattern_regex(pattern)))
        return cls(rules)

    def excluded(self, path: str) -> bool:
        """Whether ``path`` (relative, with /) is left out of the build context:
        the last rule matching it or one of its parent folders decides."""
        parts = path.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        result = False
        for exception, _, regex in self.rules:
            if any(regex.fullmatch(prefix) for prefix in prefixes):
                result = not exception
        return result

    def _may_reinclude_under(self, folder: str) -> bool:
        return any(
            exception and (pattern.startswith(folder + "/") or any(c in pattern for c in "*?["))
            for exception, pattern, _ in self.rules
        )

    def context(self, root: Path) -> set[str]:
        """The files a ``docker build`` of ``root`` sends, relative, with /."""
        files: set[str] = set()
        for folder, dirs, names in os.walk(root):
            relative = Path(folder).relative_to(root).as_posix()
            prefix = "" if relative == "." else relative + "/"
            dirs[:] = [
                d
                for d in dirs
                if not self.excluded(prefix + d) or self._may_reinclude_under(prefix + d)
            ]
            files.update(prefix + name for name in names if not self.excluded(prefix + name))
        return files


def dockerignore() -> DockerIgnore:
    return DockerIgnore.parse((ROOT / ".dockerignore").read_text(encoding="utf-8"))


# --- README ----------------------------------------------------------------


def code_block_after(text: str, marker: str) -> list[str]:
    """The commands of the first fenced code block after ``marker``: one per
    line, continuations joined, comments and prompts dropped."""
    after = text[text.index(marker) + len(marker) :]
    match = re.search(r"```[^\n]*\n(.*?)```", after, re.DOTALL)
    assert match, f"no code block after {marker}"
    commands = []
    for line in _logical_lines(match[1]):
        line = line.split(" #", 1)[0].removeprefix("$ ").strip()
        commands.extend(split_commands(line))
    return commands


def shell_words(command: str) -> list[str]:
    return shlex.split(command)


# --- YAML ------------------------------------------------------------------


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    assert all(isinstance(d, dict) for d in documents), path
    return documents
