"""The program offers its own source to everyone who uses it (AGPL-3.0 section 13): a footer link on every
page, and an archive built from the files the process runs, so an operator's changes are in it."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from emotipal.platform import source

ROOT = Path(settings.BASE_DIR)


def names_and_bytes(body: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


@pytest.mark.django_db
def test_anyone_downloads_the_source_of_the_running_program() -> None:
    response = Client().get("/source.tar.gz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    assert "attachment" in response["Content-Disposition"]
    files = names_and_bytes(response.content)
    # The files this process runs, byte for byte: the code, the templates, the licence, the install files.
    for name in (
        "emotipal/platform/source.py",
        "emotipal/platform/templates/base.html",
        "LICENSE",
        "pyproject.toml",
    ):
        assert files[f"emotipal-source/{name}"] == (ROOT / name).read_bytes(), name
    assert "emotipal-source/locale/es/LC_MESSAGES/django.po" in files
    assert not any("__pycache__" in n or n.endswith((".pyc", ".mo")) for n in files)
    assert not any(n.startswith(("emotipal-source/tests/", "emotipal-source/.local/")) for n in files)
    # Not modified since: the same archive has the same ETag.
    again = Client().get("/source.tar.gz", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert Client().post("/source.tar.gz").status_code == 405
    asked = Client().head("/source.tar.gz")  # a link checker's question: the same answer, without the body
    assert asked.status_code == 200 and asked["ETag"] == response["ETag"] and asked.content == b""


def test_the_archive_holds_what_is_on_disk_and_nothing_generated_or_local(tmp_path: Path) -> None:
    (tmp_path / "emotipal" / "__pycache__").mkdir(parents=True)
    (tmp_path / "emotipal" / "changed.py").write_text("CHANGED_BY_THE_OPERATOR = True\n")
    (tmp_path / "emotipal" / "__pycache__" / "changed.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "locale" / "es").mkdir(parents=True)
    (tmp_path / "locale" / "es" / "django.mo").write_bytes(b"\0")
    (tmp_path / ".local").mkdir()
    (tmp_path / ".local" / "field-keys.json").write_text("secret")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("")
    (tmp_path / "LICENSE").write_text("AGPL")
    body = source.archive(tmp_path)
    assert names_and_bytes(body) == {
        "emotipal-source/LICENSE": b"AGPL",
        "emotipal-source/emotipal/changed.py": b"CHANGED_BY_THE_OPERATOR = True\n",
    }
    # The same files give the same bytes (fixed times and owners, the gzip header's too).
    source.archive.cache_clear()
    assert source.archive(tmp_path) == body


@pytest.mark.django_db
def test_every_page_links_to_the_source_or_where_the_operator_publishes_it(
    settings: pytest.FixtureRequest,
) -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="/source.tar.gz"' in page
    settings.EMOTIPAL_SOURCE_URL = "https://code.example.org/our-emotipal"  # type: ignore[attr-defined]
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="https://code.example.org/our-emotipal"' in page
