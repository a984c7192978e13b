"""Compile every locale/*/LC_MESSAGES/*.po into .mo without GNU gettext.

Django's own `compilemessages` needs the `msgfmt` binary, which a fresh machine
may lack; this command does the same in Python, so the install step can build
the binaries and the repository keeps only the .po sources.
"""

from __future__ import annotations

import ast
import struct
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

Catalog = dict[str, str]


def parse_po(text: str, *, path: str = "<po>", keep_untranslated: bool = False) -> Catalog:
    """Entries of a .po file as {msgid (with context and plural joined as gettext does): msgstr}.

    Fuzzy and obsolete entries and untranslated ones are left out, as msgfmt does (with
    ``keep_untranslated`` the untranslated and fuzzy ones stay, with an empty msgstr, so a check
    can list them).
    """
    catalog: Catalog = {}
    entry: dict[str, Any] = {}
    section: tuple[str, int | None] | None = None
    fuzzy = False

    def finish() -> None:
        nonlocal entry, fuzzy
        # The header (msgid "") is kept even when marked fuzzy, as msgfmt does: it names the charset.
        if "msgid" in entry and (keep_untranslated or not fuzzy or entry["msgid"] == ""):
            key = entry["msgid"]
            if "msgid_plural" in entry:
                key = f"{key}\0{entry['msgid_plural']}"
                forms = [entry["msgstr"][i] for i in sorted(entry.get("msgstr", {}))]
                value = "\0".join(forms)
                translated = any(forms)
            else:
                value = entry.get("msgstr", {}).get(None, "")
                translated = bool(value)
            if "msgctxt" in entry:
                key = f"{entry['msgctxt']}\x04{key}"
            if fuzzy and key != "":
                value, translated = "", False
            if translated or key == "" or keep_untranslated:
                catalog[key] = value
        entry, fuzzy = {}, False

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#,") and "fuzzy" in line:
            if "msgid" in entry:
                finish()
            fuzzy = True
            continue
        if line.startswith("#"):
            continue
        try:
            if line.startswith("msgctxt "):
                if "msgid" in entry:
                    finish()
                section = ("msgctxt", None)
                entry["msgctxt"] = ast.literal_eval(line[8:])
            elif line.startswith("msgid_plural "):
                section = ("msgid_plural", None)
                entry["msgid_plural"] = ast.literal_eval(line[13:])
            elif line.startswith("msgid "):
                if "msgid" in entry:
                    finish()
                section = ("msgid", None)
                entry["msgid"] = ast.literal_eval(line[6:])
            elif line.startswith("msgstr["):
                index = int(line[7 : line.index("]")])
                section = ("msgstr", index)
                entry.setdefault("msgstr", {})[index] = ast.literal_eval(line[line.index("]") + 1 :].strip())
            elif line.startswith("msgstr "):
                section = ("msgstr", None)
                entry.setdefault("msgstr", {})[None] = ast.literal_eval(line[7:])
            elif line.startswith('"') and section is not None:
                name, form = section
                if name == "msgstr":
                    entry["msgstr"][form] += ast.literal_eval(line)
                else:
                    entry[name] += ast.literal_eval(line)
            else:
                raise ValueError("unexpected line")
        except (ValueError, SyntaxError) as exc:
            raise CommandError(f"{path}:{number}: cannot read this line ({exc})") from None
    finish()
    return catalog


def write_mo(catalog: Catalog) -> bytes:
    """The GNU .mo format: header, sorted original and translated string tables (no hash table)."""
    keys = sorted(catalog)
    ids = b"".join(k.encode("utf-8") + b"\0" for k in keys)
    strs = b"".join(catalog[k].encode("utf-8") + b"\0" for k in keys)
    count = len(keys)
    originals_at = 7 * 4
    translations_at = originals_at + count * 8
    data_at = translations_at + count * 8
    offsets_ids, offsets_strs = [], []
    position = data_at
    for key in keys:
        length = len(key.encode("utf-8"))
        offsets_ids += [length, position]
        position += length + 1
    for key in keys:
        length = len(catalog[key].encode("utf-8"))
        offsets_strs += [length, position]
        position += length + 1
    header = struct.pack("<7I", 0x950412DE, 0, count, originals_at, translations_at, 0, 0)
    return (
        header + struct.pack(f"<{2 * count}I", *offsets_ids) + struct.pack(f"<{2 * count}I", *offsets_strs) + ids + strs
    )


class Command(BaseCommand):
    help = "Compile the .po translation sources into .mo files (pure Python; no gettext tools needed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for base in map(Path, settings.LOCALE_PATHS):
            for po_path in sorted(base.glob("*/LC_MESSAGES/*.po")):
                catalog = parse_po(po_path.read_text(encoding="utf-8"), path=str(po_path.relative_to(base.parent)))
                po_path.with_suffix(".mo").write_bytes(write_mo(catalog))
                compiled += 1
        if not options["quiet"]:
            self.stdout.write(f"Compiled {compiled} translation catalogue(s).")
