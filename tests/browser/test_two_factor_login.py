"""A coordinator sets up an authenticator app and logs in with a code, in Chromium, in both languages."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator

from tests.core.totp import totp_code
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"


def fresh_code(secret: str, used: set[str]) -> str:
    """The current code, waiting for the next 30 s step if this one was used already (codes are single-use)."""
    while (code := totp_code(secret, time.time())) in used:
        time.sleep(1)
    used.add(code)
    return code


def log_in_with_password(page, live_server) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_enrol_then_log_in_with_a_code(browser_page, live_server, console_log):
    user = make_user("alice")
    page = browser_page
    used: set[str] = set()
    log_in_with_password(page, live_server)
    assert page.url.endswith("/")  # the study list: no second factor yet

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Two-factor authentication").click()
    page.goto(live_server.url + "/accounts/2fa/totp/activate/")
    assert page.locator("main img[src^='data:image/svg+xml']").count() == 1  # the QR code, served inline
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", fresh_code(secret, used))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    page.locator("header form[action='/accounts/logout/'] button").click()
    page.wait_for_url("**/accounts/login/")

    page.select_option("#language-select", "zh-hans")
    page.locator("form.language-switch button").click()
    log_in_with_password(page, live_server)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    assert "双因素身份认证" in page.content()  # allauth's own Chinese, in the site's layout
    page.fill("input[name=code]", "000000")
    page.locator("main form button[type=submit]").first.click()
    assert page.locator("main .errorlist").count() >= 1  # the code was refused, said on the page
    assert page.url.endswith("/accounts/2fa/authenticate/")

    page.fill("input[name=code]", fresh_code(secret, used))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_text("alice").count() >= 1
    assert not console_log.errors
