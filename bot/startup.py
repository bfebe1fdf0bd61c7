"""The cyclic garbage collector, paused while a command starts.

A start imports about a thousand modules and builds the tables, the bank and
the apps: some 200,000 objects that live as long as the process, and next to
no garbage. The collector would scan them all again at each of its full
passes, a sixth of the CPU that ``postpoc serve`` spends before it answers.
It is paused from the first line of :func:`bot.cli.main` until the command
has started; then what was made so far is frozen (kept out of the
collector's way for good) and it runs as usual. This is the sequence
``gc.freeze``'s documentation gives for a long-lived process.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """No collection until :func:`started` (the process's first objects)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def started() -> None:
    """The command has started: what it made stays out of the collector's
    scans, which run again from here. Once only: a no-op afterwards, and
    when :func:`pause` did not pause it."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
