"""Every string a person can read is translated into Chinese.

The check runs the same extraction as ``manage.py update_translations`` in a scratch copy of the
project (so the committed catalogue is never touched): a string marked in a template, an email,
Python code or JavaScript without a translation in ``locale/zh_Hans`` fails here with its place.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from elicitation.management.commands.update_translations import extract_messages
from tests.po import msgids


@pytest.fixture
def scratch_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: run scripts/ensure-gettext (Debian: apt-get install gettext)")
    project = tmp_path / "project"
    skip = shutil.ignore_patterns(".*", "node_modules", "staticfiles", "media", "__pycache__", "*.mo", "*.sqlite3")
    shutil.copytree(settings.BASE_DIR, project, ignore=skip)
    locale = project / "locale"
    # makemessages writes next to the files it reads (it finds ./locale itself), hence the copy.
    monkeypatch.chdir(project)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [locale])
    extract_messages()
    return locale / "zh_Hans" / "LC_MESSAGES"


def _places(text: str, msgid: str) -> list[str]:
    """The '#:' reference lines above an entry, to tell the developer where the string is."""
    pattern = re.compile(r"((?:#: .*\n)+)(?:#.*\n)*msgid " + re.escape(f'"{msgid[:40]}'), re.MULTILINE)
    found = pattern.search(text)
    return found.group(1).replace("#: ", "").split() if found else []


def test_every_marked_string_has_a_chinese_translation(scratch_catalogue: Path):
    missing = []
    for po in sorted(scratch_catalogue.glob("*.po")):
        text = po.read_text(encoding="utf-8")
        for msgid in sorted(msgids(po, untranslated=True)):
            missing.append(f"{po.name}: {msgid!r} at {', '.join(_places(text, msgid)) or '?'}")
    assert not missing, "Untranslated (run manage.py update_translations, then translate):\n" + "\n".join(missing)


def test_the_committed_catalogue_is_current(scratch_catalogue: Path):
    """No translation is kept for a string the code no longer uses, so the catalogue stays honest."""
    committed = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
    for po in scratch_catalogue.glob("*.po"):
        fresh, kept = msgids(po), msgids(committed / po.name)
        assert kept <= fresh, f"{po.name} keeps strings no longer in the code: {sorted(kept - fresh)[:10]}"


def test_the_catalogues_compile_with_msgfmt_and_its_checks(tmp_path: Path):
    """Format strings and headers as GNU gettext checks them: a translation that drops a placeholder fails."""
    committed = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
    for po in sorted(committed.glob("*.po")):
        done = subprocess.run(
            ["msgfmt", "--check-format", "--check-domain", "-o", str(tmp_path / "out.mo"), str(po)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
