"""The few texts the Teams adapter shows on its own, marked for translation.

Everything else a person reads comes from the core. These are translated
where they are shown, with the person's :class:`conversations.i18n.Translator`.
"""

from __future__ import annotations

from conversations.i18n import N_

WHY = N_("Why is this asked?")
SEND = N_("Send")
SENT_TO_PERSONAL_CHAT = N_("I've sent the details to {name} in a personal chat.")
WELCOME_TEAM = N_(
    "Hello! I'm postpoc: I help decide what happens to AI agents after their proof of concept. "
    "Mention me with help to see what I can do here; POC owners answer my questions in a "
    "personal chat with me."
)
SORRY = N_("Sorry, something went wrong on my side. Type hello to pick up where you were.")
MOVED_ON = N_("This question was asked again further down; answer it there.")
SHORTENED = N_(
    "Shortened to fit in Teams. history <poc> <question> shows an answer whole; "
    "summary and list of fewer POCs show more."
)
TOO_LARGE = N_(
    "I could not show that reply in Teams (it was refused, status {status}). "
    "Try a narrower command, such as history <poc> <question>."
)
CHART_TOO_LARGE = N_(
    "The chart is too large to show in a Teams message; the decision record has it (record <poc>)."
)
UNSEALED = N_(
    "I can't check that button (it was changed, or is from before a restart), so nothing was done. "
    "Type your answer, or hello to see where you were."
)
