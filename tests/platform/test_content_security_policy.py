"""The Content-Security-Policy (django-csp, emotipal/platform/settings.py): on every page, scripts only from
this server with the page's nonce, no inline script, no eval, no inline style; the templates hold no style=""
attribute and no inline script for it to block; the analysis report keeps its own stricter policy. The
browser tests fail on any violation a page logs (tests/browser/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client

from emotipal.homework.models import Assignment
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "emotipal").rglob("templates/**/*.html"))
OUR_SCRIPTS = sorted([*(ROOT / "static" / "js").glob("*.js"), *(ROOT / "emotipal").rglob("static/**/*.js")])
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


def directives(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def check_page(http: Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 200, path
    policy = directives(response)
    for name in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy[name] and "'unsafe-eval'" not in policy[name], (path, name)
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], path
    nonces = [s[len("'nonce-") : -1] for s in policy["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1 and len(nonces[0]) >= 16, (path, policy["script-src"])
    html = response.content.decode()
    tags = [t for t in SCRIPT_TAG.findall(html) if "application/json" not in t]
    assert tags, path
    for attributes in tags:
        # Every script is a file of ours carrying this response's nonce (a cached page keeps its own pair).
        assert f'nonce="{nonces[0]}"' in attributes and 'src="/static/' in attributes, (path, attributes)


def test_every_kind_of_page_has_the_policy_and_its_scripts_the_nonce(
    world: World, assignment_a: Assignment
) -> None:
    pages = {
        None: ["/accounts/login/", "/help/"],
        world.client_a.user: ["/today/", "/settings/", f"/homework/{assignment_a.pk}/"],
        world.therapist: ["/clients/", f"/clients/{world.client_a.pk}/", "/library/"],
        world.admin: ["/clinic/", "/clinic/audit/"],
    }
    for user, paths in pages.items():
        http = world.login(user)
        for path in paths:
            check_page(http, path)


def test_each_response_gets_a_new_nonce(world: World) -> None:
    http = world.login(None)
    first, second = (directives(http.get("/accounts/login/"))["script-src"] for _ in range(2))
    assert first != second


def test_no_template_has_a_style_attribute_or_an_inline_script() -> None:
    styled = [str(t.relative_to(ROOT)) for t in TEMPLATES if re.search(r"\sstyle\s*=", t.read_text())]
    assert styled == []
    inline = []
    for template in TEMPLATES:
        for attributes in SCRIPT_TAG.findall(template.read_text()):
            if "src=" not in attributes and "application/json" not in attributes:
                inline.append(str(template.relative_to(ROOT)))
            elif "src=" in attributes and "nonce=" not in attributes:
                inline.append(f"{template.relative_to(ROOT)} (no nonce)")
    assert inline == []


def test_our_scripts_never_eval_or_write_style_attributes() -> None:
    found = []
    for script in OUR_SCRIPTS:
        source = script.read_text()
        for pattern in (
            r"\beval\(",
            r"new Function\(",
            r"setAttribute\(\s*['\"]style",
            r"\.innerHTML\s*=.*style=",
        ):
            if re.search(pattern, source):
                found.append(f"{script.relative_to(ROOT)}: {pattern}")
    assert OUR_SCRIPTS and found == []
