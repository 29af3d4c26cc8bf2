"""The pure rules of a language version: which differences refuse a file, and how wording is laid over."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from emotipal.definitions.scoring import score_response
from emotipal.definitions.translations import localized, mismatches, texts_of
from emotipal.measures.fhir_questionnaire import QuestionnaireError, read_questionnaire

GAD7 = Path(__file__).resolve().parents[2] / "emotipal" / "measures" / "instruments" / "gad7.yaml"


@pytest.fixture
def base() -> dict[str, Any]:
    definition = yaml.safe_load(GAD7.read_text(encoding="utf-8"))
    definition.pop("translations")
    return definition


def marked(definition: dict[str, Any]) -> dict[str, Any]:
    """The same questionnaire with every piece of wording marked as test wording."""
    other = copy.deepcopy(definition)
    other["title"], other["preamble"] = "[x test] title", "[x test] preamble"
    for item in other["items"]:
        item["text"] = "[x test] " + item["text"]
    other["options"] = [{**o, "label": "[x test] " + o["label"]} for o in other["options"]]
    return other


def test_same_structure_passes_and_scores_the_same(base: dict[str, Any]) -> None:
    other = marked(base)
    assert mismatches(base, other, states_scoring=True) == []
    shown = localized(base, texts_of(other), "xx")
    assert shown["items"][0]["text"].startswith("[x test] ")
    assert shown["items"][0]["options"][0] == {"value": 0, "label": "[x test] Not at all"}
    answers = {f"gad7_{i}": 2 for i in range(1, 8)}
    assert score_response(shown, answers).total == score_response(base, answers).total == 14


def test_each_difference_is_named(base: dict[str, Any]) -> None:
    other = marked(base)
    other["items"][0]["id"] = "gad7_one"
    other["items"][1]["options"] = [{"value": v, "label": f"[x test] {v}"} for v in (0, 1, 2, 5)]
    other["items"][2]["risk"] = True
    other["items"][3]["text"] = ""
    other["bands"][0]["max"] = 5
    problems = mismatches(base, other, states_scoring=True)
    text = "\n".join(problems)
    assert "'gad7_1' of GAD-7 is missing" in text and "'gad7_one' is not an item" in text
    assert "'gad7_2': answer values 0, 1, 2, 5" in text
    assert "'gad7_3': the file says it is a risk item" in text
    assert "'gad7_4': the file gives no wording" in text
    assert "scores the questionnaire differently" in text
    # Without stated scoring (a FHIR Questionnaire), flags and bands are the version's: not compared.
    assert not any("risk" in p or "scores" in p for p in mismatches(base, other, states_scoring=False))


def test_fhir_reader_refuses_what_it_cannot_read() -> None:
    with pytest.raises(QuestionnaireError, match="not JSON"):
        read_questionnaire("{")
    with pytest.raises(QuestionnaireError, match="resourceType"):
        read_questionnaire('{"resourceType": "Patient"}')
    with pytest.raises(QuestionnaireError, match="valueCoding"):
        read_questionnaire(
            '{"resourceType": "Questionnaire", "item": [{"linkId": "a", "type": "choice", '
            '"answerOption": [{"valueString": "x"}]}]}'
        )
    definition, language = read_questionnaire(
        '{"resourceType": "Questionnaire", "language": "es", "item": [{"type": "group", "item": '
        '[{"linkId": "a", "type": "choice", "repeats": true, "text": "t", '
        '"answerOption": [{"valueCoding": {"code": "1", "display": "uno"}}]}]}]}'
    )
    assert language == "es"
    assert definition["items"] == [
        {"id": "a", "type": "multi_choice", "text": "t", "options": [{"value": "1", "label": "uno"}]}
    ]
