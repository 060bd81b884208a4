"""Clustering runs over the thread store: problem clusters, full and incremental, and demand.

The pure core is ``kb.engine.problems``: a question belongs to a problem cluster
only when it matches the cluster's lead question by the fitted join rule (or the
source closed it as a duplicate of the lead); membership is never decided through
a chain of neighbours. This module is the ORM edge around it:
- ``clusters_rebuild``: every visible thread clustered afresh; groups keep the id
  of the old cluster they continue (``match_clusters``), so drafts and editor work
  stay attached.
- ``clusters_update``: a new thread joins the cluster whose lead it matches (its
  duplicate link first); the rest form new candidates with earlier leftovers.
Duplicate links the sources hold (``Thread.duplicate_of``, a harvested thread's
``duplicate_of_external_id``, ``community.ThreadLink`` duplicates) count as
same-problem evidence. Editor decisions are never undone: frozen, dismissed and
merged clusters, and clusters whose article an editor has touched, are "locked"
(their members are left out of re-runs); pinned members never move. Topics, the
coarser level above (``kb.services.topics``), are recomputed after each run.
``Cluster.demand`` ranks the editors' queue (``kb.services.demand``).
"""
from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from community.models import Thread
from kb.engine.clustering.matching import match_clusters
from kb.engine.problems import (
    JoinRule,
    Membership,
    ProblemCluster,
    Question,
    candidate_pairs,
    problem_clusters,
    problem_join,
)
from kb.models import Article, ArticleVersion, Cluster, ClusterMember
from kb.question_vectors import answer_vectors, best_answers, question_vectors
from kb.selectors import duplicate_links, not_same_problem_pairs
from kb.services.demand import clusters_demand_update
from kb.services.drafts import article_draft_from_cluster
from kb.services.topics import topics_rebuild
from search.embeddings import get_embedder
from search.engine import Embedder
from search.engine.batches import chunks
from search.locks import index_write_lock

Progress = Callable[[str, int, int], None]  # (stage, done, total)
REASON_CHARS = 300


@dataclass
class ClusterReport:
    threads: int = 0
    embedded: int = 0
    clusters: int = 0  # clusters holding threads after the run
    candidates: int = 0  # of those, still without an article
    created: int = 0
    drafted: int = 0
    joined: int = 0
    held: int = 0  # new threads matching the lead of a frozen cluster, left for an editor
    removed: int = 0  # clusters that dissolved
    touched: list[int] = field(default_factory=list)


CLUSTERING_LOCK = ".clustering.lock"


def clustering_lock(*, blocking: bool = True):
    """The lock one clustering run holds across processes; yields False when busy and not ``blocking``."""
    return index_write_lock(blocking=blocking, name=CLUSTERING_LOCK)


def _clustering_lock(*, held: bool):
    # flock locks per open file: taking it again in the process that holds it would wait forever.
    return contextlib.nullcontext() if held else clustering_lock()


def _embedder(embedder: Embedder | None) -> Embedder:
    return embedder if embedder is not None else get_embedder()


def frozen_cluster_ids() -> set[int]:
    """Clusters an editor decided about: never joined, changed or re-used."""
    return set(Cluster.objects.filter(
        Q(frozen=True) | Q(status__in=[Cluster.Status.DISMISSED, Cluster.Status.MERGED])
    ).values_list("id", flat=True))


def locked_cluster_ids() -> set[int]:
    """Frozen clusters plus those whose article an editor has worked on (kept whole by full re-runs)."""
    locked = frozen_cluster_ids()
    worked = Article.objects.filter(cluster__isnull=False).filter(
        ~Q(status=Article.Status.DRAFT) | Q(versions__author__isnull=False)
    ).values_list("cluster_id", flat=True)
    return locked | set(worked)


def _memberships() -> dict[int, tuple[int, bool]]:
    return {t: (c, p) for t, c, p in ClusterMember.objects.values_list("thread_id", "cluster_id", "pinned")}


# --- same-problem evidence and the engine's input -----------------------------------------


