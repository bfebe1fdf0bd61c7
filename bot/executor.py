"""A thread pool that carries the caller's context variables into its threads.

``asyncio.to_thread`` copies them already, but ``loop.run_in_executor`` (used
by aiohttp's resolver, by libraries that wrap blocking calls, by our own code)
does not: a log line written in a worker thread would lose the request id that
structlog keeps in a context variable. Installed as the loop's default
executor by every long-running command.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class ContextThreadPool(ThreadPoolExecutor):
    """Runs each job in a copy of the context it was submitted from."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)


def install(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Make the running loop's default executor a :class:`ContextThreadPool`."""
    (loop or asyncio.get_running_loop()).set_default_executor(
        ContextThreadPool(thread_name_prefix="postpoc")
    )
