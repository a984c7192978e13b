import gettext
import io

import pytest
from django.core.management.base import CommandError

from elicitation.management.commands.compile_translations import parse_po, write_mo

PO = r"""
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=1; plural=0;\n"

#: templates/x.html:1
msgid "Submit my answers"
msgstr "提交我的答案"

msgctxt "scale end"
msgid "Very high"
msgstr "非常高"

msgid "one rating"
msgid_plural "%(n)s ratings"
msgstr[0] "%(n)s 个评分"

#, fuzzy
msgid "Not sure yet"
msgstr "尚不确定"

msgid "Untranslated"
msgstr ""

msgid ""
"Long "
"text"
msgstr ""
"长"
"文本"
"""


def catalogue() -> gettext.GNUTranslations:
    return gettext.GNUTranslations(io.BytesIO(write_mo(parse_po(PO))))


def test_the_compiled_catalogue_translates_as_gettext_reads_it():
    translations = catalogue()
    assert translations.gettext("Submit my answers") == "提交我的答案"
    assert translations.pgettext("scale end", "Very high") == "非常高"
    assert translations.ngettext("one rating", "%(n)s ratings", 3) == "%(n)s 个评分"
    assert translations.gettext("Long text") == "长文本"


def test_fuzzy_and_untranslated_entries_fall_back_to_the_source_text():
    translations = catalogue()
    assert translations.gettext("Not sure yet") == "Not sure yet"
    assert translations.gettext("Untranslated") == "Untranslated"


def test_a_malformed_line_is_reported_with_its_line_number():
    with pytest.raises(CommandError, match=r"x.po:3: cannot read"):
        parse_po('msgid "a"\nmsgstr "b"\nmsgstr oops\n', path="x.po")


def test_a_fuzzy_header_is_kept_as_msgfmt_does():
    """makemessages marks a new catalogue's header fuzzy; without it the charset is lost and
    every non-ASCII msgid fails to load."""
    po = (
        '#, fuzzy\nmsgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Use “x”"\nmsgstr "用“x”"\n'
    )
    catalog = parse_po(po)
    assert "charset=UTF-8" in catalog[""]
    translations = gettext.GNUTranslations(io.BytesIO(write_mo(catalog)))
    assert translations.gettext("Use “x”") == "用“x”"
