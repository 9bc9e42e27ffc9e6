"""The Japanese catalogue covers every string, and the compiled catalogue matches it."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="needs gettext (scripts/ensure-system-deps)"
)
def test_every_string_in_code_and_templates_has_a_japanese_translation(tmp_path):
    # makemessages rewrites the catalogue in place, so run it on a copy of the project.
    for name in ("aizuchi", "config", "locale"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-obsolete", "--no-location"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 0, result.stderr
    catalogue = polib.pofile(str(tmp_path / "locale" / "ja" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in catalogue.untranslated_entries()] + [
        e.msgid for e in catalogue.fuzzy_entries()
    ]
    assert not missing, (
        "Missing Japanese translations (run `make messages` and translate):\n" + "\n".join(missing)
    )


def test_compiled_catalogue_matches_the_source():
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
        for e in polib.pofile(str(PO)).translated_entries()
    }
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(MO)) if e.msgid
    }
    assert compiled == source, "locale/ja/LC_MESSAGES/django.mo is stale: run `make messages`"
