"""What the core asks of storage, one concern at a time.

Each module holds a :class:`typing.Protocol` and the frozen dataclasses it
takes and returns: the core's own types, not the tables'. ``storage`` has an
SQL implementation of each (reached from a unit of work, ``repo.audits`` and
the like) and an in-memory one (``storage.memory``); one contract suite
(``tests/storage/contract``) holds both to the same behaviour.

These modules import nothing but the standard library, so that ``storage``
may implement them without knowing the rest of the core.
"""
