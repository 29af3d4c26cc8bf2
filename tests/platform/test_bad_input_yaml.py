"""The template editor reads YAML without tags, anchors/aliases (alias bombs), dates, deep nesting or huge
documents: each is a clear 400 and no new version."""

from __future__ import annotations

import pytest
import yaml

from emotipal.library.models import TemplateVersion
from emotipal.library.services import clone_template
from tests.factories import World
from tests.platform.bad_input_helpers import snapshot

GOOD_FIELD = "- id: a\n  type: short_text\n  label: A\n"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)

CASES = {
    "alias bomb": (BOMB, "anchors and aliases"),
    "anchor and alias": ("- &f {id: a, type: short_text, label: A}\n- *f\n", "anchors and aliases"),
    "python tag": ("- !!python/object/apply:os.system [echo]\n", "tags such as"),
    "binary tag": ("- id: a\n  type: short_text\n  label: !!binary aGk=\n", "tags such as"),
    "set tag": ("- id: a\n  type: short_text\n  label: !!set {x}\n", "tags such as"),
    "local tag": ("- id: a\n  type: short_text\n  label: !mine x\n", "tags such as"),
    "date": ("- id: a\n  type: short_text\n  label: 2024-05-01\n", "reads as a date"),
    "date and time": ("- id: a\n  type: datetime\n  label: 2024-05-01 10:00:00\n", "reads as a date"),
    "not a number": ("- id: a\n  type: number\n  label: A\n  max: .nan\n", "no .nan or .inf"),
    "deep nesting": ("- " + "[" * 60 + "]" * 60 + "\n", "nested too deeply"),
    "too long": (GOOD_FIELD + "#" * 100_001, "too long"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_unsafe_yaml_in_the_template_editor_is_refused(world: World, case: str) -> None:
    text, reason = CASES[case]
    copy = clone_template(world.therapist, world.thought_record, world.clinic)
    http = world.login(world.therapist)
    before = snapshot()
    response = http.post(
        f"/library/mine/{copy.template_id}/",
        {"title": "T", "rationale": "R", "instructions": "I", "fields": text},
    )
    assert response.status_code == 400
    assert "The fields were not saved" in response.content.decode()
    assert reason in response.content.decode()
    assert snapshot() == before


def test_plain_yaml_still_saves_a_version(world: World) -> None:
    """Quoted dates are text, and the integer keys of anchors are read as the schema expects."""
    copy = clone_template(world.therapist, world.thought_record, world.clinic)
    extra = [
        {"id": "when", "type": "short_text", "label": "2024-05-01"},
        {
            "id": "how",
            "type": "scale",
            "label": "How",
            "min": 0,
            "max": 10,
            "anchors": {0: "none", 10: "lots"},
        },
    ]
    fields = [*copy.fields, *extra]
    text = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)
    assert "'2024-05-01'" in text  # safe_dump quotes what would otherwise read as a date
    http = world.login(world.therapist)
    response = http.post(
        f"/library/mine/{copy.template_id}/",
        {"title": "T", "rationale": "R", "instructions": "I", "fields": text},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    latest = TemplateVersion.objects.filter(template_id=copy.template_id).order_by("-number").first()
    assert latest is not None and latest.number == 2
    assert latest.fields[-2]["label"] == "2024-05-01"
    assert latest.fields[-1]["anchors"] == {"0": "none", "10": "lots"}
