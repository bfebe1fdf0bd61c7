"""What the Slack app asks for: exactly what the adapter uses.

The manifests in ``deploy/slack/`` list the same (a test compares them).

=============  =================================================================
scope          used for
=============  =================================================================
channels:read  ``conversations.info`` on a public channel: is the bot a member,
               before it is named a POC's home or subscribed (``/poc new``,
               ``/poc subscribe``)
chat:write     questions and replies in the person's DM (``chat.postMessage`` to a
               user id), settling a question (``chat.update``), channel posts of
               the weekly watch (the bot invited there), ``chat.postEphemeral``
commands       ``/poc``
files:write    ``files_upload_v2`` (``files.getUploadURLExternal``, then
               ``files.completeUploadExternal``): a decision record, sent as a
               file to the person's DM (``/poc record``); the indicator charts
               of ``/poc summary`` where the summary is shown
groups:read    ``conversations.info`` on a private channel the bot is in (the
               same check as ``channels:read``)
im:history     the ``message.im`` event: answers typed in the DM; reading the
               DM back (``conversations.history``) to find a check-in a
               stopped process may have posted without recording it
users:read     ``users.info``: a person's name, language and time zone; the
               ``user_change`` event: a deactivated owner or overseer reopens
               the decisions on their POCs
=============  =================================================================

App Home (``views.publish``), modals (``views.open``/``views.update``),
``app_uninstalled`` and ``tokens_revoked`` need no scope; replies to commands
go through ``response_url``, which needs none either.
"""

from __future__ import annotations

BOT_SCOPES = (
    "channels:read",
    "chat:write",
    "commands",
    "files:write",
    "groups:read",
    "im:history",
    "users:read",
)
BOT_EVENTS = ("app_home_opened", "app_uninstalled", "message.im", "tokens_revoked", "user_change")
