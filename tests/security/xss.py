"""Stored-XSS payloads, and an HTML check that none of them became markup."""

from __future__ import annotations

from html.parser import HTMLParser

# Tag, a closing-quote breakout, an event handler, an SVG handler, template syntax, a javascript: URL.
TEMPLATE_MARKER = "tpl{{7*7}}"
BREAKOUTS = (
    '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    f"'><svg onload=alert(1)>{TEMPLATE_MARKER} javascript:alert(1)"
)
RAW_FRAGMENTS = ("<script>alert", "<img src=x", "<svg onload", "onerror=alert(1)>")
ESCAPED_TEXT_SIGNS = ("&lt;", "&gt;", "&quot;", "&#x27;", "&#39;", "&amp;")


def payload(tag: str) -> str:
    """A payload tagged with the field it went into, so a finding names its source."""
    return f"{tag}{BREAKOUTS}"


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not (attributes.get("src") or "").startswith("/static/"):
                self.findings.append(f"<script> without a same-origin src: {attrs}")
        if tag in {"img", "svg"} and (attributes.get("src") == "x" or "onload" in attributes):
            self.findings.append(f"injected <{tag}>: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"event handler {name}={value!r} on <{tag}>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.findings.append(f"javascript: URL in {name} of <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.findings.append(f"inline script content: {data[:80]!r}")


def html_findings(html: str) -> list[str]:
    """Every sign that a payload was interpreted as markup or a template, not shown as text."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    findings = finder.findings
    findings += [f"raw fragment {fragment!r}" for fragment in RAW_FRAGMENTS if fragment in html]
    if "tpl49" in html:
        findings.append("template syntax was evaluated")
    return findings


def text_findings(text: str) -> list[str]:
    """A plain-text part must show the payload as written: HTML-escaped entities there are a bug too."""
    findings = [f"HTML entity {sign!r} in plain text" for sign in ESCAPED_TEXT_SIGNS if sign in text]
    if "tpl49" in text:
        findings.append("template syntax was evaluated")
    return findings
