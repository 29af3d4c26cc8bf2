"""Screen readers read a text answer's help line with the field, and its error too when there is one."""

from __future__ import annotations

import re

from emotipal.homework import services
from tests.factories import World, plan_for


def _attributes(html: str, tag: str, name: str) -> str:
    found = re.search(rf'<{tag}[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert found, name
    return found.group(0)


def test_text_answers_are_described_by_their_help_and_their_error(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    http = world.login(world.client_a.user)
    html = http.get(f"/homework/{assignment.pk}/").content.decode()
    situation = _attributes(html, "textarea", "a.situation")
    field_id = re.search(r'id="([^"]+)"', situation).group(1)  # type: ignore[union-attr]
    assert f'aria-describedby="{field_id}-help"' in situation
    assert f'id="{field_id}-help"' in html
    refused = http.post(f"/homework/{assignment.pk}/", {"a.situation": "", "effort": "2"}).content.decode()
    situation = _attributes(refused, "textarea", "a.situation")
    assert f'aria-describedby="{field_id}-help {field_id}-error"' in situation
    assert 'aria-invalid="true"' in situation and f'id="{field_id}-error"' in refused
