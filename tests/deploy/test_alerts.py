"""deploy/kubernetes/alerts.example.yaml: a valid PrometheusRule whose alerts
read what ``postpoc tick`` pushes, and that fire when they should.

Offline: the resource is checked against deploy/schemas/prometheusrule.json
(strict: an unknown field is an error) with check-jsonschema, every
expression is parsed with promql-parser, and every metric it names must be
one bot/tick.py pushes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import check_jsonschema
import promql_parser
import pytest

from bot.tick import JOB, Outcome, registry_of
from conversations.outbox import DrainReport
from conversations.watch import PlanReport, TickReport
from tests.deploy.support import DEPLOY, KUBERNETES, yaml_documents

ALERTS = KUBERNETES / "alerts.example.yaml"
SCHEMA = DEPLOY / "schemas" / "prometheusrule.json"
WEEK = 7 * 24 * 3600


def rules() -> dict[str, dict[str, Any]]:
    (document,) = yaml_documents(ALERTS)
    return {
        rule["alert"]: rule
        for group in document["spec"]["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        check_jsonschema.main(["--schemafile", str(SCHEMA), str(path)])
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out + captured.err


def test_the_rule_is_a_valid_prometheus_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = check(ALERTS, capsys)
    assert code == 0, output


def test_the_schema_check_catches_a_misspelt_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "alerts.yaml"
    broken.write_text(ALERTS.read_text().replace("annotations:", "anotations:", 1))
    code, output = check(broken, capsys)
    assert code == 1 and "anotations" in output


def pushed(outcome: Outcome) -> set[str]:
    return {metric.name for metric in registry_of(outcome).collect()}


def good_pass(failed: int = 0) -> Outcome:
    report = TickReport(PlanReport(nudges=1), DrainReport(sent=1, failed=failed))
    return Outcome(report, None, datetime.now(UTC).timestamp(), 0.1)


@pytest.mark.parametrize("name", sorted(rules()))
def test_each_expression_parses_and_reads_what_tick_pushes(name: str) -> None:
    expression = rules()[name]["expr"]
    promql_parser.parse(expression)  # raises on a syntax error
    named = set(re.findall(r"(?<!\")\bpostpoc_\w+", expression))
    assert named, expression
    assert named <= pushed(good_pass()) | pushed(good_pass(failed=1))
    assert set(re.findall(r'job="(\w+)"', expression)) == {JOB}


def test_the_alerts_cover_failed_posts_and_a_week_without_success() -> None:
    alerts = rules()
    failed = alerts["PostpocPostsFailed"]["expr"]
    assert "postpoc_tick_posts_failed" in failed and "> 0" in failed
    stale = alerts["PostpocWatchNotSucceeding"]["expr"]
    assert "postpoc_tick_last_success_timestamp_seconds" in stale
    assert re.search(r"7 \* 24 \* 3600", stale) and "absent(" in stale
    assert all(rule["annotations"]["summary"] for rule in alerts.values())


def test_only_a_clean_pass_refreshes_the_last_success() -> None:
    assert "postpoc_tick_last_success_timestamp_seconds" in pushed(good_pass())
    assert "postpoc_tick_last_success_timestamp_seconds" not in pushed(good_pass(failed=1))
    unfinished = Outcome(None, "can't reach the database", 0.0, 0.1)
    assert "postpoc_tick_last_success_timestamp_seconds" not in pushed(unfinished)
    assert WEEK == 604800
