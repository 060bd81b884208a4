from django import template
from django.utils.safestring import mark_safe

from community.rendering import render_body, render_markdown

register = template.Library()


@register.filter
def rendered(post) -> str:
    """A post's body as safe HTML (Markdown rendered, anything HTML sanitized by nh3)."""
    return mark_safe(render_body(post.body, post.body_format))  # noqa: S308 - sanitized by nh3


@register.filter
def markdown(text: str) -> str:
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitized by nh3


@register.simple_tag
def vote_of(votes: dict, post_id: int) -> int:
    return votes.get(post_id, 0)
