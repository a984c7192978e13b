"""WCAG 2.2 A/AA audit (axe-core) of the sign-in pages of issue 20, in both languages: the log-in page
with an institution's button, setting up an authenticator app, the two-factor page, and the code
page with its error."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from coopsurvey.env import oidc_socialaccount_settings
from tests.a11y.axe import audit, describe
from tests.core.totp import totp_code
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"
PROVIDER = {
    "id": "uni",
    "name": "University of Testing",
    "client_id": "c",
    "secret": "s",
    "server_url": "https://login.uni.example",
    "link_by_email": True,
}


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form:has(#id_password) button[type=submit]").click()
    page.wait_for_load_state()


def assert_accessible(page) -> None:
    violations = audit(page)
    assert not violations, f"{page.url}: {describe(violations)}"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_sign_in_pages_are_accessible(live_server, browser_page, console_log, settings, language):
    settings.OIDC_PROVIDERS = [PROVIDER]
    settings.SOCIALACCOUNT_PROVIDERS = oidc_socialaccount_settings([PROVIDER])
    make_user("alice")
    secret = generate_totp_secret()
    TOTP.activate(make_user("bob"), secret)
    page = browser_page
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])

    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("main form button").count() == 2  # the institution's button and the password form's
    assert_accessible(page)

    log_in(page, live_server, "alice")
    for path in (
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        "/accounts/reauthenticate/",
        "/accounts/institution/",
        "/accounts/institution/login/cancelled/",
        "/accounts/institution/login/error/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page)
    page.locator("header form[action='/accounts/logout/'] button").click()
    page.wait_for_load_state()

    log_in(page, live_server, "bob")
    assert page.url.endswith("/accounts/2fa/authenticate/")
    assert_accessible(page)
    page.fill("input[name=code]", "000000")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("main .errorlist").count() >= 1
    assert_accessible(page)

    # A coordinator signed in with a code: recovery codes, removing the app, confirming with a code.
    page.fill("input[name=code]", totp_code(secret, time.time()))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/accounts/2fa/authenticate/" not in page.url
    page.goto(f"{live_server.url}/accounts/2fa/recovery-codes/generate/")
    assert_accessible(page)
    page.locator("main form button[type=submit]").first.click()  # codes exist from here on
    page.wait_for_load_state()
    for path in (
        "/accounts/2fa/recovery-codes/",
        "/accounts/2fa/totp/deactivate/",
        "/accounts/2fa/reauthenticate/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == language, path
        assert_accessible(page)
    assert console_log.errors == []
