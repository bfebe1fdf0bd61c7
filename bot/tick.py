"""``postpoc tick`` for cron: one pass, one line, an exit code and, when
``PUSHGATEWAY_URL`` is set, the pass's counters pushed to a Prometheus
Pushgateway (a CronJob's pod is gone before anything could scrape it).

The exit code is what a scheduler sees: 0 when the pass finished and no post
failed for good; 1 when a post failed for good (it will not be retried: an
uninstalled workspace, a channel the bot can't post in) or the pass could not
finish (the database unreachable, a bug). Posts that were only rescheduled
(a platform outage) are not failures: the next pass sends them.

What is pushed, under ``job="postpoc_tick"`` (sample alerts:
deploy/kubernetes/alerts.example.yaml):

- ``postpoc_tick_last_success_timestamp_seconds``: pushed only by a pass that
  finished with no failed post, so it stays at the last good pass otherwise;
- ``postpoc_tick_last_run_timestamp_seconds``, ``postpoc_tick_duration_seconds``;
- ``postpoc_tick_finished``: 1 when the pass finished, 0 when it could not;
- ``postpoc_tick_planned{kind}`` and ``postpoc_tick_posts{result}``: this pass's
  counts; ``postpoc_tick_posts_failed``: posts that failed for good in it.

Pushed with POST (``pushadd``): a failed pass replaces what it pushes and
leaves the last success in place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Gauge, pushadd_to_gateway

from conversations.watch import TickReport

log = logging.getLogger("postpoc.tick")

JOB = "postpoc_tick"
PUSH_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Outcome:
    report: TickReport | None
    """What the pass did; None when it could not finish."""
    error: str | None
    """Why it could not finish, in one line."""
    started: float
    """When the pass started (seconds since the epoch)."""
    seconds: float

    @property
    def failed_posts(self) -> int:
        return self.report.drain.failed if self.report else 0

    @property
    def succeeded(self) -> bool:
        return self.report is not None and not self.failed_posts

    @property
    def exit_code(self) -> int:
        return 0 if self.succeeded else 1


def summary(outcome: Outcome, counts: str) -> str:
    """The one line ``postpoc tick`` prints; ``counts`` is the pass's summary."""
    if outcome.report is None:
        return f"tick failed: the pass could not finish: {outcome.error}"
    if outcome.failed_posts:
        posts = "post" if outcome.failed_posts == 1 else "posts"
        return f"tick failed: {outcome.failed_posts} {posts} failed for good; {counts}"
    return f"tick ok: {counts}"


def registry_of(outcome: Outcome) -> CollectorRegistry:
    registry = CollectorRegistry()

    def gauge(name: str, text: str, value: float) -> None:
        Gauge(name, text, registry=registry).set(value)

    gauge("postpoc_tick_last_run_timestamp_seconds", "When the last pass started.", outcome.started)
    gauge("postpoc_tick_duration_seconds", "How long the last pass took.", outcome.seconds)
    gauge(
        "postpoc_tick_finished",
        "1 when the last pass finished, 0 when it could not.",
        1 if outcome.report else 0,
    )
    if outcome.report is None:
        return registry
    plan, drain = outcome.report.plan, outcome.report.drain
    planned = Gauge(
        "postpoc_tick_planned",
        "Posts planned by the last pass, by kind.",
        ["kind"],
        registry=registry,
    )
    for kind, count in (
        ("nudge", plan.nudges),
        ("checkin", plan.checkins),
        ("reminder", plan.reminders),
    ):
        planned.labels(kind).set(count)
    posts = Gauge(
        "postpoc_tick_posts",
        "Posts settled by the last pass, by result.",
        ["result"],
        registry=registry,
    )
    for result, count in (
        ("sent", drain.sent),
        ("recovered", drain.recovered),
        ("rescheduled", drain.rescheduled),
        ("failed", drain.failed),
        ("unconfirmed", drain.unconfirmed),
    ):
        posts.labels(result).set(count)
    gauge(
        "postpoc_tick_posts_failed",
        "Posts that failed for good in the last pass (not retried).",
        drain.failed,
    )
    if outcome.succeeded:
        gauge(
            "postpoc_tick_last_success_timestamp_seconds",
            "When the last pass that finished with no failed post started.",
            outcome.started,
        )
    return registry


def push(url: str, outcome: Outcome) -> bool:
    """Push the pass's gauges; a Pushgateway that can't be reached is logged,
    not fatal (the staleness alert then tells)."""
    try:
        pushadd_to_gateway(
            url, job=JOB, registry=registry_of(outcome), timeout=PUSH_TIMEOUT_SECONDS
        )
    except OSError as error:
        log.warning("could not push to the Pushgateway at PUSHGATEWAY_URL: %s", error)
        return False
    return True
