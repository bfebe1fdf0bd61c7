"""The question bank: the packaged bank, the loader's checks, conditions (conversations/bank.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from conversations import rubric
from conversations.bank import (
    SKIPPED,
    Bank,
    BankError,
    QuestionDef,
    is_applicable,
    language_of,
    load_bank,
    mermaid,
    parse_bank,
    required_keys,
)
from conversations.messages import QuestionKind
from tests.support.typed import complete_answers

# -- building small banks -----------------------------------------------------------


def loc(text: str) -> dict[str, str]:
    return {"en": text, "fr": f"{text} (fr)"}


def question(key: str, kind: str = "yes_no", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"key": key, "type": kind, "text": loc(f"{key}?"), **fields}
    if "label" in QuestionDef.model_fields:  # a short name, when the bank has one
        data.setdefault("label", loc(key))
    if kind in ("choice", "multi_choice") and "choices" not in fields:
        data["choices"] = [{"value": v, "label": loc(v)} for v in ("a", "b", "none")]
    return data


def bank_yaml(*questions: dict[str, Any], **top: Any) -> str:
    data: dict[str, Any] = {
        "flow": "test",
        "version": 1,
        "locales": ["en", "fr"],
        "sections": [{"key": "s", "title": loc("Section"), "questions": list(questions)}],
        **top,
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def build(*questions: dict[str, Any]) -> Bank:
    return parse_bank(bank_yaml(*questions))


def q_def(key: str, kind: str = "yes_no", **fields: Any) -> QuestionDef:
    return QuestionDef.model_validate(question(key, kind, **fields))


# -- the packaged bank -----------------------------------------------------------------


def test_packaged_bank_loads() -> None:
    bank = load_bank()
    assert bank.flow == "post-poc"
    assert bank.version == 2
    assert len(bank.questions) == 77
    assert load_bank("post-poc", 2) == bank
    assert load_bank() is bank  # parsed once
    keys = [q.key for q in bank.questions]
    assert len(set(keys)) == len(keys)


def test_packaged_bank_covers_every_question_type() -> None:
    kinds = {q.type for q in load_bank().questions}
    assert kinds == set(QuestionKind)


def test_packaged_bank_starts_with_the_prohibited_use_screen() -> None:
    bank = load_bank()
    assert bank.sections[0].key == "screen"
    [screen] = bank.sections[0].questions
    assert screen.type == QuestionKind.MULTI_CHOICE and screen.required
    assert screen.exclusive == ("none",)
    # each prohibited use keeps its own article of the EU AI Act
    assert all(c.reference.startswith("EU AI Act art. 5(1)") for c in screen.choices[:-1])


def test_packaged_bank_texts_in_both_languages() -> None:
    for q in load_bank().questions:
        assert q.text.en.strip() and q.text.fr.strip(), q.key
        assert q.text.get("fr_FR") == q.text.fr
        assert q.text.get("en_GB") == q.text.en
        for choice in q.choices:
            assert choice.label.en.strip() and choice.label.fr.strip(), (q.key, choice.value)


def test_packaged_bank_unit_from_names_an_earlier_text_question() -> None:
    bank = load_bank()
    for q in bank.questions:
        if q.unit_from:
            source = bank.question(q.unit_from)
            assert source.type == QuestionKind.TEXT
            assert bank.index(source.key) < bank.index(q.key)


def test_unknown_bank_or_version() -> None:
    with pytest.raises(BankError, match="no bank named nope"):
        load_bank("nope")
    with pytest.raises(BankError, match="no version 99"):
        load_bank("post-poc", 99)


def test_bank_lookups() -> None:
    bank = load_bank()
    assert bank.question("kill_minutes").type == QuestionKind.NUMBER
    assert bank.has("kill_minutes") and not bank.has("nope")
    assert bank.section_of("kill_minutes").key == "kill_switch"
    assert bank.index("screen_uses") == 0
    with pytest.raises(KeyError):
        bank.question("nope")
    with pytest.raises(KeyError):
        bank.section_of("nope")
    assert bank.question("tier_role").choice_label("dont_know", "fr_CA") == "Je ne sais pas"
    assert bank.question("tier_role").choice_label("gone", "en") == "gone"


# -- the loader's checks ----------------------------------------------------------------


def test_a_small_bank_loads() -> None:
    bank = build(
        question("a"),
        question("b", "choice", when={"a": True}),
        question("c", "text", when=[{"b": "a"}, {"a": False}]),
    )
    assert [q.key for q in bank.questions] == ["a", "b", "c"]
    assert bank.question("c").when == ({"b": "a"}, {"a": False})


def test_a_handwritten_yaml_bank_loads() -> None:
    text = """