def _questions(ids: list[int], vectors: dict[int, np.ndarray], *, with_answers: set[int], embedder: Embedder,
               links: dict[int, int]) -> dict[int, Question]:
    """The engine's ``Question`` for each id; the best answer is embedded only for ``with_answers``."""
    best = best_answers(thread_ids=with_answers)
    answer_vecs = answer_vectors(post_ids=best.values(), embedder=embedder) if best else {}
    rows = {pk: (score, title) for pk, score, title in Thread.objects.filter(pk__in=ids).values_list(
        "id", "score", "title")} if ids else {}
    accepted = set(Thread.objects.filter(pk__in=with_answers, posts__is_accepted=True).values_list("id", flat=True))
    return {
        pk: Question(pk, vectors[pk], answer_vecs.get(best.get(pk)), accepted=pk in accepted,
                     score=rows.get(pk, (0, ""))[0], duplicate_of=links.get(pk), title=rows.get(pk, (0, ""))[1])
        for pk in ids
    }


def _cluster_questions(ids: list[int], vectors: dict[int, np.ndarray], *, rule: JoinRule, min_size: int,
                       embedder: Embedder, links: dict[int, int]) -> list[ProblemCluster]:
    """Problem clusters among ``ids``. Only questions that can pass the rule on similarity (or by a
    duplicate link) need their best answer embedded, which is the costly part."""
    if len(ids) < 2:
        return []
    matrix = np.vstack([vectors[pk] for pk in ids]).astype(np.float32)
    rows = {row for i, j, _ in candidate_pairs(matrix, min_similarity=rule.min_similarity) for row in (i, j)}
    needed = {ids[i] for i in rows} | {t for t in ids if t in links} | set(links.values())
    questions = _questions(ids, vectors, with_answers=needed & set(ids), embedder=embedder, links=links)
    return problem_clusters([questions[pk] for pk in ids], rule=rule, min_size=min_size)


def _member(cluster_id: int, m: Membership) -> ClusterMember:
    return ClusterMember(cluster_id=cluster_id, thread_id=m.id, similarity=m.similarity, relation=m.relation,
                         reason=m.reason[:REASON_CHARS])


def clusters_refresh(cluster_ids: Iterable[int], *, vectors: dict[int, np.ndarray]) -> None:
    """Recompute size, sources, centroid, label and each member's similarity to the lead.

    Precondition: ``vectors`` holds a unit vector for every member thread
    (members without one count in size but not in the centroid). The label is
    the lead's title while the cluster has no article.
    """
    for chunk in chunks(sorted(set(cluster_ids)), 500):
        members = defaultdict(list)
        rows = ClusterMember.objects.filter(cluster_id__in=chunk).select_related("thread")
        for m in rows:
            members[m.cluster_id].append(m)
        updates, member_updates = [], []
        for cluster in Cluster.objects.filter(pk__in=chunk).select_related("lead"):
            ms = members.get(cluster.pk, [])
            cluster.size = len(ms)
            cluster.sources = len({m.thread.source_id for m in ms})
            with_vec = [m for m in ms if m.thread_id in vectors]
            if with_vec:
                mat = np.vstack([vectors[m.thread_id] for m in with_vec])
                centre = mat.mean(axis=0)
                centre /= np.linalg.norm(centre) or 1.0
                cluster.centroid = np.ascontiguousarray(centre, dtype="<f4").tobytes()
                lead = vectors.get(cluster.lead_id)
                if lead is not None:
                    for m, s in zip(with_vec, mat @ lead):
                        m.similarity = float(s)
                        member_updates.append(m)
            if cluster.lead is not None and not hasattr(cluster, "article"):
                cluster.label = cluster.lead.title[:500]
            updates.append(cluster)
        Cluster.objects.bulk_update(updates, ["size", "sources", "centroid", "label"])
        ClusterMember.objects.bulk_update(member_updates, ["similarity"], batch_size=1000)


def _create_clusters(groups: list[ProblemCluster]) -> list[int]:
    created = []
    for group in groups:
        cluster = Cluster.objects.create(status=Cluster.Status.CANDIDATE, lead_id=group.lead)
        ClusterMember.objects.bulk_create([_member(cluster.pk, m) for m in group.members])
        created.append(cluster.pk)
    return created


