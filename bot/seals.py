"""Values the bot hands to a platform and reads back, sealed with an HMAC.

A button's value, a block id, a modal's metadata, an Adaptive Card's submit
data: each comes back in a request the platform signed, but what is inside is
only what the bot put there if nobody could change it on the way. Teams lets
a client post any card data, and anyone holding the Slack signing secret can
send any payload. Each such value therefore leaves sealed,
``<value>~<mac>``, the MAC an HMAC-SHA256 (cut to 128 bits) under the server's
key, and is refused on its way back in, before anything is looked up, unless
the MAC matches.

The key is ``POSTPOC_SECRET_KEY`` when set (every replica must have the
same). Unset, it is derived from the platform secrets every replica already
shares (``SLACK_SIGNING_SECRET``, ``SLACK_APP_TOKEN``,
``MICROSOFT_APP_PASSWORD``), so a deployment needs nothing new; rotating one
of them then invalidates the buttons already posted (pressing one says so;
typing the answer still works). With none of them (the console, the Teams
Emulator) the key is random for this process: buttons of an earlier run are
refused.

The key is process-wide: each adapter sets it when it is mounted, from the
same settings, so Slack and Teams in one process share it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets

from bot.config import Settings

log = logging.getLogger("postpoc.seals")

SEPARATOR = "~"
MAC_CHARS = 22
"""128 bits in URL-safe base64, without padding."""
LENGTH = len(SEPARATOR) + MAC_CHARS
"""What sealing adds to a value."""
_DERIVATION = b"postpoc interactive values, v1"

_key: bytes = secrets.token_bytes(32)


def key_from(settings: Settings) -> bytes | None:
    """The key ``settings`` give, or None when they give nothing to derive one from."""
    if settings.postpoc_secret_key:
        return settings.postpoc_secret_key.encode()
    shared = (
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.microsoft_app_password,
    )
    if not any(shared):
        return None
    material = "\0".join(part or "" for part in shared).encode()
    return hmac.new(_DERIVATION, material, hashlib.sha256).digest()


def configure(settings: Settings) -> None:
    """Use the key of ``settings`` from now on (a random one if they give none)."""
    global _key
    key = key_from(settings)
    if key is None:
        log.info(
            "no POSTPOC_SECRET_KEY and no platform secret to derive one from: buttons "
            "are sealed with a key of this process only (those of an earlier run are refused)"
        )
        return
    _key = key


def _mac(value: str) -> str:
    digest = hmac.new(_key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:MAC_CHARS]


def seal(value: str) -> str:
    return f"{value}{SEPARATOR}{_mac(value)}"


def unseal(sealed: str) -> str | None:
    """The value ``sealed`` carries, or None when its MAC is missing or wrong."""
    value, separator, mac = sealed.rpartition(SEPARATOR)
    if not separator or not hmac.compare_digest(mac.encode(), _mac(value).encode()):
        return None
    return value
