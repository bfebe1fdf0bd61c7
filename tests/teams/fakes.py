"""A fake Bot Framework on 127.0.0.1: OpenID metadata with a signing key, and a
Bot Connector that records what the bot sends.

It runs in its own thread (``ThreadingHTTPServer``) because botbuilder fetches
OpenID metadata with blocking ``requests`` from the event loop's thread: a
server on that loop could never answer. Tokens are signed RS256 with a key
made for each test, with the current time, as the Bot Framework signs them.

``fake.chaos = Chaos(rate=0.2, seed=7)`` makes the connector fail calls at
random, at that rate and reproducibly: 429 with ``Retry-After``, 412, 500,
502, 504, or a connection closed without an answer (before acting on the
call).

``fake.hold(conversation)`` keeps the connector's calls to that conversation
(or all) waiting, unanswered and unrecorded, until ``fake.release()``: a bot
whose reply is held shows whether it answered its own request first.

It speaks HTTP and JSON only: nothing here knows the SDK the bot is built on.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
TEAMS_MESSAGE_LIMIT = 28_000
"""Bytes of an activity above which the fake, like Teams, answers 413."""
CHANNEL = "msteams"


@dataclass(frozen=True)
class Call:
    """One request the bot made to the Bot Connector."""

    method: str
    path: str
    conversation: str | None
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None
    answered: int
    """The HTTP status the fake answered."""
    result: dict[str, Any]
    """The body the fake answered with, when successful."""

    @property
    def posted_id(self) -> str:
        """The id of the message this call created (to press its buttons, to thread under it)."""
        return str(self.result.get("activityId") or self.result.get("id") or "")

    @property
    def kind(self) -> str:
        """``create`` (a conversation), ``send``, ``reply``, ``update`` or ``delete``."""
        if self.method == "PUT":
            return "update"
        if self.method == "DELETE":
            return "delete"
        if self.conversation is None:
            return "create"
        return "reply" if self.activity_id else "send"


@dataclass
class Failure:
    status: int
    remaining: int
    retry_after: str | None = None
    kinds: tuple[str, ...] = ("create", "send", "reply", "update")


RESET = 0
"""The status recorded for a call whose connection was closed without an answer."""


@dataclass
class Chaos:
    """Failures at random, at ``rate``, from a seeded generator."""

    rate: float
    seed: int = 0
    statuses: tuple[int, ...] = (429, 412, 500, 502, 504, RESET)
    retry_after: str = "1"
    injected: Counter[int] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def pick(self) -> int:
        if self._random.random() >= self.rate:
            return 200
        status = self._random.choice(self.statuses)
        self.injected[status] += 1
        return status


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self, endorsements: list[str]) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "endorsements": endorsements}


class FakeBotFramework:
    """Start with ``with FakeBotFramework() as fake:``; ``fake.url`` is its address."""

    def __init__(self) -> None:
        self.key = SigningKey(kid=f"test-{uuid.uuid4().hex[:8]}")
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.created: dict[str, str] = {}
        self.chaos: Chaos | None = None
        self._ids = itertools.count(1)
        self._lock = threading.RLock()  # reentrant: a wait_until predicate may read calls
        self._recorded = threading.Condition(self._lock)
        self._open = threading.Event()
        self._open.set()
        self._held: str | None = None
        self.waiting = 0
        """Calls the connector is holding now."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeBotFramework:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openid_url(self) -> str:
        # Unique per fake: botbuilder caches metadata by URL for a day, and a
        # later test may get this port again with another key.
        return f"{self.url}/openid/{self.key.kid}"

    # -- tokens ------------------------------------------------------------------

    def token(
        self,
        app_id: str,
        service_url: str,
        *,
        key: SigningKey | None = None,
        issuer: str = ISSUER,
        lifetime: int = 3600,
        **claims: Any,
    ) -> str:
        """A token as the Bot Framework signs an activity for ``app_id``."""
        now = int(time.time())
        payload = {
            "iss": issuer,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + lifetime,
            **claims,
        }
        signer = key or self.key
        return jwt.encode(payload, signer.private, algorithm="RS256", headers={"kid": signer.kid})

    # -- the connector's behaviour --------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        kinds: tuple[str, ...] = ("create", "send", "reply", "update"),
    ) -> None:
        """Answer the next ``times`` calls of these kinds with ``status``."""
        with self._lock:
            self.failures.append(Failure(status, times, retry_after, kinds))

    def hold(self, conversation: str | None = None) -> None:
        """Hold the calls to ``conversation`` (None: every call) until :meth:`release`."""
        with self._lock:
            self._held = conversation or "*"
            self._open.clear()

    def release(self) -> None:
        with self._lock:
            self._held = None
            self._open.set()

    def _wait_if_held(self, path: str) -> None:
        conversation, _ = _route(path)
        with self._recorded:
            held = self._held is not None and self._held in ("*", conversation)
            if held:
                self.waiting += 1
                self._recorded.notify_all()
        if held:
            self._open.wait(timeout=60)
            with self._lock:
                self.waiting -= 1

    def wait_until(self, ready: Callable[[FakeBotFramework], bool], seconds: float = 15.0) -> bool:
        """Block until ``ready(self)`` holds (checked at each call), at most ``seconds``:
        for a test to wait for a call, from a thread (``asyncio.to_thread``)."""
        with self._recorded:
            return self._recorded.wait_for(lambda: ready(self), timeout=seconds)

    def since(self, mark: int) -> list[Call]:
        with self._lock:
            return list(self.calls[mark:])

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def _record(self, method: str, path: str, body: dict[str, Any], auth: str | None) -> Call:
        conversation, activity_id = _route(path)
        with self._lock:
            probe = Call(method, path, conversation, activity_id, body, auth, 0, {})
            # Typing indicators are never failed: the bot doesn't retry them, by design.
            status = 200 if body.get("type") == "typing" else self._failure_for(probe.kind)
            if status == 200 and len(json.dumps(body).encode()) > TEAMS_MESSAGE_LIMIT:
                status = 413  # as Teams refuses a bot's message that is too large
            if status == 200 and self.chaos is not None and body.get("type") != "typing":
                status = self.chaos.pick()
            result = self._result(probe) if status == 200 else {}
            call = Call(method, path, conversation, activity_id, body, auth, status, result)
            self.calls.append(call)
            self._recorded.notify_all()
            return call

    def _failure_for(self, kind: str) -> int:
        for failure in self.failures:
            if failure.remaining > 0 and kind in failure.kinds:
                failure.remaining -= 1
                return failure.status
        return 200

    def retry_after_for(self, status: int) -> str | None:
        with self._lock:
            if self.chaos is not None and status == 429:
                return self.chaos.retry_after
            for failure in self.failures:
                if failure.status == status:
                    return failure.retry_after
        return None

    def _result(self, call: Call) -> dict[str, Any]:
        """What the connector returns for a successful call (called under the lock)."""
        new_id = f"{next(self._ids):06d}"
        if call.kind in ("update", "delete"):
            return {"id": call.activity_id}
        if call.kind != "create":
            return {"id": new_id}
        channel = (call.body.get("channelData") or {}).get("channel", {}).get("id")
        if channel:  # a new thread in a channel, with its first message
            return {"id": f"{channel};messageid={new_id}", "activityId": new_id}
        member = call.body["members"][0]["id"]
        conversation = self.created.setdefault(member, f"a:personal-{member}")
        return {"id": conversation}