def _untouched_draft(article: Article) -> bool:
    """A draft no editor has changed yet: the clustering may rewrite or drop it."""
    return article.status == Article.Status.DRAFT and not ArticleVersion.objects.filter(
        article=article, author__isnull=False
    ).exists()


def _drop_empty(cluster_ids: Iterable[int], locked: set[int]) -> int:
    """Delete non-locked clusters left without members, with their untouched drafts."""
    removed = 0
    for cluster in Cluster.objects.filter(pk__in=list(cluster_ids), members__isnull=True).exclude(pk__in=locked):
        article = Article.objects.filter(cluster=cluster).first()
        if article is not None:
            if not _untouched_draft(article):
                continue
            article.delete()
        cluster.delete()
        removed += 1
    return removed


def _deleted(cluster_ids: set[int]) -> set[int]:
    return cluster_ids - set(Cluster.objects.filter(pk__in=cluster_ids).values_list("id", flat=True))


def _draft(cluster_ids: Iterable[int], *, frozen: set[int], min_size: int, report: ClusterReport,
           embedder: Embedder) -> None:
    for cluster in Cluster.objects.filter(pk__in=list(cluster_ids), size__gte=min_size).exclude(pk__in=frozen):
        article_draft_from_cluster(cluster=cluster, embedder=embedder)
        report.drafted += 1


def _finish(report: ClusterReport, *, touched: set[int], vectors, frozen, min_size, draft, progress,
            embedder: Embedder) -> ClusterReport:
    clusters_refresh(touched, vectors=vectors)
    if progress:
        progress("refresh", len(touched), len(touched))
    if draft:
        _draft(touched, frozen=frozen, min_size=min_size, report=report, embedder=embedder)
    clusters_demand_update(embedder=embedder)
    topics_rebuild()
    live = Cluster.objects.filter(size__gt=0).exclude(status=Cluster.Status.MERGED)
    report.clusters = live.count()
    report.candidates = live.filter(article__isnull=True).exclude(status=Cluster.Status.DISMISSED).count()
    report.touched = sorted(touched)
    return report


