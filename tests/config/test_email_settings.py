"""Outgoing mail settings: ``EMAIL_URL`` (or Django's ``EMAIL_*``), strict, and the console by default
so nothing leaves the machine."""
from __future__ import annotations

import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.config.conftest import REPO

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def settings_with(bare_env):
    def run(**env: str) -> dict:
        for name, value in env.items():
            bare_env.setenv(name, value)
        return runpy.run_path(str(REPO / "config" / "settings.py"))

    return run


def test_by_default_mail_is_printed_not_sent(settings_with):
    settings = settings_with()
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["DEFAULT_FROM_EMAIL"] == "Hearthlink Help <help@localhost>"
    assert settings["SITE_URL"] == "http://localhost:8000" and settings["INBOUND_EMAIL_SECRET"] == ""


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mailer:p%40ss%3Aword@mail.example.com:587?tls=true&timeout=12.5",
     {"EMAIL_BACKEND": SMTP, "EMAIL_HOST": "mail.example.com", "EMAIL_PORT": 587, "EMAIL_HOST_USER": "mailer",
      "EMAIL_HOST_PASSWORD": "p@ss:word", "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False, "EMAIL_TIMEOUT": 12.5}),
    ("smtp://relay.internal", {"EMAIL_HOST": "relay.internal", "EMAIL_PORT": 25, "EMAIL_USE_TLS": False,
                               "EMAIL_HOST_USER": "", "EMAIL_TIMEOUT": None}),
    ("smtps://u:p@mail.example.com", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False}),
    ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
    ("file:///var/mail/gleaner", {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                                  "EMAIL_FILE_PATH": "/var/mail/gleaner"}),
    ("locmem://", {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
])
def test_email_url_sets_djangos_settings(settings_with, url, expected):
    settings = settings_with(EMAIL_URL=url)
    assert {name: settings[name] for name in expected} == expected


def test_the_standard_email_settings_work_without_a_url(settings_with):
    settings = settings_with(EMAIL_HOST="mail.example.com", EMAIL_PORT="587", EMAIL_USE_TLS="true",
                             EMAIL_HOST_USER="mailer", EMAIL_HOST_PASSWORD="secret")
    assert (settings["EMAIL_BACKEND"], settings["EMAIL_HOST"], settings["EMAIL_PORT"], settings["EMAIL_USE_TLS"]) == (
        SMTP, "mail.example.com", 587, True)


@pytest.mark.parametrize(("env", "message"), [
    ({"EMAIL_URL": "sendgrid://key@api"}, "EMAIL_URL must start with one of smtp://, smtps://, console://"),
    ({"EMAIL_URL": "smtp://:25"}, "EMAIL_URL: an SMTP URL needs a host"),
    ({"EMAIL_URL": "smtp://mail.example.com:99999"}, "EMAIL_URL is not a valid e-mail URL"),
    ({"EMAIL_URL": "smtp://mail.example.com?ssl=1"}, "EMAIL_URL: unknown parameter ssl for smtp://"),
    ({"EMAIL_URL": "smtp://mail.example.com?tls=maybe"}, "EMAIL_URL: tls='maybe' is not a boolean"),
    ({"EMAIL_URL": "smtp://mail.example.com?timeout=0"}, "EMAIL_URL: timeout=0.0 must be above 0"),
    ({"EMAIL_URL": "file://"}, "EMAIL_URL: give the folder for mail files"),
    ({"EMAIL_URL": "smtp://a", "EMAIL_HOST": "b"}, "EMAIL_URL and EMAIL_HOST are both set"),
    ({"EMAIL_HOST": "b", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "EMAIL_USE_TLS and EMAIL_USE_SSL are both on"),
    ({"DEFAULT_FROM_EMAIL": "Support"}, "DEFAULT_FROM_EMAIL='Support' is not an address"),
    ({"SITE_URL": "help.example.com"}, "SITE_URL='help.example.com': use the site's scheme and host"),
    ({"REPLY_DOMAIN": "reply example"}, "REPLY_DOMAIN='reply example' is not a domain name"),
    ({"INBOUND_EMAIL_SECRET": "short"}, "INBOUND_EMAIL_SECRET is too short"),
    ({"MAIL_RATE_PER_RECIPIENT": "many"}, "MAIL_RATE_PER_RECIPIENT='many' is not a rate"),
])
def test_a_bad_mail_setting_stops_start_up_naming_it(settings_with, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        settings_with(**env)


def test_the_password_never_appears_in_an_error(settings_with):
    with pytest.raises(ImproperlyConfigured) as refused:
        settings_with(EMAIL_URL="smtp://user:hunter2-secret@mail.example.com?bogus=1")
    assert "hunter2" not in str(refused.value)
