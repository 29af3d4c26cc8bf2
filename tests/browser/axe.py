"""axe-core (vendored in tests/browser/vendor, no CDN) run inside a Playwright page.

The script is evaluated through the DevTools protocol, so the page's own Content-Security-Policy does not
have to allow it, and nothing of it is served by the application.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).parent / "vendor" / "axe.min.js"
# WCAG 2.1 A and AA; best-practice rules are reported by axe too but are not what the issue asks for.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
# axe on a page that keeps changing (charts drawing, htmx polling) could run on; the walk must not hang on it.
AXE_TIMEOUT_MS = 20000


@cache
def axe_source() -> str:
    return VENDOR.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source() + "\n;undefined")
    result = page.evaluate(
        """([tags, ms]) => Promise.race([
            axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}),
            new Promise((_, reject) => setTimeout(() => reject(new Error('axe ran over ' + ms + ' ms')), ms)),
        ])""",
        [WCAG_TAGS, AXE_TIMEOUT_MS],
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and up to three of its elements, to read in a failing test."""
    lines = []
    for v in violations:
        targets = "; ".join(
            f"{' '.join(map(str, node['target']))} ({node.get('failureSummary', '').splitlines()[-1].strip()})"
            for node in v["nodes"][:3]
        )
        lines.append(f"{v['id']} [{v['impact']}] x{len(v['nodes'])}: {v['help']} -> {targets}")
    return "\n".join(lines)