def clusters_rebuild(
    *, min_size: int | None = None, embedder: Embedder | None = None, progress: Progress | None = None,
    draft: bool = True, rule: JoinRule | None = None, lock_held: bool = False,
) -> ClusterReport:
    """Full run: cluster every visible thread into problem clusters again, keeping cluster ids and editor decisions.

    Waits for the clustering lock unless ``lock_held`` (the caller holds it already,
    as ``kb.services.cluster_queue`` does).

    Members of locked clusters (see ``locked_cluster_ids``) and pinned members
    are left out of the clustering and stay where they are. Every other group
    continues the old cluster it overlaps most (Jaccard ≥ 0.5) or becomes a new
    candidate; old clusters left empty are deleted with their untouched drafts.
    ``rule``: the join rule (default: the fitted one, ``kb/engine/fitted/problems.json``).
    """
    min_size = settings.KB_CLUSTER_MIN_SIZE if min_size is None else min_size
    rule = rule or JoinRule.fitted()
    embedder = _embedder(embedder)
    with _clustering_lock(held=lock_held):
        ids, matrix, embedded = question_vectors(embedder=embedder, progress=progress)
        report = ClusterReport(threads=len(ids), embedded=embedded)
        vectors = {pk: matrix[i] for i, pk in enumerate(ids)}
        with transaction.atomic():
            locked, frozen = locked_cluster_ids(), frozen_cluster_ids()
            current = _memberships()
            keep = {t for t, (c, pinned) in current.items() if pinned or c in locked}
            free = [pk for pk in ids if pk not in keep]
            old: dict[int, set[int]] = defaultdict(set)
            for t, (c, pinned) in current.items():
                if c not in locked and not pinned:
                    old[c].add(t)
            if progress:
                progress("cluster", 0, 1)
            links = {t: o for t, o in duplicate_links(free).items() if o not in keep}
            groups = _cluster_questions(free, vectors, rule=rule, min_size=min_size, embedder=embedder, links=links)
            if progress:
                progress("cluster", 1, 1)
            mapping = match_clusters(old, [set(g.ids) for g in groups], frozen=locked)
            groups, mapping = _without_refused(groups, mapping, not_same_problem_pairs())
            target = {m.id: (mapping[i], m) for i, g in enumerate(groups) for m in g.members}
            leaving = [t for t, (c, pinned) in current.items()
                       if c not in locked and not pinned and (target.get(t, (None,))[0] != c)]
            for chunk in chunks(leaving, 1000):
                ClusterMember.objects.filter(thread_id__in=chunk).delete()
            touched = {current[t][0] for t in leaving}
            same = [t for t, (cid, _) in target.items() if cid is not None and current.get(t, (None,))[0] == cid]
            staying = {m.thread_id: m for m in ClusterMember.objects.filter(thread_id__in=same)}
            updates = []
            for i, group in enumerate(groups):
                cid = mapping[i]
                if cid is None:
                    continue
                Cluster.objects.filter(pk=cid).update(lead_id=group.lead)
                joining = []
                for m in group.members:
                    row = staying.get(m.id)
                    if row is None:
                        joining.append(_member(cid, m))
                    else:
                        row.similarity, row.relation, row.reason = m.similarity, m.relation, m.reason[:REASON_CHARS]
                        updates.append(row)
                ClusterMember.objects.bulk_create(joining)
                if joining:
                    touched.add(cid)
            ClusterMember.objects.bulk_update(updates, ["similarity", "relation", "reason"], batch_size=1000)
            created = _create_clusters([g for i, g in enumerate(groups) if mapping[i] is None])
            report.created = len(created)
            touched |= set(created)
            report.removed = _drop_empty(touched, locked)
            touched -= _deleted(touched)
            return _finish(report, touched=touched, vectors=vectors, frozen=frozen, min_size=min_size,
                           draft=draft, progress=progress, embedder=embedder)


def _without_refused(groups: list[ProblemCluster], mapping: dict[int, int | None], refused: dict[int, set[int]]
                     ) -> tuple[list[ProblemCluster], dict[int, int | None]]:
    """Keep out of each continued cluster the questions an editor said are not its problem (they stay single
    this run); a group led by one becomes a new candidate instead of continuing that cluster."""
    if not refused:
        return groups, mapping
    groups, mapping = list(groups), dict(mapping)
    for i, group in enumerate(groups):
        cid = mapping.get(i)
        if cid is None:
            continue
        if cid in refused.get(group.lead, ()):
            mapping[i] = None
            continue
        groups[i] = ProblemCluster(group.lead, [m for m in group.members if cid not in refused.get(m.id, ())])
    return groups, mapping


