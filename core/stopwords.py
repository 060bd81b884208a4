"""The one stopword list: words that carry no topic in support questions (plain Python, no Django).

Search ranking, snippets and the ask form's similar-question fallback all drop these.
"""

# Kept short on purpose: "not", "no" and "off" are left in because "wifi not working"
# differs from "wifi working".
STOPWORDS = frozenset(
    """
    a about after again all also am an and any are as at be because been before being
    between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just
    me more most my myself of on once only or other our ours out over own same she should
    so some such than that the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself hi hello thanks thank please anyone someone help
    get got getting im ive dont cant doesnt isnt
    """.split()
)