def _route(path: str) -> tuple[str | None, str | None]:
    """``/v3/conversations[/{id}/activities[/{activity}]]`` → (conversation, activity)."""
    parts = path.split("?")[0].split("/")
    if parts[1:3] != ["v3", "conversations"] or len(parts) == 3:
        return None, None
    conversation = unquote(parts[3])
    activity = unquote(parts[5]) if len(parts) > 5 else None
    return conversation, activity


def _handler(fake: FakeBotFramework) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == f"/openid/{fake.key.kid}":
                self._json(200, {"issuer": ISSUER, "jwks_uri": f"{fake.url}/keys"})
            elif self.path == "/keys":
                self._json(200, {"keys": [fake.key.jwk([CHANNEL])]})
            else:
                self._json(404, {"error": "unknown"})

        def _connector(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            fake._wait_if_held(self.path)
            call = fake._record(method, self.path, body, self.headers.get("Authorization"))
            if call.answered == RESET:
                self.close_connection = True  # no answer at all: the client sees a reset
                return
            if call.answered != 200:
                retry_after = fake.retry_after_for(call.answered)
                headers = {"Retry-After": retry_after} if retry_after else {}
                error = {"error": {"code": "Throttled", "message": "try later"}}
                self._json(call.answered, error, headers)
                return
            self._json(200, call.result)

        def do_POST(self) -> None:
            self._connector("POST")

        def do_PUT(self) -> None:
            self._connector("PUT")

        def do_DELETE(self) -> None:
            self._connector("DELETE")

    return Handler
