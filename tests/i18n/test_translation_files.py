"""The Spanish and Arabic translation files: every string translated, nothing fuzzy, placeholders kept, the
compiled .mo files matching the .po files, and the .po files covering every string marked in the code.

A missing translation is caught here, never shown to a user as a raw English key. After adding or changing
marked text: `manage.py makemessages -l es -l ar --ignore=.venv --ignore=tests --ignore=staticfiles`, translate
the new entries, then `manage.py compilemessages --ignore=.venv` (see README).
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = BASE_DIR / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
NPLURALS = {"es": 2, "ar": 6}
# What `makemessages` is run with (besides the default ignores of dot-files and *.pyc).
IGNORED_TOP_LEVEL = {"tests", "staticfiles", "locale"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


def parse_po(path: Path) -> tuple[PoEntry, list[PoEntry]]:
    """(header, entries) of a .po file; obsolete (#~) entries are marked, not dropped."""
    entries: list[PoEntry] = []
    current: PoEntry | None = None
    target: tuple[str, int | None] | None = None  # where a continuation line ("...") goes

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        obsolete = raw.startswith("#~") and not raw.startswith("#~|")
        line = raw[2:].strip() if obsolete else raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if line.startswith("#,"):
                current = current or PoEntry(line=number)
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}: stray line {raw!r}"
            name, index = target
            if index is None:
                setattr(current, name, (getattr(current, name) or "") + ast.literal_eval(line))
            else:
                current.msgstr_plural[index] += ast.literal_eval(line)
            continue
        keyword, _space, rest = line.partition(" ")
        text = ast.literal_eval(rest.strip())
        if keyword in ("msgctxt", "msgid") and target is not None and target[0].startswith("msgstr"):
            finish()  # a new entry without a blank line before it
        current = current or PoEntry(line=number)
        current.obsolete = current.obsolete or obsolete
        plural_form = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if plural_form:
            target = ("msgstr_plural", int(plural_form.group(1)))
            current.msgstr_plural[int(plural_form.group(1))] = text
        else:
            assert keyword in {"msgctxt", "msgid", "msgid_plural", "msgstr"}, f"{path}:{number}: {raw!r}"
            target = (keyword, None)
            setattr(current, keyword, text)
    finish()
    header = [e for e in entries if e.msgid == "" and e.msgctxt is None and not e.obsolete]
    assert len(header) == 1, f"{path}: expected one header entry"
    return header[0], [e for e in entries if e is not header[0]]


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def live_entries(language: str) -> list[PoEntry]:
    _header, entries = parse_po(po_path(language))
    return [e for e in entries if not e.obsolete]


def headers(language: str) -> dict[str, str]:
    header, _entries = parse_po(po_path(language))
    pairs = (line.split(":", 1) for line in header.msgstr.splitlines() if ":" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_every_interface_language_has_translation_files() -> None:
    assert LANGUAGES == ["es", "ar"]
    for language in LANGUAGES:
        assert po_path(language).is_file(), f"missing {po_path(language)}"
        assert po_path(language).with_suffix(".mo").is_file(), f"{language}: run compilemessages"


@pytest.mark.parametrize("language", ["es", "ar"])
def test_every_entry_is_translated_and_none_is_fuzzy(language: str) -> None:
    header, _entries = parse_po(po_path(language))
    assert "fuzzy" not in header.flags, f"{language}: the header is still marked fuzzy"
    meta = headers(language)
    assert meta["Language"] == language
    assert f"nplurals={NPLURALS[language]};" in meta["Plural-Forms"].replace(" ", "")
    entries = live_entries(language)
    assert len(entries) > 300, "the catalogue looks truncated"
    problems = []
    for e in entries:
        where = f"{language}/django.po:{e.line} {e.msgid[:60]!r}"
        if "fuzzy" in e.flags:
            problems.append(f"{where}: fuzzy")
        if e.msgid_plural is None:
            if not e.msgstr.strip():
                problems.append(f"{where}: not translated")
        else:
            forms = e.msgstr_plural
            if sorted(forms) != list(range(NPLURALS[language])) or not all(s.strip() for s in forms.values()):
                problems.append(f"{where}: needs all {NPLURALS[language]} plural forms")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["es", "ar"])
