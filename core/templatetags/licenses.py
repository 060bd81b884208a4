"""``{{ name|license_url }}``: the deed of a Creative Commons license named as sources give it ("CC BY-SA 2.5")."""
import re

from django import template

register = template.Library()

_CC = re.compile(r"CC (BY(?:-(?:SA|NC|ND))*) (\d\.\d)", re.IGNORECASE)


@register.filter
def license_url(name: str) -> str:
    """The creativecommons.org deed of exactly that license and version, or "" for any other name: a post
    under CC BY-SA 2.5 must not be credited with a link to 4.0."""
    found = _CC.fullmatch((name or "").strip())
    return f"https://creativecommons.org/licenses/{found[1].lower()}/{found[2]}/" if found else ""
