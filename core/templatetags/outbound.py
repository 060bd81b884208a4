"""``{% outbound_link url "label" %}``: a link to another site, or plain text when the address is not http(s)."""
from django import template
from django.utils.html import format_html

from core.outbound import is_web_url

register = template.Library()


@register.simple_tag
def outbound_link(url: str, label: str, css_class: str = "") -> str:
    if not url:
        return ""
    if is_web_url(url):
        return format_html('<a{} href="{}" rel="nofollow noopener">{}</a>',
                           format_html(' class="{}"', css_class) if css_class else "", url, label)
    return format_html('<span class="unlinked">{} ({})</span>', label, url)


@register.filter
def web_url(url: str) -> str:
    """``url`` when it is an http(s) address, else "" (for ``{{ x.url|web_url|default:… }}``)."""
    return url if is_web_url(url) else ""
