"""Contact masking: phone numbers found by libphonenumber in the site's region, never dates."""
from __future__ import annotations

import pytest

from core.masking import mask_contacts

HIDDEN = "[phone hidden]"


@pytest.mark.parametrize("text", [
    "Published (2017-10-28)",
    "valid until 29.09.2014",
    "on 10/28/2017 the plug reset",
    "brewed 2014-2017",
    "at 12:30 - 14:45",
    "router at 192.168.1.254",
    "firmware 2.4.1234567",
    "error 80070005 on setup",
    "order 4471 shipped",
    "seed 1234567890 and slot 41234567",
    "see https://example.com/t/4155552671/",
    "<pre><code>-rwxr-xr-x 1 dk staff 163916416 Sep 11:48 cardano-cli</code></pre>",
])
def test_dates_versions_ids_and_code_are_never_masked(text):
    assert mask_contacts(text) == text


@pytest.mark.parametrize("text, masked", [
    ("call 4444 5555", f"call {HIDDEN}"),
    ("Call me on +44 20 7946 0958 tonight", f"Call me on {HIDDEN} tonight"),
    ("Reach us at (415) 555-2671.", f"Reach us at {HIDDEN}."),
    ("Tel: 212-555-0123", f"Tel: {HIDDEN}"),
    ("phone: 4155552671", f"phone: {HIDDEN}"),
    ("The Abbey's phone is (+32) (0)57 40 03 77.", f"The Abbey's phone is {HIDDEN}."),
])
def test_phone_numbers_are_masked(text, masked):
    assert mask_contacts(text) == masked


def test_the_default_region_decides_how_local_numbers_read(settings):
    text = "Our office: 020 7946 0958"
    settings.PHONE_DEFAULT_REGION = "US"
    assert mask_contacts(text) == text
    settings.PHONE_DEFAULT_REGION = "GB"
    assert mask_contacts(text) == f"Our office: {HIDDEN}"
    assert mask_contacts(text, region="US") == text


def test_emails_are_still_masked():
    assert mask_contacts("write to maya.okafor@example.com") == "write to [email hidden]"


def test_a_region_libphonenumber_does_not_know_stops_start_up(monkeypatch):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], capture_output=True, text=True,
                            env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "config.settings",
                                 "PHONE_DEFAULT_REGION": "XX"})
    assert result.returncode != 0 and "PHONE_DEFAULT_REGION='XX' is not a region" in result.stderr
