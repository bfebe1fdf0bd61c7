"""The processes :mod:`benchmarks.teams_turn` drives, one role each, on
127.0.0.1 at a free port. Each prints ``READY <url> ...`` once it listens and
serves until SIGTERM.

``fake --key PEM --kid KID``
    The tests' fake Bot Framework (:class:`tests.teams.fakes.FakeBotFramework`):
    OpenID metadata publishing the benchmark's signing key (made by the
    benchmark, which signs the activities' tokens with it) and a Bot
    Connector that answers every send. Prints ``READY <url> <openid url>``.
``bare --fake-url URL --openid-url URL``
    A bare botbuilder bot: ``CloudAdapter`` with
    ``ConfigurationBotFrameworkAuthentication`` checking every token against
    the fake's keys (as postpoc does), an ``ActivityHandler`` that answers
    each message with one short text (an echo bot), ``adapter.process`` on
    ``/api/messages``. Outbound calls carry a fixed token (no MSAL), as
    postpoc's in this benchmark.
``postpoc --fake-url URL --openid-url URL --database-url URL``
    postpoc's aiohttp application (``bot.server.build_app``) with its Teams
    adapter mounted for the fake Bot Framework (``TeamsOptions``: endpoints
    and a fixed outbound token, the tests' way), without the scheduler;
    warnings only, to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from benchmarks.slack_server import _served, _until_stopped
from tests.teams.client import APP_ID
from tests.teams.fakes import ISSUER, FakeBotFramework, SigningKey

OUTBOUND_TOKEN = "outbound-token-for-the-benchmark"  # noqa: S105 (the fake's, not a secret)
ADMIN = "29:bench-lead"
TENANT = "bench-tenant"
ROUTE = "/api/messages"


def load_key(pem: Path, kid: str) -> SigningKey:
    private = serialization.load_pem_private_key(pem.read_bytes(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return SigningKey(kid=kid, private=private)


def write_key(pem: Path) -> rsa.RSAPrivateKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return private


def fake(pem: Path, kid: str) -> None:
    with FakeBotFramework() as running:
        running.key = load_key(pem, kid)
        stopping = threading.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stopping.set())
        print("READY", running.url, running.openid_url, flush=True)
        stopping.wait()


def _endpoints(fake_url: str, openid_url: str) -> dict[str, str]:
    return {
        "openid_metadata_url": openid_url,
        "token_issuer": ISSUER,
        "emulator_openid_metadata_url": openid_url,
        "login_url": f"{fake_url}/login",
        "oauth_scope": "https://api.botframework.com",
        "oauth_url": fake_url,
    }


async def bare(fake_url: str, openid_url: str) -> None:
    from botbuilder.core import ActivityHandler, MessageFactory  # type: ignore[import-untyped]
    from botbuilder.integration.aiohttp import (  # type: ignore[import-untyped]
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )
    from botframework.connector.auth import (  # type: ignore[import-untyped]
        AppCredentials,
        ServiceClientCredentialsFactory,
    )

    class Fixed(AppCredentials):  # type: ignore[misc]
        def get_access_token(self, force_refresh: bool = False) -> str:
            return OUTBOUND_TOKEN

    class Credentials(ServiceClientCredentialsFactory):  # type: ignore[misc]
        def __init__(self) -> None:
            self.made = Fixed(app_id=APP_ID)  # made once, as a well-run bot keeps its token

        async def is_valid_app_id(self, app_id: str) -> bool:
            return app_id == APP_ID

        async def is_authentication_disabled(self) -> bool:
            return False

        async def create_credentials(self, *_: Any, **__: Any) -> Any:
            return self.made

    class Configuration:
        APP_ID = APP_ID
        APP_PASSWORD = "not-used"  # noqa: S105
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    endpoints = _endpoints(fake_url, openid_url)
    configuration = Configuration()
    configuration.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = endpoints["openid_metadata_url"]  # type: ignore[attr-defined]
    configuration.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = endpoints["token_issuer"]  # type: ignore[attr-defined]
    configuration.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = endpoints[  # type: ignore[attr-defined]
        "emulator_openid_metadata_url"
    ]
    configuration.TO_CHANNEL_FROM_BOT_LOGIN_URL = endpoints["login_url"]  # type: ignore[attr-defined]
    configuration.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = endpoints["oauth_scope"]  # type: ignore[attr-defined]
    configuration.OAUTH_URL = endpoints["oauth_url"]  # type: ignore[attr-defined]
    adapter = CloudAdapter(
        ConfigurationBotFrameworkAuthentication(configuration, credentials_factory=Credentials())
    )

    class Echo(ActivityHandler):  # type: ignore[misc]
        async def on_message_activity(self, turn: Any) -> None:
            await turn.send_activity(MessageFactory.text("ok"))

    echo = Echo()

    async def messages(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await adapter.process(request, echo)
        return response

    app = web.Application()
    app.router.add_post(ROUTE, messages)
    async with _served(app) as url:
        print("READY", url, flush=True)
        await _until_stopped()


async def postpoc(fake_url: str, openid_url: str, database_url: str) -> None:
    from bot import logs
    from bot.config import Settings
    from bot.runtime import open_service
    from bot.server import MESSENGERS, build_app
    from bot.teams import Endpoints, TeamsOptions, mount

    teams = Settings(
        _env_file=None,
        database_url=database_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-used",  # noqa: S106
        microsoft_app_type="MultiTenant",
        postpoc_admins=ADMIN,
        scheduler=False,
    )
    without_teams = Settings(
        _env_file=None, database_url=database_url, postpoc_admins=ADMIN, scheduler=False
    )
    # Warnings only, to standard error (the log file): an access line per
    # request on standard output would fill the pipe nobody reads after READY,
    # and the process would stop at the next write.
    logs.configure("WARNING", stream=sys.stderr)
    service = await open_service(teams)
    app = build_app(service, without_teams)
    options = TeamsOptions(
        endpoints=Endpoints(**_endpoints(fake_url, openid_url)), outbound_token=OUTBOUND_TOKEN
    )
    app[MESSENGERS]["teams"] = mount(app, service, teams, options)
    try:
        async with _served(app) as url:
            print("READY", url, flush=True)
            await _until_stopped()
    finally:
        await service.store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    roles = parser.add_subparsers(dest="role", required=True)
    fake_role = roles.add_parser("fake")
    fake_role.add_argument("--key", type=Path, required=True)
    fake_role.add_argument("--kid", required=True)
    for name in ("bare", "postpoc"):
        role = roles.add_parser(name)
        role.add_argument("--fake-url", required=True)
        role.add_argument("--openid-url", required=True)
        if name == "postpoc":
            role.add_argument("--database-url", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.role == "fake":
        fake(args.key, args.kid)
    elif args.role == "bare":
        asyncio.run(bare(args.fake_url, args.openid_url))
    else:
        asyncio.run(postpoc(args.fake_url, args.openid_url, args.database_url))


if __name__ == "__main__":
    main()
