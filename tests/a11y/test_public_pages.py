"""WCAG 2.2 A/AA audit (axe-core) of the pages anyone can reach, in both languages."""

from __future__ import annotations

import pytest

from tests.a11y.axe import audit, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_login_page_has_no_serious_accessibility_violations(live_server, browser_page, console_log, language):
    browser_page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    browser_page.goto(f"{live_server.url}/accounts/login/")
    assert browser_page.locator("html").get_attribute("lang") == language
    violations = audit(browser_page)
    assert not violations, describe(violations)
    assert console_log.errors == []


def test_the_audit_reports_a_known_violation(browser_page):
    """The audit can fail: an unlabelled button and a field without a label are caught."""
    page = '<html lang="en"><title>t</title><body><main><button></button><input></main></body></html>'
    browser_page.set_content(page)
    ids = {violation["id"] for violation in audit(browser_page)}
    assert {"button-name", "label"} <= ids


def test_the_audit_fails_on_moderate_violations_too(browser_page):
    """A page whose lang and xml:lang disagree is a moderate WCAG 3.1.1 finding (html-xml-lang-mismatch): it counts."""
    page = '<html lang="en" xml:lang="fr"><title>t</title><body><main><p>Hello</p></main></body></html>'
    browser_page.set_content(page)
    found = {violation["id"]: violation["impact"] for violation in audit(browser_page)}
    assert found == {"html-xml-lang-mismatch": "moderate"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_accessibility_statement_is_itself_accessible(live_server, browser_page, console_log, language):
    browser_page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    browser_page.goto(f"{live_server.url}/accessibility/")
    assert browser_page.locator("h1").count() == 1
    violations = audit(browser_page)
    assert not violations, describe(violations)
    assert console_log.errors == []


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_new_link_request_page_is_accessible_with_and_without_errors(
    live_server, browser_page, console_log, language
):
    browser_page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    browser_page.goto(f"{live_server.url}/e/new-link/")
    assert browser_page.locator("html").get_attribute("lang") == language
    violations = audit(browser_page)
    assert not violations, describe(violations)
    browser_page.fill("input[name=email]", "not an address")
    browser_page.locator("form button[type=submit]").last.click()
    browser_page.wait_for_load_state()
    assert browser_page.locator(".errorlist").count() == 1  # the form came back with its error
    violations = audit(browser_page)
    assert not violations, describe(violations)
    assert [error for error in console_log.errors if "status of 400" not in error] == []  # the page's own 400
