"""The Teams driver: botbuilder's CloudAdapter over HTTP, activities with tokens minted
by a local key, against the fake Bot Connector (:mod:`tests.teams.client`)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from conversations.outbox import Outbox
from conversations.service import utc_now
from storage.database import make_engine, resolve_url
from storage.migrate import upgrade
from storage.repository import Store
from tests.support.scenario import MENTION, Chat, Message, Person, Seen, command_for, mentioned
from tests.teams.client import actions, activity_of, moves, press_for, question_key, texts
from tests.teams.conftest import Served, serve
from tests.teams.fakes import Call, FakeBotFramework


class TeamsPerson(Person):
    """Someone in their personal chat with the bot, in the tenant ``contoso``."""

    def __init__(self, chat: TeamsChat, name: str, locale: str) -> None:
        super().__init__(name)
        self.chat = chat
        self.teams = chat.served.client.person(name.lower(), locale=f"{locale}-{locale.upper()}")
        self.cards: dict[str, Call] = {}
        """Their personal chat: each message's latest version, by activity id, in order."""

    def _activity(self, text: str, **fields: Any) -> dict[str, Any]:
        named = mentioned(text, self.chat.people)
        entities = list(self.teams.personal()["entities"])
        for name in named:
            other = self.chat.people[name]
            assert isinstance(other, TeamsPerson)
            tag = f"<at>{name}</at>"
            entities.append(
                {"type": "mention", "text": tag, "mentioned": {"id": other.teams.id, "name": name}}
            )
        spelled = MENTION.sub(lambda m: f"<at>{m[1]}</at>" if m[1] in named else m[0], text)
        return self.teams.personal(text=spelled, textFormat="plain", entities=entities, **fields)

    async def _post(self, activity: dict[str, Any]) -> Seen:
        posted = await self.chat.served.client.post(activity)
        assert posted.status in (200, 201), posted.status
        return self.chat.route(posted.calls, self)

    async def says(self, text: str) -> Seen:
        return await self._post(self._activity(text))

    async def runs(self, command: str) -> Seen:
        return await self.says(command)  # typed as is in Teams' personal chat

    async def presses(self, label: str, on: Message | None = None) -> Seen:
        # an old copy (``on``) is a press made before the card changed
        cards = [(on.ref, on.source)] if on else [(r, self.cards[r]) for r in reversed(self.cards)]
        for ref, card in cards:
            assert isinstance(card, Call)
            for action in [*actions(card), *moves(card)]:
                if action.get("type") == "Action.Submit" and action.get("title") == label:
                    press = self.teams.personal(replyToId=ref, value=dict(action["data"]))
                    return await self._post(press)
        raise AssertionError(f"no button {label!r} in {self.name}'s chat")

    async def answers(self, value: str) -> Seen:
        question = self.question
        assert question is not None
        card = self.cards[question.ref]
        data = press_for(card, value)
        if data is None:
            return await self.says(value)
        return await self._post(self.teams.personal(replyToId=question.ref, value=data))

    async def names(self, other: Person) -> Seen:
        return await self.runs(command_for(self.conversation(), other))

    async def comes_back(self) -> Seen:
        mark = self.chat.served.client.fake.mark()
        await self.chat.deliver()
        return self.chat.route(self.chat.served.client.fake.since(mark), self)

    def conversation(self) -> list[Message]:
        return [_teams_message(ref, card) for ref, card in self.cards.items()]


def _teams_message(ref: str, card: Call) -> Message:
    buttons = tuple(a["title"] for a in [*actions(card), *moves(card)] if a.get("title"))
    # A question's card shows its text in bold while it can be answered; once answered,
    # or asked again further down, it says so instead (bot/teams/cards.py).
    return Message(ref, texts(card), buttons, question_key(card), source=card)


class TeamsChat(Chat):
    platform = "teams"
    command_prefix = ""

    def __init__(self, served: Served) -> None:
        super().__init__(served.service)
        self.served = served

    def _new_person(self, name: str, locale: str) -> Person:
        return TeamsPerson(self, name, locale)

    def _platform_id(self, name: str) -> str:
        return f"29:{name.lower()}"

    def route(self, calls: Sequence[Call], to: TeamsPerson) -> Seen:
        """Each call the bot made lands in its person's chat; what ``to`` saw of them."""
        shown: list[Message] = []
        for call in calls:
            if call.answered not in (200, 201) or activity_of(call).get("type") == "typing":
                continue
            for person in self.people.values():
                assert isinstance(person, TeamsPerson)
                if call.conversation != person.teams.personal_conversation:
                    continue
                if call.kind == "delete":
                    person.cards.pop(call.activity_id or "", None)
                    continue
                ref = (call.activity_id or "") if call.kind == "update" else call.posted_id
                person.cards[ref] = call
                if person is to:
                    shown.append(_teams_message(ref, call))
        return Seen(tuple(shown))

    async def deliver(self) -> None:
        await Outbox(self.store, {"teams": self.served.messenger}, clock=utc_now).drain()


async def open_teams(stack: AsyncExitStack, database_url: str) -> Chat:
    fake = stack.enter_context(FakeBotFramework())
    url = resolve_url(database_url)
    upgrade(url)
    store = Store(make_engine(url))
    stack.push_async_callback(store.dispose)
    running = serve(store, fake, [], postpoc_admins="")
    served = await anext(running)

    async def stop() -> None:
        await anext(running, None)  # past its yield: the server's clean-up runs

    stack.push_async_callback(stop)
    return TeamsChat(served)
