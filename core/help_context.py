"""Help-center context kept in the visitor's session: what they searched and which articles they read.

Search pages remember the terms, the article page the articles read; the contact
form sends them with the request (``support.services.contact_create``'s
``search_terms`` and ``viewed_article_ids``), so the agent sees what the customer
already tried. Only the last ``MAX_TERMS`` searches and ``MAX_ARTICLES`` articles
are kept, most recent last. It lives in the session, not the database: an
anonymous visitor has no account to attach it to, and it expires with the session.
"""
from __future__ import annotations

from dataclasses import dataclass, field

TERMS_KEY = "help_search_terms"
ARTICLES_KEY = "help_viewed_articles"
LAST_CONTACT_KEY = "help_last_contact"
TYPING_KEY = "help_last_term_typed"
MAX_TERMS = 10
MAX_ARTICLES = 10
MAX_TERM_LENGTH = 200
MIN_TERM_LENGTH = 2


@dataclass(frozen=True)
class HelpContext:
    terms: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)

    @property
    def last_term(self) -> str:
        return self.terms[-1] if self.terms else ""

    def __bool__(self) -> bool:
        return bool(self.terms or self.article_ids)


def _clean_term(term: str) -> str:
    return " ".join(str(term or "").split())[:MAX_TERM_LENGTH]


def _terms(session) -> list[str]:
    # The session is ours, but a stale or hand-edited one must not break the help center.
    value = session.get(TERMS_KEY)
    return [t for t in value if isinstance(t, str) and t] if isinstance(value, list) else []


def _article_ids(session) -> list[int]:
    value = session.get(ARTICLES_KEY)
    return [i for i in value if isinstance(i, int) and i > 0] if isinstance(value, list) else []


def search_term_remember(session, term: str, *, typing: bool = False) -> None:
    """Remember a search; a repeated one moves to the end.

    ``typing`` is for the as-you-type suggestions: "bea", "beac", "beacon amber"
    are one search, so a typed term that extends (or backs up from) the last typed
    one replaces it. A search sent from the results page is never replaced that way.
    """
    term = _clean_term(term)
    if len(term) < MIN_TERM_LENGTH:
        return
    terms = _terms(session)
    if typing and terms and session.get(TYPING_KEY):
        last = terms[-1].casefold()
        if term.casefold().startswith(last) or last.startswith(term.casefold()):
            terms.pop()
    terms = [t for t in terms if t.casefold() != term.casefold()]
    terms.append(term)
    session[TERMS_KEY] = terms[-MAX_TERMS:]
    session[TYPING_KEY] = typing


def article_remember(session, article_id: int) -> None:
    """Remember that the visitor read article ``article_id`` (a repeated read moves to the end)."""
    ids = [i for i in _article_ids(session) if i != int(article_id)]
    ids.append(int(article_id))
    session[ARTICLES_KEY] = ids[-MAX_ARTICLES:]


def help_context_read(session) -> HelpContext:
    return HelpContext(terms=_terms(session), article_ids=_article_ids(session))


def help_context_clear(session) -> None:
    """Forget the context once it went out with a contact: the next request starts afresh."""
    for key in (TERMS_KEY, ARTICLES_KEY, TYPING_KEY):
        session.pop(key, None)


def last_contact_remember(session, contact_id: int) -> None:
    """The confirmation page shows this contact, and only to the browser that sent it."""
    session[LAST_CONTACT_KEY] = int(contact_id)


def last_contact_id(session) -> int | None:
    value = session.get(LAST_CONTACT_KEY)
    return value if isinstance(value, int) else None


def session_key_ensure(session) -> str:
    """The session's key, creating the session first: anonymous votes and views are counted per session."""
    if not session.session_key:
        session.save()
    return session.session_key
