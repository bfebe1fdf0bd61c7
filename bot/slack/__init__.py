"""Slack adapter (Bolt for Python): the bot in a Slack workspace.

``mount`` adds it to the shared aiohttp server (``postpoc serve``); the
pieces, each in its own module:

==============  ==================================================================
``app``         the Bolt app, its routes, its lifecycle (HTTP and Socket Mode)
``listeners``   one Bolt listener per Slack request type: when its ack goes
``work``        what follows the ack: capped, in order per person
``inbound``     Slack payloads → the core's ``Inbound`` (pure)
``blocks``      the core's replies → Block Kit (pure)
``escape``      people's text made inert in Slack
``replies``     where each reply goes (DM, response_url, channel)
``questions``   interview questions as messages, settled once answered
``history``     a post Slack did not confirm, looked for in the DM
``delivery``    unprompted posts for the outbox (``conversations.delivery``)
``oauth``       many workspaces: installation and state stores, tokens
``retry``       back-off for rate limits and outages of the Web API
``profiles``    ``users.info``, cached: names, languages, time zones
==============  ==================================================================
"""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.slack.app import SLACK, SlackBot, build_messenger
from bot.slack.app import mount as mount_app
from conversations.delivery import Messenger
from conversations.service import Service

__all__ = ["SLACK", "SlackBot", "make_messenger", "mount"]


def mount(app: web.Application, service: Service, settings: Settings) -> Messenger:
    """Serve Slack (``/slack/events``, OAuth pages, Socket Mode) in the shared
    aiohttp application; what it built is kept in ``app[SLACK]``. Returns the
    messenger for this process's outbox (it shares the app's Web API client)."""
    return mount_app(app, service, settings).messenger


def make_messenger(service: Service, settings: Settings) -> Messenger:
    """A Slack messenger of its own, for an outbox run outside the server
    (``postpoc tick``)."""
    return build_messenger(service, settings)
