"""Settings as a fresh process reads them: start-up refuses bad configuration, and deploy checks pass."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests for Playwright, never in deployment.
    dropped = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_URL"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_names_a_malformed_variable_at_start_up():
    result = run_manage("check", DEBUG="0", SECRET_KEY="x" * 50, DB_CONN_MAX_AGE="forever")
    assert result.returncode != 0
    assert "DB_CONN_MAX_AGE must be a whole number" in result.stderr


def test_deploy_checks_pass_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        HTTPS="1",
        SECRET_KEY="a-long-random-production-secret-" + "k3y" * 12,
        ALLOWED_HOSTS="coopsurvey.example.org",
        SITE_URL="https://coopsurvey.example.org",
        EMAIL_URL=SMTP,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


SMTP = "smtp://coopsurvey:secret@mail.example.org:587?tls=1"
PRODUCTION = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "a-long-random-production-secret-" + "k3y" * 12,
    "ALLOWED_HOSTS": "coopsurvey.example.org",
    "SITE_URL": "https://coopsurvey.example.org",
}


def test_production_refuses_to_start_when_emails_would_only_be_printed():
    """The issue: with EMAIL_URL unset and DEBUG=0, invitations (and their links) went to the worker's stdout."""
    for email in ({}, {"EMAIL_URL": "console://"}):
        result = run_manage("check", **PRODUCTION, **email)
        assert result.returncode != 0
        assert "EMAIL_URL is unset or console:// with DEBUG off" in result.stderr
        assert "EMAIL_CONSOLE_ALLOWED=1" in result.stderr


def test_console_email_asked_for_starts_and_the_deploy_check_says_so():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, EMAIL_CONSOLE_ALLOWED="1")
    assert result.returncode != 0  # a warning fails the deploy check, as CI runs it
    assert "coopsurvey.W001" in result.stderr + result.stdout
    assert "Emails are printed to the console, not sent" in result.stderr + result.stdout
    assert run_manage("check", **PRODUCTION, EMAIL_CONSOLE_ALLOWED="1").returncode == 0  # it does start


def test_the_deploy_check_warns_when_emails_are_kept_in_memory():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, EMAIL_URL="locmem://")
    assert result.returncode != 0
    assert "coopsurvey.W002" in result.stderr + result.stdout


def test_development_prints_emails_without_asking():
    assert run_manage("check", DEBUG="1").returncode == 0
