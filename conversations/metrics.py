"""Every metric postpoc exposes, in one place (Prometheus names and labels).

The core counts what it does (interview steps, posts, model calls); the
server publishes them at ``/metrics``. Labels are kept to small, fixed sets:
never a workspace, a person or a POC.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "postpoc_requests_total",
    "Requests received from a platform, by platform, kind and HTTP status.",
    ["platform", "kind", "status"],
)
HANDLING_SECONDS = Histogram(
    "postpoc_handling_seconds",
    "Time to handle one request, from receipt to response.",
    ["platform", "kind"],
    # Up to 30 s: a turn that waits on a language model and a slow platform can take that long.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30),
)
INTERVIEW_STEPS = Counter(
    "postpoc_interview_steps_total",
    "Interview steps, by flow and what happened (answered, skipped, rejected, back, paused, completed).",
    ["flow", "step"],
)
POSTS = Counter(
    "postpoc_posts_total",
    "Unprompted posts through the outbox, by kind and result (sent, retried, rescheduled, failed, unconfirmed).",
    ["kind", "result"],
)
OUTBOX_BACKLOG = Gauge(
    "postpoc_outbox_backlog",
    "Posts waiting in the outbox (pending or being sent), as of the last pass.",
)
LLM_CALLS = Counter(
    "postpoc_llm_calls_total",
    "Calls to the language model, by task and result (ok, invalid, timeout, error, skipped).",
    ["task", "result"],
)
LLM_TOKENS = Counter(
    "postpoc_llm_tokens_total",
    "Tokens used by the language model, by task and direction (input, output).",
    ["task", "direction"],
)
CHARTS_DRAWN = Counter(
    "postpoc_charts_drawn_total",
    "Indicator charts drawn (a chart shown again from the cache is not counted).",
)