def test_placeholders_are_kept(language: str) -> None:
    """%(name)s placeholders (and {{ name }} of blocktranslate, which become %(name)s) survive translation."""
    problems = []
    for e in live_entries(language):
        where = f"{language}/django.po:{e.line} {e.msgid[:60]!r}"
        if e.msgid_plural is None:
            if placeholders(e.msgstr) != placeholders(e.msgid):
                problems.append(
                    f"{where}: {sorted(placeholders(e.msgstr))} != {sorted(placeholders(e.msgid))}"
                )
            continue
        wanted = placeholders(e.msgid_plural)
        for index, form in e.msgstr_plural.items():
            # A form for exactly one or two (Arabic) may say the number in words; the others keep them all.
            extra = placeholders(form) - wanted - placeholders(e.msgid)
            last = index == max(e.msgstr_plural)
            if extra or (last and placeholders(form) != wanted):
                problems.append(f"{where} [{index}]: {sorted(placeholders(form))} vs {sorted(wanted)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["es", "ar"])
def test_the_mo_file_matches_the_po_file(language: str) -> None:
    """The committed .mo is what the .po compiles to (production does not need gettext installed)."""
    with po_path(language).with_suffix(".mo").open("rb") as handle:
        compiled: dict[Any, str] = dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)
    expected: dict[Any, str] = {}
    for e in live_entries(language):
        msgid = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt is not None else e.msgid
        if e.msgid_plural is None:
            expected[msgid] = e.msgstr
        else:
            for index, form in e.msgstr_plural.items():
                expected[(msgid, index)] = form
    stale = sorted(str(k) for k in expected.keys() ^ compiled.keys())
    changed = sorted(str(k) for k in expected.keys() & compiled.keys() if expected[k] != compiled[k])
    assert not stale and not changed, (
        f"{language}: django.mo is out of date; run `manage.py compilemessages --ignore=.venv`. "
        f"Missing or extra: {stale[:5]}; different: {changed[:5]}"
    )


def _gettext_tools_or_skip() -> None:
    missing = [tool for tool in ("xgettext", "msguniq", "msgmerge") if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"GNU gettext is not installed ({', '.join(missing)} missing): apt-get install gettext"
    if os.environ.get("EMOTIPAL_REQUIRE_SERVICES"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_the_po_files_cover_every_marked_string(tmp_path: Path, monkeypatch: Any, settings: Any) -> None:
    """Runs makemessages on a copy of the project and compares its msgids with the committed catalogues."""
    _gettext_tools_or_skip()
    project = tmp_path / "project"
    project.mkdir()
    for item in BASE_DIR.iterdir():
        if item.name.startswith(".") or item.name in IGNORED_TOP_LEVEL:
            continue
        if item.is_dir():
            shutil.copytree(item, project / item.name, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        else:
            shutil.copy2(item, project / item.name)
    (project / "locale").mkdir()
    settings.LOCALE_PATHS = [project / "locale"]
    monkeypatch.chdir(project)
    call_command("makemessages", locale=["es"], verbosity=0)
    _header, fresh_entries = parse_po(project / "locale" / "es" / "LC_MESSAGES" / "django.po")
    fresh = {e.key for e in fresh_entries if not e.obsolete}
    assert len(fresh) > 300
    for language in LANGUAGES:
        committed = {e.key for e in live_entries(language)}
        missing = sorted(str(k[1]) for k in fresh - committed)
        assert not missing, (
            f"{language}: {len(missing)} marked strings are not in locale/{language}/LC_MESSAGES/django.po "
            f"(run makemessages, translate, compilemessages): {missing[:10]}"
        )
        unused = sorted(str(k[1]) for k in committed - fresh)
        assert not unused, f"{language}: entries no longer in the code (run makemessages): {unused[:10]}"


def test_answer_messages_are_translated_and_the_schema_works_without_django() -> None:
    from django.utils import translation

    from emotipal.definitions.fields import validate_answers

    fields = [{"id": "mood", "type": "scale", "label": "Mood", "min": 0, "max": 10, "required": True}]
    with translation.override("es"):
        assert validate_answers(fields, {}).errors == {"mood": "Esto es obligatorio."}
    with translation.override("ar"):
        assert validate_answers(fields, {"mood": "11"}).errors == {"mood": "اختر قيمة من 0 إلى 10."}
    code = (
        "from emotipal.definitions.fields import validate_answers;"
        f"print(validate_answers({fields!r}, {{}}).errors['mood'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "This is required."
