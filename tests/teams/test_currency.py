"""``currency`` in Teams: the tenant's admin sets it, others are told they
can't; over real HTTP with real tokens, against the fake Bot Connector."""

from __future__ import annotations

from tests.teams.conftest import Served


async def test_the_tenant_admin_sets_the_currency_others_may_only_read_it(
    served: Served,
) -> None:
    alice, carol = served.client.person("alice"), served.client.person("carol")
    await alice.says("hello")

    refused = await carol.says("currency CHF")
    assert "Only an admin can do that" in refused.text()

    done = await alice.says("currency CHF")
    assert "Costs are now asked and shown in CHF (Swiss Franc)" in done.text()

    shown = await carol.says("currency")
    assert "Costs are asked and shown in CHF (Swiss Franc)" in shown.text()
    assert "An admin changes it with currency <code>" in shown.text(), "no /poc in Teams"
