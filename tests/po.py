"""The msgids of a gettext catalogue, read with GNU gettext's own tool (msgattrib).

Keys follow gettext: ``context\\x04msgid`` with a context, ``msgid\\0msgid_plural`` for plurals.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

ENTRY = re.compile(r'^(?:msgctxt (".*")\n)?msgid (".*")\n(?:msgid_plural (".*")\n)?', re.MULTILINE)


def msgids(po: Path, *, untranslated: bool = False) -> set[str]:
    """Every entry's key (without the header); with ``untranslated``, only those without a usable translation."""
    if untranslated:  # empty or fuzzy, as msgfmt leaves them out
        text = _tool("msgattrib", "--untranslated", po) + _tool("msgattrib", "--only-fuzzy", po)
    else:
        text = _tool("msgattrib", po)
    keys = set()
    for context, msgid, plural in ENTRY.findall(text):
        key = ast.literal_eval(msgid)
        if plural:
            key = f"{key}\0{ast.literal_eval(plural)}"
        if context:
            key = f"{ast.literal_eval(context)}\x04{key}"
        if key:
            keys.add(key)
    return keys


def _tool(name: str, *args: str | Path) -> str:
    command = [name, "--no-wrap", "--no-location", "--no-obsolete", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout
