"""A fake Slack on 127.0.0.1: the Web API, ``response_url`` hooks and a
Socket Mode WebSocket, recording every call.

It answers what the bot asks the way Slack does (JSON with ``ok``, a ``ts``
per message, a view id per modal, a DM channel per user, a conversation's
history with message metadata) and can be told to fail:

- ``fake.fail("chat.postMessage", status=429, retry_after=3, times=4)``
  answers the next four calls with a 429, ``drop=True`` cuts the connection
  instead of answering (before acting on the call);
- ``fake.chaos = Chaos(rate=0.2, seed=7)`` fails calls at random, at that
  rate and reproducibly: 429 with ``Retry-After``, 500, a connection reset
  (before acting), or a timeout (acting on the call, then answering too late
  for the client: the post is there, the bot never heard);
- ``fake.on_call`` is called with each call once it is acted on, before the
  answer goes (to stop a bot process at that moment, say).

Failed attempts are recorded too, with their status.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

TEAM = "T0ACME"
TEAM_NAME = "Acme"
BOT_USER = "UBOTPOC"
BOT_ID = "BBOTPOC"


@dataclass
class Call:
    method: str  # "chat.postMessage", ..., or "response_url"
    args: dict[str, Any]
    token: str | None
    status: int = 200
    path: str = ""
    late: bool = False
    """Acted on, but answered after the client had given up (a chaos timeout)."""

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Failure:
    status: int = 500
    retry_after: int | None = None
    drop: bool = False


FAULTS = ("429", "500", "reset", "timeout")


@dataclass
class Chaos:
    """Faults at random, at ``rate``, from a seeded generator.

    ``methods``: the calls that may fail (None: every Web API call and
    ``response_url``). ``late``: how long a "timeout" holds its answer, to be
    set beyond the client's timeout.
    """

    rate: float
    seed: int = 0
    faults: tuple[str, ...] = FAULTS
    methods: frozenset[str] | None = None
    rates: dict[str, float] = field(default_factory=dict)
    """A rate of its own for some methods."""
    script: Callable[[str, dict[str, Any]], str | None] | None = None
    """Asked first, with the method and the call's arguments: a fault to inject
    for sure (or None: chance decides)."""
    retry_after: int = 1
    late: float = 1.0
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def pick(self, method: str, args: dict[str, Any] | None = None) -> str | None:
        if self.methods is not None and method not in self.methods:
            return None
        fault = self.script(method, args or {}) if self.script is not None else None
        if fault is not None:
            self.injected[fault] += 1
            return fault
        if self._random.random() >= self.rates.get(method, self.rate):
            return None
        fault = self._random.choice(self.faults)
        self.injected[fault] += 1
        return fault


@dataclass
class Installation:
    """What ``oauth.v2.access`` hands out for a code."""

    team_id: str
    team_name: str
    installer: str
    token: str
    enterprise_id: str | None = None


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # token -> team
    revoked: set[str] = field(default_factory=set)
    codes: dict[str, Installation] = field(default_factory=dict)
    envelopes_acked: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    """Bytes sent to each upload URL, by file id."""
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Files shared by ``files.completeUploadExternal``: channel, title, name, content."""
    _pending_files: dict[str, str] = field(default_factory=dict)
    _alt_texts: dict[str, str] = field(default_factory=dict)
    _files: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _views: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _holds: dict[str, asyncio.Event] = field(default_factory=dict)
    _acked: asyncio.Event = field(default_factory=asyncio.Event)
    _triggers: set[str] = field(default_factory=set)
    outside: set[str] = field(default_factory=set)
    """Channels the bot is not a member of (it is in every other one): posting
    there is ``not_in_channel``; ``conversations.info`` says ``is_member: false``."""
    private: set[str] = field(default_factory=set)
    """Private channels: to a bot outside one, it does not exist (``channel_not_found``)."""
    chaos: Chaos | None = None
    on_call: Callable[[Call], None] | None = None
    url: str = ""

    # -- set-up -----------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, hook: str) -> str:
        return f"{self.url}/respond/{hook}"

    def add_user(
        self, user_id: str, name: str, *, locale: str = "en-US", tz: str = "Europe/Paris"
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "tz": tz,
            "locale": locale,
            "profile": {"display_name": name, "real_name": name},
        }

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: int | None = None,
        drop: bool = False,
        times: int = 1,
    ) -> None:
        for _ in range(times):
            self._failures[method].append(Failure(status, retry_after, drop))

    def hold(self, method: str) -> asyncio.Event:
        """Keep calls to ``method`` waiting until the returned event is set."""
        self._holds[method] = asyncio.Event()
        return self._holds[method]

    # -- reading what the bot did ------------------------------------------------

    def called(self, method: str, *, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id[1:]

    # -- the Web API -------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if method in self._holds:
            await self._holds[method].wait()
        args = await _arguments(request)
        token = _token(request, args)
        failures = self._failures.get(method)
        fault = None if failures or self.chaos is None else self.chaos.pick(method, args)
        failure = failures.popleft() if failures else _failure(fault, self.chaos)
        if failure is not None:
            self.calls.append(
                Call(method, args, token, status=0 if failure.drop else failure.status)
            )
            return await _failed(request, failure)
        late = fault == "timeout"
        call = Call(method, args, token)
        self.calls.append(call)
        if token in self.revoked:
            return web.json_response({"ok": False, "error": "token_revoked"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        body = handler(args, token) if handler else {"ok": True}
        if self.on_call is not None:
            self.on_call(call)
        if late:
            assert self.chaos is not None
            call.late = True  # acted on, but the client never hears of it
            await asyncio.sleep(self.chaos.late)
        return web.json_response(body)

    def _auth_test(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        team = self.tokens.get(token or "", TEAM)
        return {
            "ok": True,
            "team": TEAM_NAME,
            "team_id": team,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _channel(self, channel: str) -> str:
        return self.dm_channel(channel) if channel.startswith(("U", "W")) else channel

    def _next_ts(self) -> str:
        """A message timestamp as Slack makes them: seconds since the epoch,
        increasing (the counter keeps them unique and ordered)."""
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _conversations_info(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """As Slack answers a bot: ``is_member`` for a channel it can see; a
        private channel it is not in can't be seen."""
        channel = str(args.get("channel"))
        if not channel.startswith(("C", "G")) or (channel in self.private & self.outside):
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": True,
                "is_private": channel in self.private,
                "is_member": channel not in self.outside,
            },
        }

    def _chat_postMessage(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel = self._channel(str(args["channel"]))
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        ts = self._next_ts()
        message = {"ts": ts, "text": args.get("text"), "blocks": args.get("blocks") or []}
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _conversations_history(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Newest first, from ``oldest`` on; metadata only when asked for."""
        channel = str(args.get("channel"))
        oldest = float(args.get("oldest") or 0)
        with_metadata = str(args.get("include_all_metadata")).lower() in ("true", "1")
        found = sorted(
            (
                m
                for (c, ts), m in self.messages.items()
                if c == channel and float(ts) > oldest and not m.get("thread_ts")
            ),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = [
            {
                "type": "message",
                "ts": m["ts"],
                "text": m.get("text"),
                "bot_id": BOT_ID,
                **({"metadata": m["metadata"]} if with_metadata and m.get("metadata") else {}),
            }
            for m in found[start : start + limit]
        ]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def posts_keyed(self, key: str) -> list[tuple[str, str]]:
        """The messages carrying the outbox key ``key`` in their metadata."""
        return [
            place
            for place, m in self.messages.items()
            if ((m.get("metadata") or {}).get("event_payload") or {}).get("key") == key
        ]

    def _chat_update(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        key = (str(args["channel"]), str(args["ts"]))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        self.messages[key] = {
            **self.messages[key],
            "text": args.get("text"),
            "blocks": args.get("blocks"),
        }
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _chat_delete(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        key = (str(args["channel"]), str(args["ts"]))
        if self.messages.pop(key, None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _chat_postEphemeral(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _views_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        trigger = str(args.get("trigger_id"))
        if trigger in self._triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        self._triggers.add(trigger)
        view_id = f"V{next(self._views):04d}"
        self.views[view_id] = dict(args["view"])
        return {"ok": True, "view": {**args["view"], "id": view_id}}

    def _views_update(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        view_id = str(args.get("view_id"))
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        self.views[view_id] = dict(args["view"])
        return {"ok": True, "view": {**args["view"], "id": view_id}}

    def _views_publish(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        self.homes[str(args["user_id"])] = dict(args["view"])
        return {"ok": True, "view": {**args["view"], "id": "VHOME"}}

    def _oauth_v2_access(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        found = self.codes.get(str(args.get("code")))
        if found is None:
            return {"ok": False, "error": "invalid_code"}
        self.tokens[found.token] = found.team_id
        return {
            "ok": True,
            "app_id": "A0POSTPOC",
            "authed_user": {"id": found.installer},
            "scope": "channels:read,chat:write,commands,files:write,groups:read,im:history,users:read",
            "token_type": "bot",
            "access_token": found.token,
            "bot_user_id": BOT_USER,
            "team": {"id": found.team_id, "name": found.team_name},
            "enterprise": {"id": found.enterprise_id} if found.enterprise_id else None,
            "is_enterprise_install": False,
        }

    def _files_getUploadURLExternal(
        self, args: dict[str, Any], token: str | None
    ) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._files):06d}"
        self._pending_files[file_id] = str(args["filename"])
        if args.get("alt_txt"):
            self._alt_texts[file_id] = str(args["alt_txt"])
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        """The upload URL: takes the file's bytes (as files.slack.com does, an
        "OK" that is not JSON)."""
        file_id = request.match_info["file_id"]
        if file_id not in self._pending_files:
            return web.Response(status=404, text="unknown upload")
        self.uploads[file_id] = await request.read()
        self.calls.append(Call("upload", {"file_id": file_id}, None, path=file_id))
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")

    def _files_completeUploadExternal(
        self, args: dict[str, Any], token: str | None
    ) -> dict[str, Any]:
        listed = args.get("files")
        files = json.loads(listed) if isinstance(listed, str) else listed or []
        if args.get("channel_id") in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        shared = []
        for entry in files:
            file_id = str(entry.get("id"))
            if file_id not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            self.files[file_id] = {
                "channel": args.get("channel_id"),
                "thread_ts": args.get("thread_ts"),
                "title": entry.get("title"),
                "name": self._pending_files[file_id],
                "content": self.uploads[file_id],
                "alt_txt": self._alt_texts.get(file_id),
            }
            shared.append(
                {"id": file_id, "title": entry.get("title"), "name": self._pending_files[file_id]}
            )
        return {"ok": True, "files": shared}

    def _apps_connections_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        return {"ok": True, "url": self.url.replace("http", "ws") + "/socket"}

    # -- response_url ------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        hook = request.match_info["hook"]
        body = await request.json()
        failures = self._failures.get("response_url")
        fault = None if failures or self.chaos is None else self.chaos.pick("response_url", body)
        failure = failures.popleft() if failures else _failure(fault, self.chaos)
        status = 0 if failure and failure.drop else (failure.status if failure else 200)
        call = Call("response_url", body, None, status=status, path=hook)
        self.calls.append(call)
        if failure is not None:
            return await _failed(request, failure)
        if self.on_call is not None:
            self.on_call(call)
        if fault == "timeout":
            assert self.chaos is not None
            call.late = True
            await asyncio.sleep(self.chaos.late)
        return web.Response(text="ok", content_type="text/plain")

    def responses(self, hook: str) -> list[dict[str, Any]]:
        """What the bot said through one ``response_url``."""
        return [c.args for c in self.called("response_url") if c.path == hook]

    # -- Socket Mode -------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1})
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                ack = json.loads(message.data)
                self.envelopes_acked[str(ack.get("envelope_id"))] = ack
                self._acked.set()
        return socket

    async def connected(self) -> bool:
        return bool(self._sockets)

    async def send_envelope(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Push a request over Socket Mode; return the bot's acknowledgement."""
        self._acked.clear()
        await self._sockets[-1].send_json(envelope)
        envelope_id = str(envelope["envelope_id"])
        async with asyncio.timeout(5):
            while envelope_id not in self.envelopes_acked:
                await self._acked.wait()
                self._acked.clear()
        return self.envelopes_acked[envelope_id]


async def _arguments(request: web.Request) -> dict[str, Any]:
    """A call's arguments, wherever slack_sdk put them (query, form, JSON, or
    HTTP basic auth for the OAuth client id)."""
    args: dict[str, Any] = dict(request.query)
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        client_id, _, _ = base64.b64decode(header[len("Basic ") :]).decode().partition(":")
        args["client_id"] = client_id
    if request.can_read_body:
        raw = await request.text()
        if request.content_type == "application/json":
            args.update(json.loads(raw or "{}"))
        else:
            args.update(dict(parse_qsl(raw)))
    for name in ("blocks", "view"):
        if isinstance(args.get(name), str):
            args[name] = json.loads(args[name])
    return args


def _token(request: web.Request, args: dict[str, Any]) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :]
    return args.get("token")


def _failure(fault: str | None, chaos: Chaos | None) -> Failure | None:
    """The failure a chaos fault stands for, when it leaves the call undone
    (a timeout acts on the call and answers late instead)."""
    if fault == "429":
        return Failure(429, retry_after=chaos.retry_after if chaos else 1)
    if fault == "500":
        return Failure(500)
    if fault == "reset":
        return Failure(drop=True)
    return None


async def _failed(request: web.Request, failure: Failure) -> web.StreamResponse:
    if failure.drop:
        # A connection reset before any answer: the client can't tell what happened.
        assert request.transport is not None
        request.transport.abort()
        raise asyncio.CancelledError
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
    error = "ratelimited" if failure.status == 429 else "fatal_error"
    return web.json_response({"ok": False, "error": error}, status=failure.status, headers=headers)
