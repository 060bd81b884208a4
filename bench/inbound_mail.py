"""How well inbound replies lose their quoted history, and how fast they parse, on real text.

Usage: python bench/inbound_mail.py DUMP_DIR [--limit 2000]

Real customer replies are not in the shared data, so real question-and-answer text stands
in for them: each answer of a Stack Exchange dump is the customer's new text and its
question the mail being answered. Every pair is written as three real-shaped replies
(``support.engine.inbound_mail`` is the parser under test):

- **gmail**: text/plain, the new text, a ``-- `` signature, "On <date> <name> <address>
  wrote:" wrapped over two lines, the question quoted with ``>``;
- **outlook**: quoted-printable windows-1252, the new text, then a "From: / Sent: / To: /
  Subject:" block and the question unquoted;
- **html**: HTML only, the answer's own HTML, then the question in a Gmail quote
  (``div.gmail_quote`` > ``blockquote``).

A reply is **kept whole** when what the parser returns equals the new text (whitespace
aside), and **leaks** when some of the question's text is left in it (an 8-word run the
answer itself does not contain). Cuts inside the new
text (an answer that itself contains "On … wrote:", a "From:"/"Sent:" pair, ``>`` lines
or a blockquote) show as "not kept whole" without a leak. Also the parse time per mail.
Prints a table, then one JSON object on the last line.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from support.engine.inbound_mail import Reply, parse_inbound  # noqa: E402
from support.engine.reply_address import reply_address  # noqa: E402

KEY = b"bench"
DOMAIN = "reply.example.com"


def pairs(dump: Path, limit: int) -> list[tuple[str, str, str]]:
    """``(question html, answer html, title)`` for the first ``limit`` answers with a question."""
    questions: dict[str, tuple[str, str]] = {}
    found = []
    for _, row in etree.iterparse(str(dump / "Posts.xml"), tag="row"):
        kind, body = row.get("PostTypeId"), row.get("Body") or ""
        if kind == "1":
            questions[row.get("Id")] = (body, row.get("Title") or "")
        elif kind == "2" and row.get("ParentId") in questions and body.strip():
            question, title = questions[row.get("ParentId")]
            found.append((question, body, title))
            if len(found) >= limit:
                break
        row.clear()
    return found


def _message(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Riley Park <riley@example.com>"
    message["To"] = to
    message["Subject"] = f"Re: [#7] {subject}"
    message["Message-ID"] = "<bench@example.com>"
    return message


def gmail(to: str, subject: str, new: str, quoted: str) -> bytes:
    message = _message(to, subject)
    quote = "\n".join(f"> {line}" if line else ">" for line in quoted.splitlines())
    message.set_content(f"{new}\n\n-- \nRiley Park\n\nOn Sat, Dec 5, 2026 at 10:14 AM Hearthlink Help <\n{to}> "
                        f"wrote:\n\n{quote}\n")
    return message.as_bytes()


def outlook(to: str, subject: str, new: str, quoted: str) -> bytes:
    message = _message(to, subject)
    body = (f"{new}\n\nFrom: Hearthlink Help <{to}>\nSent: Saturday, December 5, 2026 10:14 AM\n"
            f"To: Park, Riley <riley@example.com>\nSubject: [#7] {subject}\n\n{quoted}\n")
    try:
        message.set_content(body, charset="windows-1252", cte="quoted-printable")
    except UnicodeEncodeError:  # text outside windows-1252: Outlook sends UTF-8 then
        message.set_content(body, cte="quoted-printable")
    return message.as_bytes()


def html(to: str, subject: str, new_html: str, quoted_html: str) -> bytes:
    message = _message(to, subject)
    message.set_content(f"<div dir=\"ltr\">{new_html}</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">"
                        f"On Sat, Dec 5, 2026 at 10:14 AM Hearthlink Help &lt;{to}&gt; wrote:<br></div>"
                        f"<blockquote class=\"gmail_quote\">{quoted_html}</blockquote></div>", subtype="html")
    return message.as_bytes()


def full_text(fragment: str) -> str:
    """All the text of an HTML fragment, blockquotes included: what the writer wrote (the parser's
    ``html_to_text`` drops blockquotes, so it cannot be the yardstick)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "lxml")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(["p", "div", "li", "tr", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"]):
        block.insert_before("\n")
        block.insert_after("\n")
    lines = [" ".join(line.split()) for line in soup.get_text().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def squash(text: str) -> str:
    return " ".join(text.split())


def leaked(result: str, question: str) -> bool:
    """Any 8-word run of the question left in the result (shorter questions: the whole of it)."""
    words, got = question.split(), squash(result)
    if len(words) < 8:
        return bool(words) and " ".join(words) in got
    return any(" ".join(words[i:i + 8]) in got for i in range(0, len(words) - 7, 4))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", type=Path)
    parser.add_argument("--limit", type=int, default=2000)
    args = parser.parse_args()
    to = reply_address(7, key=KEY, domain=DOMAIN)
    found = pairs(args.dump, args.limit)
    results = {}
    for style in ("gmail", "outlook", "html"):
        whole = leaks = 0
        times = []
        for question_html, answer_html, title in found:
            question, answer = full_text(question_html), full_text(answer_html)
            if style == "html":
                raw, expected = html(to, title, answer_html, question_html), answer
            else:
                raw = (gmail if style == "gmail" else outlook)(to, title, answer, question)
                expected = answer
            start = time.perf_counter()
            reply = parse_inbound(raw, keys=[KEY], reply_domain=DOMAIN)
            times.append((time.perf_counter() - start) * 1000)
            assert isinstance(reply, Reply)
            whole += squash(reply.text) == squash(expected)
            leaks += leaked(reply.text, question) and not leaked(expected, question)  # not the answer quoting it
        n = len(found)
        results[style] = {"replies": n, "kept_whole": round(whole / n, 4), "leaked_quote": round(leaks / n, 4),
                          "parse_ms_p50": round(statistics.median(times), 3),
                          "parse_ms_p95": round(sorted(times)[int(0.95 * (n - 1))], 3)}
    print(f"{'style':<8} {'replies':>7} {'kept whole':>11} {'quote leaked':>13} {'p50 ms':>8} {'p95 ms':>8}")
    for style, r in results.items():
        print(f"{style:<8} {r['replies']:>7} {r['kept_whole']:>11.1%} {r['leaked_quote']:>13.1%} "
              f"{r['parse_ms_p50']:>8.2f} {r['parse_ms_p95']:>8.2f}")
    print(json.dumps({"dump": str(args.dump), **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
