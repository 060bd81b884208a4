"""Human labels for what search results carry as codes (a result's source slug)."""
from django import template

from search.selectors import source_label as _source_label

register = template.Library()


@register.filter
def source_label(slug: str) -> str:
    """``hearthlink-stackexchange`` → "Hearthlink on Stack Exchange" (the source's name); ``kb`` → "Knowledge base"."""
    return _source_label(slug)


@register.filter
def label_from(name: str, labels: dict) -> str:
    """``name`` as ``labels`` (a view's ``{code: label}``) shows it, else ``name`` itself."""
    return (labels or {}).get(name, name)
