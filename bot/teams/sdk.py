"""Everything postpoc uses of the Bot Framework SDK (botbuilder 4.17), in one place.

Microsoft archives this SDK in favour of the Microsoft 365 Agents SDK, which
speaks the same Activity protocol on ``/api/messages``. What the adapter
needs from an SDK is this list; moving means changing the modules that import
from here (``auth``, ``app``, ``bot``, ``connector``, ``outbound``) and
nothing outside ``bot/teams/``.

botbuilder ships no type information: its names are ``Any`` to mypy.
"""

from __future__ import annotations

from botbuilder.core import ActivityHandler  # type: ignore[import-untyped]
from botbuilder.core.teams import TeamsInfo  # type: ignore[import-untyped]
from botbuilder.integration.aiohttp import (  # type: ignore[import-untyped]
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import (  # type: ignore[import-untyped]
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector import Channels  # type: ignore[import-untyped]
from botframework.connector.auth import (  # type: ignore[import-untyped]
    AppCredentials,
    BotFrameworkAuthentication,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)
from msrest.exceptions import ClientRequestError  # the connector's HTTP stack: no answer

__all__ = [
    "Activity",
    "ActivityHandler",
    "AppCredentials",
    "BotFrameworkAuthentication",
    "ChannelAccount",
    "Channels",
    "ClientRequestError",
    "CloudAdapter",
    "ConfigurationBotFrameworkAuthentication",
    "ConfigurationServiceClientCredentialFactory",
    "ConversationParameters",
    "ConversationReference",
    "MicrosoftAppCredentials",
    "ServiceClientCredentialsFactory",
    "TeamsInfo",
]
