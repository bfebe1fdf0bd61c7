"""Every log line the Slack adapter writes, in one place.

None carries a token or what a person typed: only ids, Slack error codes and
counts. (slack_bolt and slack_sdk log request bodies at DEBUG; ``app.py``
keeps their loggers at INFO or above for the same reason.)
"""

from __future__ import annotations

import logging

log = logging.getLogger("postpoc.slack")


def started(*, oauth: bool, http: bool, socket_mode: bool) -> None:
    log.info(
        "slack: %s, %s",
        "many workspaces (OAuth)" if oauth else "one workspace (bot token)",
        " and ".join(
            part
            for part, on in (("HTTP at /slack/events", http), ("Socket Mode", socket_mode))
            if on
        ),
    )


def profile_unavailable(error: str) -> None:
    log.warning("slack: users.info failed (%s); serving the person with default settings", error)


def post_failed(method: str, error: str) -> None:
    log.warning("slack: %s failed after retries (%s); the reply was not shown", method, error)


def channel_unchecked(error: str) -> None:
    log.warning("slack: conversations.info failed (%s); the channel was not saved", error)


def post_unknown(method: str) -> None:
    log.warning(
        "slack: %s got no answer and can't be checked; not sent again (it may be missing)",
        method,
    )


def malformed(problem: str) -> None:
    log.warning("slack: a signed request no Slack would send (%s): refused with 400", problem)


def unsigned() -> None:
    log.info("slack: a request without a valid signature: refused with 401, not read")


def unsealed(what: str) -> None:
    log.warning("slack: a %s whose seal does not hold (changed, or an old key): ignored", what)


def duplicate_delivery(workspace: str, retry: str | None) -> None:
    log.info("slack: delivery already handled in %s (Slack retry %s): ignored", workspace, retry)


def foreign_workspace(asked: str, own: str) -> None:
    log.warning(
        "slack: a request for %s, but the bot token is %s's: acknowledged and ignored", asked, own
    )


def ignored_inactive(workspace: str) -> None:
    log.info("slack: request from %s, where postpoc is uninstalled: nothing posted", workspace)


def uninstalled(workspace: str, reason: str) -> None:
    log.warning(
        "slack: %s in %s: its tokens are deleted, nothing is posted there", reason, workspace
    )


def static_token_left(workspace: str) -> None:
    log.warning(
        "slack: postpoc was removed from %s; remove SLACK_BOT_TOKEN from the settings "
        "(it no longer works) and install the app again to come back",
        workspace,
    )


def installed(workspace: str) -> None:
    log.info("slack: installed in %s", workspace)


def install_check_failed(error: str) -> None:
    log.error("slack: the bot token was refused by auth.test (%s)", error)


def retrying(status: str, delay: float, attempt: int) -> None:
    log.info("slack: Web API answered %s; retry %d in %.1f s", status, attempt, delay)


def gave_up_waiting(status: str, wait: float) -> None:
    log.warning("slack: Web API asked to wait %.0f s (%s): not waiting that long", wait, status)


def slow_modal(callback: str) -> None:
    log.warning("slack: %s took too long to check; closed first, finished after", callback)


def slow_ack(budget: float) -> None:
    log.warning(
        "slack: the core took more than %.1f s; acknowledged before storing, finishing after",
        budget,
    )


def modal_gone(error: str) -> None:
    log.info("slack: could not open or update the modal (%s); replying in the conversation", error)


def drain_timeout(pending: int) -> None:
    log.warning("slack: stopping with %d request(s) still being handled", pending)


def socket_mode(state: str) -> None:
    log.info("slack: Socket Mode %s", state)


def inbox_sweep_failed(error: str) -> None:
    log.warning("slack: could not look for requests left in the inbox (%s); will look again", error)