def clusters_update(
    *, thread_ids: Iterable[int] | None = None, min_size: int | None = None, embedder: Embedder | None = None,
    progress: Progress | None = None, draft: bool = True, rule: JoinRule | None = None, lock_held: bool = False,
) -> ClusterReport:
    """Incremental run for new or changed threads (all unclustered visible threads when None).

    Waits for the clustering lock unless ``lock_held`` (the caller holds it already).

    A thread already in a cluster stays there unless it is no longer visible
    (then it leaves, unless the cluster is frozen or the member pinned). A new
    thread joins the cluster of the thread it was closed as a duplicate of, else
    the cluster whose lead question it matches by the join rule (the most
    similar such lead); if that cluster is frozen it is only counted as
    ``held``. The rest are clustered together with earlier leftovers into new
    candidates. A cluster a thread joins keeps its lead, so its redraft still
    answers the lead's problem.
    """
    min_size = settings.KB_CLUSTER_MIN_SIZE if min_size is None else min_size
    rule = rule or JoinRule.fitted()
    embedder = _embedder(embedder)
    with _clustering_lock(held=lock_held):
        ids, matrix, embedded = question_vectors(embedder=embedder, progress=progress)
        report = ClusterReport(threads=len(ids), embedded=embedded)
        vectors = {pk: matrix[i] for i, pk in enumerate(ids)}
        with transaction.atomic():
            frozen = frozen_cluster_ids()
            current = _memberships()
            asked = set(vectors) if thread_ids is None else {int(t) for t in thread_ids}
            gone = [t for t in asked if t not in vectors and t in current
                    and current[t][0] not in frozen and not current[t][1]]
            ClusterMember.objects.filter(thread_id__in=gone).delete()
            touched = {current[t][0] for t in gone}
            unplaced = [pk for pk in ids if pk not in current]
            new = [pk for pk in unplaced if pk in asked]
            leftovers = [pk for pk in unplaced if pk not in asked]
            if not new:  # leftovers alone were clustered by earlier runs already
                report.removed = _drop_empty(touched, frozen)
                return _finish(report, touched=touched - _deleted(touched), vectors=vectors, frozen=frozen,
                               min_size=min_size, draft=draft, progress=progress, embedder=embedder)
            joined, held, rest = _join_leads(new, vectors, current=current, frozen=frozen, rule=rule,
                                             embedder=embedder)
            ClusterMember.objects.bulk_create([_member(cid, m) for cid, m in joined])
            report.joined, report.held = len(joined), len(held)
            touched |= {cid for cid, _ in joined}
            pool = rest + leftovers
            links = {t: o for t, o in duplicate_links(pool).items() if o in set(pool)}
            groups = _cluster_questions(pool, vectors, rule=rule, min_size=min_size, embedder=embedder, links=links)
            groups = [g for g in groups if set(g.ids) & set(rest)]
            created = _create_clusters(groups)
            report.created = len(created)
            touched |= set(created)
            report.removed = _drop_empty(touched, frozen)
            return _finish(report, touched=touched - _deleted(touched), vectors=vectors, frozen=frozen,
                           min_size=min_size, draft=draft, progress=progress, embedder=embedder)


def _join_leads(new: list[int], vectors: dict[int, np.ndarray], *, current: dict[int, tuple[int, bool]],
                frozen: set[int], rule: JoinRule, embedder: Embedder
                ) -> tuple[list[tuple[int, Membership]], list[int], list[int]]:
    """``(joined [(cluster, membership)], held thread ids, the rest)`` for new threads against the clusters' leads."""
    leads = dict(Cluster.objects.filter(size__gt=0, lead__isnull=False).exclude(status=Cluster.Status.MERGED)
                 .values_list("lead_id", "id"))
    leads = {t: c for t, c in leads.items() if t in vectors}
    links = duplicate_links(new)
    lead_questions = _questions(list(leads), vectors, with_answers=set(leads), embedder=embedder, links={})
    titles = dict(Thread.objects.filter(pk__in=new).values_list("id", "title"))
    refused = not_same_problem_pairs()
    joined, held, rest = [], [], []
    for pk in new:
        question = Question(pk, vectors[pk], duplicate_of=links.get(pk), title=titles.get(pk, ""))
        target = None
        original = links.get(pk)
        no = refused.get(pk, set())
        if original is not None and original in current and current[original][0] in no:
            pass  # an editor said it is not that cluster's problem, whatever the source linked
        elif original is not None and original in current:
            cid = current[original][0]
            lead = next((t for t, c in leads.items() if c == cid), None)
            sim = float(vectors[pk] @ vectors[lead]) if lead is not None else 0.0
            why = ("the source closed it as a duplicate of the lead question" if original == lead
                   else f"the source closed it as a duplicate of thread {original}, a member")
            target = (cid, Membership(pk, "duplicate", sim, None, why))
        else:
            found = problem_join(question, [q for q in lead_questions.values() if leads[q.id] not in no], rule)
            if found is not None:
                target = (leads[found[0]], found[1])
        if target is None:
            rest.append(pk)
        elif target[0] in frozen:
            held.append(pk)
        else:
            joined.append(target)
    return joined, held, rest


__all__ = [
    "CLUSTERING_LOCK", "ClusterReport", "clustering_lock", "clusters_rebuild", "clusters_refresh", "clusters_update", "frozen_cluster_ids",
    "locked_cluster_ids",
]