flow: tiny
version: 3
locales: [en, fr]
sections:
  - key: only
    title: {en: Only, fr: Seule}
    questions:
      - key: ok
        type: yes_no
        text: {en: "Is it ok?", fr: "Est-ce bon ?"}
"""
    if "label" in QuestionDef.model_fields:
        text += '        label: {en: "Ok", fr: "Bon"}\n'
    bank = parse_bank(text)
    assert (bank.flow, bank.version, bank.questions[0].key) == ("tiny", 3, "ok")


@pytest.mark.parametrize(
    ("questions", "pattern"),
    [
        pytest.param(
            [question("a"), question("b", when={"zz": True})],
            r"b: condition on 'zz', which is not a question asked before it",
            id="unknown-key-in-when",
        ),
        pytest.param(
            [question("a", when={"b": True}), question("b")],
            r"a: condition on 'b', which is not a question asked before it",
            id="condition-on-a-later-question",
        ),
        pytest.param(
            [question("a", when={"a": True})],
            r"a: condition on 'a', which is not a question asked before it",
            id="condition-on-itself",
        ),
        pytest.param(
            [question("a"), question("b", when={"a": "maybe"})],
            r"b: condition expects 'maybe' from a, which a yes_no question can't answer",
            id="yes-no-condition-with-a-string",
        ),
        pytest.param(
            [question("a", "choice"), question("b", when={"a": "c"})],
            r"b: condition expects 'c' from a",
            id="choice-condition-on-an-unknown-choice",
        ),
        pytest.param(
            [question("a", "multi_choice"), question("b", when={"a": {"not": "zzz"}})],
            r"b: condition expects 'zzz' from a",
            id="not-condition-on-an-unknown-choice",
        ),
        pytest.param(
            [question("a", "choice"), question("b", when={"a": ["a", "zzz"]})],
            r"b: condition expects 'zzz' from a",
            id="one-of-condition-with-an-unknown-choice",
        ),
        pytest.param(
            [question("a", "number"), question("b", when={"a": "ten"})],
            r"b: condition expects 'ten' from a, which a number question can't answer",
            id="number-condition-with-a-string",
        ),
        pytest.param(
            [question("a"), question("b", when=[{"a": True}, {}])],
            r"b: an empty condition",
            id="empty-condition",
        ),
        pytest.param(
            [question("a"), question("b", text={"en": "B?", "fr": "  "})],
            r"b: a text is missing a translation",
            id="blank-french-text",
        ),
        pytest.param(
            [question("a", "choice", choices=[{"value": "x", "label": {"en": "X", "fr": ""}}])],
            r"a: a text is missing a translation",
            id="blank-french-choice-label",
        ),
        pytest.param(
            [question("a"), question("b", help={"en": "", "fr": "Aide"})],
            r"b: a text is missing a translation",
            id="blank-english-help",
        ),
        pytest.param(
            [question("a"), question("a", "text")],
            r"a: duplicate key",
            id="duplicate-key",
        ),
        pytest.param(
            [question("a", "text"), question("b", "number", unit_from="zz")],
            r"b: unit_from must name a text question asked before it",
            id="unit-from-unknown-question",
        ),
        pytest.param(
            [question("b", "number", unit_from="a"), question("a", "text")],
            r"b: unit_from must name a text question asked before it",
            id="unit-from-later-question",
        ),
        pytest.param(
            [question("a", "choice", choices=[])],
            r"a: a choice question needs choices",
            id="choice-without-choices",
        ),
        pytest.param(
            [question("a", "multi_choice", choices=[])],
            r"a: a multi_choice question needs choices",
            id="multi-choice-without-choices",
        ),
        pytest.param(
            [question("a", "text", choices=[{"value": "x", "label": loc("X")}])],
            r"a: a text question takes no choices",
            id="choices-on-a-text-question",
        ),
        pytest.param(
            [
                question(
                    "a",
                    "choice",
                    choices=[{"value": "x", "label": loc("X")}, {"value": "x", "label": loc("Y")}],
                )
            ],
            r"a: duplicate choice values",
            id="duplicate-choice-values",
        ),
        pytest.param(
            [question("a", "multi_choice", exclusive=["zzz"])],
            r"a: exclusive names unknown choices \['zzz'\]",
            id="exclusive-unknown-choice",
        ),
    ],
)
def test_loader_checks(questions: list[dict[str, Any]], pattern: str) -> None:
    with pytest.raises(BankError, match=pattern):
        build(*questions)


def test_missing_french_text_is_named() -> None:
    with pytest.raises(BankError) as caught:
        build(question("a"), question("b", text={"en": "B?"}))
    message = str(caught.value)
    assert message == "b: text.fr: Field required"


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("colour", "red", "a: colour"),
        ("requird", True, "a: requird"),
        ("whenn", {"a": True}, "a: whenn"),
    ],
)
def test_unknown_field_is_named(field: str, value: Any, where: str) -> None:
    with pytest.raises(BankError) as caught:
        build(question("a", **{field: value}))
    assert where in str(caught.value)
    assert "Extra inputs are not permitted" in str(caught.value)


def test_unknown_field_in_a_choice_or_section() -> None:
    choice = {"value": "x", "label": loc("X"), "score": 3}
    with pytest.raises(BankError, match="Extra inputs are not permitted"):
        build(question("a", "choice", choices=[choice]))
    text = bank_yaml(question("a")).replace("- key: s\n", "- key: s\n  colour: red\n", 1)
    with pytest.raises(BankError, match=r"sections\.0\.colour"):
        parse_bank(text)


def test_unknown_question_type() -> None:
    with pytest.raises(BankError, match=r"^a: type: Input should be 'text'"):
        build(question("a", "slider"))


def test_bank_must_be_in_english_and_french() -> None:
    with pytest.raises(BankError, match="en and fr"):
        parse_bank(bank_yaml(question("a"), locales=["en"]))
    with pytest.raises(BankError, match="en and fr"):
        parse_bank(bank_yaml(question("a"), locales=["en", "fr", "de"]))


@pytest.mark.parametrize("text", ["", "flow: [", "- just\n- a list\n", "flow: x\n"])
def test_not_a_bank(text: str) -> None:
    with pytest.raises(BankError):
        parse_bank(text)


# -- conditions -------------------------------------------------------------------------


def holds(when: Any, answers: Mapping[str, Any], kind: str = "text") -> bool:
    return is_applicable(q_def("z", kind, when=when), answers)


def test_no_condition_always_applies() -> None:
    assert is_applicable(q_def("z"), {})


@pytest.mark.parametrize(
    ("when", "answers", "expected"),
    [
        # key: value
        ({"a": True}, {"a": True}, True),
        ({"a": True}, {"a": False}, False),
        ({"c": "x"}, {"c": "x"}, True),
        ({"c": "x"}, {"c": "y"}, False),
        ({"n": 3}, {"n": 3.0}, True),
        # list: one of
        ({"c": ["x", "y"]}, {"c": "y"}, True),
        ({"c": ["x", "y"]}, {"c": "w"}, False),
        # not
        ({"c": {"not": "none"}}, {"c": "x"}, True),
        ({"c": {"not": "none"}}, {"c": "none"}, False),
        ({"c": {"not": ["x", "y"]}}, {"c": "w"}, True),
        ({"c": {"not": ["x", "y"]}}, {"c": "y"}, False),
        ({"a": {"not": True}}, {"a": False}, True),
        # multi-choice: contains
        ({"m": "x"}, {"m": ["w", "x"]}, True),
        ({"m": "x"}, {"m": ["w"]}, False),
        ({"m": ["x", "y"]}, {"m": ["y"]}, True),
        ({"m": {"not": "none"}}, {"m": ["x", "y"]}, True),
        ({"m": {"not": "none"}}, {"m": ["none"]}, False),
        # every key of a mapping must hold
        ({"a": True, "c": "x"}, {"a": True, "c": "x"}, True),
        ({"a": True, "c": "x"}, {"a": True, "c": "y"}, False),
        # a list of mappings: any one of them
        ([{"a": True}, {"c": "x"}], {"a": False, "c": "x"}, True),
        ([{"a": True}, {"c": "x"}], {"a": True, "c": "y"}, True),
        ([{"a": True}, {"c": "x"}], {"a": False, "c": "y"}, False),
        ([{"a": True}, {"c": "x"}], {"c": "x"}, True),
        # skipped, absent or "nobody" answers never satisfy a condition, even a "not"
        ({"a": True}, {}, False),
        ({"a": True}, {"a": SKIPPED}, False),
        ({"c": {"not": "none"}}, {}, False),
        ({"c": {"not": "none"}}, {"c": SKIPPED}, False),
        ({"c": {"not": "none"}}, {"c": None}, False),
        ([{"a": True}, {"c": "x"}], {"a": SKIPPED}, False),
    ],
)
def test_is_applicable(when: Any, answers: Mapping[str, Any], expected: bool) -> None:
    assert holds(when, answers) is expected


def test_packaged_bank_conditions() -> None:
    bank = load_bank()
    obligations = bank.question("tier_obligations_met")
    nothing = {"tier_annex3_uses": ["none"], "tier_profiling": False, "tier_declared": "minimal"}
    assert not is_applicable(obligations, nothing)
    assert is_applicable(obligations, {**nothing, "tier_annex3_uses": ["credit"]})
    # 2026.2: profiling alone is a risk factor, not a high-risk use (EU AI Act art. 6(3))
    assert not is_applicable(obligations, {**nothing, "tier_profiling": True})
    assert is_applicable(obligations, {**nothing, "tier_declared": "high"})
    cases = bank.question("value_poc_cases")  # read from the POC result (derived)
    assert not bank.applies(cases, {"value_poc_result": "not_measured"})
    assert bank.applies(cases, {"value_poc_result": 5.0})
    assert not is_applicable(bank.question("sup_overseer"), {"sup_review": "none"})
    assert is_applicable(bank.question("sup_overseer"), {"sup_review": "before"})


def test_applicable_follows_the_answers() -> None:
    bank = load_bank()
    keys = [q.key for q in bank.applicable({"kill_rehearsed": False})]
    assert "kill_rehearsed" in keys
    assert "kill_rehearsed_on" not in keys and "kill_minutes" not in keys
    keys = [q.key for q in bank.applicable({"kill_rehearsed": True})]
    assert (
        keys.index("kill_rehearsed") < keys.index("kill_rehearsed_on") < keys.index("kill_minutes")
    )


# -- required keys ------------------------------------------------------------------------


def test_required_keys() -> None:
    bank = build(
        question("a", required=True),
        question("b", "text"),
        question("c", "text", required=True, when={"a": True}),
        question("d", "person", required=True),
    )
    assert required_keys(bank, {}) == ["a", "d"]
    assert required_keys(bank, {"a": False}) == ["d"]
    assert required_keys(bank, {"a": True}) == ["c", "d"]
    assert required_keys(bank, {"a": True, "c": SKIPPED}) == ["c", "d"]
    assert required_keys(bank, {"a": SKIPPED}) == ["a", "d"]
    assert required_keys(bank, {"a": True, "c": "x", "d": None}) == []  # "nobody" is an answer


def test_required_keys_of_the_packaged_bank() -> None:
    bank = load_bank()
    missing = required_keys(bank, {})
    assert missing[0] == "screen_uses"
    assert "owner_sponsor" not in missing  # not required
    assert "tier_obligations_met" not in missing  # does not apply yet
    assert set(missing) == {q.key for q in bank.applicable({}) if q.required}
    answered = dict.fromkeys(missing, "x")
    assert all(k not in missing for k in required_keys(bank, answered))


# -- mermaid -----------------------------------------------------------------------------------


def test_mermaid_draws_every_question_and_the_conditions() -> None:
    bank = load_bank()
    chart = mermaid(bank)
    assert chart.startswith("flowchart TD\n")
    for q in bank.questions:
        assert re.search(rf"^\s+{q.key}\[", chart, re.MULTILINE), q.key
    for section in bank.sections:
        assert f'subgraph {section.key}["{section.title.en.replace(chr(34), chr(39))}"]' in chart
    assert "screen_uses --> tier_annex3_uses" in chart
    assert "tier_profiling -." not in chart
    assert '  tier_annex3_uses -. "tier_annex3_uses ≠ none" .-> tier_obligations_met' in chart
    assert '  tier_declared -. "tier_declared = high" .-> tier_obligations_met' in chart
    assert '  kill_rehearsed -. "kill_rehearsed = True" .-> kill_minutes' in chart
    conditional = sum(len(group) for q in bank.questions for group in q.when)
    assert chart.count(" .-> ") == conditional


def test_mermaid_in_french_with_one_of_and_not_conditions() -> None:
    bank = build(
        question("a", "choice"),
        question("b", when={"a": ["a", "b"]}),
        question("c", when=[{"a": {"not": "none"}, "b": True}]),
    )
    chart = mermaid(bank, "fr")
    assert 'subgraph s["Section (fr)"]' in chart
    assert "  a -. \"a = ['a', 'b']\" .-> b" in chart
    # a condition on two answers draws an edge from each, with the whole condition
    assert '  a -. "a ≠ none and b = True" .-> c' in chart
    assert '  b -. "a ≠ none and b = True" .-> c' in chart


def test_mermaid_replaces_double_quotes_in_titles() -> None:
    text = bank_yaml(question("a")).replace("Section (fr)", 'La "section"')
    chart = mermaid(parse_bank(text), "fr")
    assert "subgraph s[\"La 'section'\"]" in chart


# -- languages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("fr", "fr"),
        ("fr_CA", "fr"),
        ("fr-BE", "fr"),
        ("FR_fr", "fr"),
        ("en", "en"),
        ("en_US", "en"),
        ("de", "en"),
        ("es-ES", "en"),
        ("", "en"),
        ("french", "en"),
    ],
)
def test_language_of(locale: str, language: str) -> None:
    assert language_of(locale) == language


@pytest.mark.parametrize(
    ("questions", "pattern"),
    [
        pytest.param(
            [question("a", "yes_no"), question("b", when={"a": {"not": [True, False]}})],
            "b: the condition on a can never hold",
            id="condition-never-holds",
        ),
        pytest.param(
            [question("a", "text"), question("b", when={"a": "x"})],
            "b: a condition can't depend on a text question",
            id="condition-on-text",
        ),
        pytest.param(
            [question("a", "text", min=3)], "a: min only apply to number", id="min-on-text"
        ),
        pytest.param(
            [question("a", "number", min=5, max=1)],
            "a: min is greater than max",
            id="min-above-max",
        ),
        pytest.param(
            [question("a", "choice", choices=[{"value": "x", "label": loc("X")}], exclusive=["x"])],
            "a: exclusive only applies to multi-choice",
            id="exclusive-on-choice",
        ),
    ],
)
def test_loader_rejects_incoherent_questions(questions: list[dict[str, Any]], pattern: str) -> None:
    with pytest.raises(BankError, match=pattern):
        build(*questions)


def test_the_packaged_bank_is_loaded_once() -> None:
    assert load_bank() is load_bank("post-poc", 2)


def test_interviews_begun_on_version_1_still_load_with_the_same_questions() -> None:
    """v1 (no depths) stays for interviews begun on it; v2 keeps every v1 question
    under the same key, type and choices, so their answers read the same, but the
    kind of saving: v2 reads it from the minutes saved (0: money), and whether a value
    indicator is defined: v2 reads it from the indicator ("none"), whether the POC
    measured it: from its result ("not measured"), and the four prohibited uses:
    from one multi-choice question. The rubric still reads them from a v1 interview."""
    old, new = load_bank("post-poc", 1), load_bank()
    assert old.depth is None
    screen = {
        "screen_manipulation",
        "screen_social_scoring",
        "screen_emotion",
        "screen_sensitive_categorisation",
    }
    retired = {"cost_saving_kind", "value_defined", "value_poc_measured", *screen}
    for question in old.questions:
        if question.key in retired:
            assert not new.has(question.key)
            continue
        again = new.question(question.key)
        assert (again.type, again.choice_values) == (question.type, question.choice_values)
    assert {q.key for q in new.questions} == {q.key for q in old.questions} - retired | {
        "screen_uses"
    }
    v1_answers = {k: v for k, v in complete_answers().items() if k != "screen_uses"}
    v1_answers |= dict.fromkeys(screen, False) | {"value_poc_measured": True, "value_defined": True}
    assert rubric.assess(v1_answers, old).outcome is rubric.Outcome.INDUSTRIALISE
    v1_money = {
        **v1_answers,
        "value_defined": True,
        "cost_per_task": 3.0,
        "cost_saving_kind": "money",
        "cost_saving_money": 2.5,
        "cost_can_cut": False,
    }
    del v1_money["cost_saving_minutes"], v1_money["cost_hour_cost"]
    assert [r.code for r in rubric.assess(v1_money, old).reasons] == ["cost_above_saving_uncut"]
    v1_no_indicator = {**v1_answers, "value_defined": False}
    for key in ("value_indicator", "value_unit", "value_baseline", "value_target"):
        del v1_no_indicator[key]
    v1_framed = rubric.assess(v1_no_indicator, old)
    assert v1_framed.outcome is rubric.Outcome.FRAME
    assert [c.code for c in v1_framed.conditions] == ["define_value_indicator"]


def test_a_number_example_the_question_would_refuse_is_rejected_at_load() -> None:
    with pytest.raises(BankError, match="q: the example"):
        build(question("q", "number", min=0, max=100, example=140))
    with pytest.raises(BankError, match="q: the example"):
        build(question("q", "number", integer=True, example=2.5))
    with pytest.raises(BankError, match="only apply to number questions"):
        build(question("q", "text", example=3))


def test_banks_are_read_with_libyaml_when_pyyaml_has_it() -> None:
    """Every start parses the bank: libyaml's safe loader does it ten times quicker."""
    from conversations import bank as banks

    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert banks.YAML_LOADER is expected
    text = (banks.resources.files("conversations") / "banks" / "post_poc.v2.yaml").read_text(
        encoding="utf-8"
    )
    assert yaml.load(text, Loader=banks.YAML_LOADER) == yaml.safe_load(text)


def test_stored_answers_to_questions_bank_v2_asked_before_read_as_it_asks_now() -> None:
    """An interview stored when v2 asked the four prohibited uses as yes/no questions
    and whether the POC measured its value: the engine and the rubric read its rows
    as answers to the questions that replaced them, so it neither asks them again nor
    changes its recommendation."""
    from conversations.assessments import answers_of
    from conversations.engine import next_question
    from storage.models import Answer

    stored = {
        "screen_manipulation": False,
        "screen_social_scoring": False,
        "screen_emotion": False,
        "screen_sensitive_categorisation": False,
        "tier_annex3_uses": ["none"],
        "value_indicator": "handling time",
        "value_poc_measured": False,
    }
    rows = {
        key: Answer(question_key=key, value=value, skipped=False) for key, value in stored.items()
    }
    bank = load_bank()
    answers = answers_of(rows, bank)
    assert answers["screen_uses"] == ["none"]
    assert answers["value_poc_result"] == "not_measured"
    assert next_question(bank, answers, None) == "use_setting"
    # bank v1 still asks them: its interviews are read as they were
    assert answers_of(rows, load_bank("post-poc", 1)) == stored
