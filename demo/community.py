"""Load the demo community written by the team (``fixtures/demo/community/*.json``).

Idempotent: threads are keyed by their fixture id, so loading twice changes nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils.dateparse import parse_datetime

from community.models import Comment, Post, PostRevision, Tag, Thread, User
from community.rendering import content_hash
from community.roles import ADMIN, AGENT, CUSTOMER, EDITOR, MEMBER, role_assign
from community.services import source_community

DEMO_PASSWORD = "hearthlink-demo"
ROLE_USERS = [
    ("casey", "Casey Customer", [CUSTOMER]),
    ("morgan", "Morgan Member", [CUSTOMER, MEMBER]),
    ("avery", "Avery Agent", [CUSTOMER, MEMBER, AGENT]),
    ("emery", "Emery Editor", [CUSTOMER, MEMBER, EDITOR]),
    ("admin", "Site Admin", [CUSTOMER, MEMBER, ADMIN]),
]


@dataclass
class LoadStats:
    topics: int = 0
    questions: int = 0
    answers: int = 0
    created: int = 0


def _dt(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"bad date {value!r}")
    return parsed


def _member(username: str, cache: dict[str, User]) -> User:
    if username not in cache:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@members.hearthlink.example"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            role_assign(user=user, role=CUSTOMER)
            role_assign(user=user, role=MEMBER)
        cache[username] = user
    return cache[username]


def demo_users_create() -> list[tuple[str, str, list[str]]]:
    """One account per role, all with ``DEMO_PASSWORD``."""
    for username, name, roles in ROLE_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@hearthlink.example", "display_name": name}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        for role in roles:
            role_assign(user=user, role=role)
    return ROLE_USERS


@transaction.atomic
def demo_community_load(*, directory: Path) -> LoadStats:
    """Create the topics (tags), members, questions, answers and comments of the demo."""
    files = sorted(directory.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no demo topic files (*.json) in {directory}")
    stats = LoadStats()
    source = source_community()
    users: dict[str, User] = {}
    reputation: dict[int, int] = {}
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        topic = data["topic"]
        Tag.objects.update_or_create(
            name=topic["slug"], defaults={"description": topic["description"], "topic": topic["name"]}
        )
        stats.topics += 1
        for q in data["questions"]:
            stats.questions += 1
            stats.answers += len(q["answers"])
            if Thread.objects.filter(source=source, external_id=q["id"]).exists():
                continue
            stats.created += 1
            author = _member(q["author"], users)
            created = _dt(q["created"])
            answers = q["answers"]
            last = max([created] + [_dt(a["created"]) for a in answers])
            accepted = next((i for i, a in enumerate(answers) if a.get("accepted")), None)
            thread = Thread.objects.create(
                source=source, external_id=q["id"], title=q["title"], author=author,
                author_name=author.public_name, created_at=created, last_activity_at=last,
                score=q.get("votes", 0), view_count=q.get("views", 0), answer_count=len(answers),
                license="CC BY-SA 4.0", accepted_post_external_id=f"{q['id']}-a{accepted}" if accepted is not None else "",
            )
            names = [t for t in q["tags"]]
            Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
            thread.tags.set(Tag.objects.filter(name__in=names))
            question = Post.objects.create(
                thread=thread, external_id=f"{q['id']}-q", is_question=True, author=author,
                author_name=author.public_name, body=q["body"], created_at=created, score=q.get("votes", 0),
                license=thread.license, content_hash=content_hash(q["title"], q["body"]),
            )
            PostRevision.objects.create(post=question, number=1, editor=author, editor_name=author.public_name,
                                        title=q["title"], body=q["body"], tags=" ".join(names), created_at=created)
            reputation[author.pk] = reputation.get(author.pk, 0) + 5 * q.get("votes", 0)
            _comments(question, q.get("comments", []), users)
            for i, a in enumerate(answers):
                answerer = _member(a["author"], users)
                post = Post.objects.create(
                    thread=thread, external_id=f"{q['id']}-a{i}", author=answerer,
                    author_name=answerer.public_name, body=a["body"], created_at=_dt(a["created"]),
                    score=a.get("score", 0), is_accepted=bool(a.get("accepted")), license=thread.license,
                    content_hash=content_hash(a["body"]),
                )
                PostRevision.objects.create(post=post, number=1, editor=answerer, editor_name=answerer.public_name,
                                            body=a["body"], created_at=post.created_at)
                gained = 10 * a.get("score", 0) + (15 if a.get("accepted") and answerer != author else 0)
                reputation[answerer.pk] = reputation.get(answerer.pk, 0) + gained
                _comments(post, a.get("comments", []), users)
    for user_id, points in reputation.items():
        User.objects.filter(pk=user_id).update(reputation=max(points, 1), approved_posts=10)
    return stats


def _comments(post: Post, comments: list[dict], users: dict[str, User]) -> None:
    for j, c in enumerate(comments):
        who = _member(c["author"], users)
        Comment.objects.create(post=post, external_id=f"{post.external_id}-c{j}", author=who,
                               author_name=who.public_name, body=c["body"][:2000], created_at=_dt(c["created"]))
