"""Accessibility audits with axe-core in a real browser.

axe-core is installed from the npm registry at test time (``npm ci`` against the pinned
package-lock.json beside this file, which carries its integrity hash) and evaluated in the page by
Playwright. Evaluation goes through the DevTools protocol, so the app's Content Security Policy
stays as strict as in production: no inline script is added to the page.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
AXE_FILE = HERE / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: the standard the expert pages and dashboard promise.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Moderate findings fail too (issue 20): only "minor" ones (best practice, not conformance) are let through.
BLOCKING_IMPACTS = {"moderate", "serious", "critical"}


@cache
def axe_source() -> str:
    if not AXE_FILE.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install axe-core for the accessibility audits")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=300)
    return AXE_FILE.read_text(encoding="utf-8")


def audit(page: Any, *, context: str = "document") -> list[dict[str, Any]]:
    """Run axe on the page and return the moderate, serious and critical WCAG A/AA violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "async ([context, tags]) => await axe.run(context === 'document' ? document : context,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        [context, WCAG_TAGS],
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and node, to read in a failing assertion."""
    lines = []
    for violation in violations:
        for node in violation["nodes"][:5]:
            lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {node['target']}")
    return "\n".join(lines)
