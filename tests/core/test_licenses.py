"""The ``license_url`` filter links a Creative Commons license to the deed of exactly its version, and
anything else to nothing."""
from core.templatetags.licenses import license_url


def test_a_cc_license_links_to_the_deed_of_its_own_version():
    assert license_url("CC BY-SA 2.5") == "https://creativecommons.org/licenses/by-sa/2.5/"
    assert license_url(" cc by-sa 3.0 ") == "https://creativecommons.org/licenses/by-sa/3.0/"
    assert license_url("CC BY 4.0") == "https://creativecommons.org/licenses/by/4.0/"
    assert license_url("CC BY-NC-ND 4.0") == "https://creativecommons.org/licenses/by-nc-nd/4.0/"


def test_any_other_license_gets_no_link():
    for name in ("", None, "© the author, quoted with credit", "CC BY-SA", "CC BY-SA 4.0 or later", "MIT", "CC0 1.0"):
        assert license_url(name) == ""
