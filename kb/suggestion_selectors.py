"""Reads for "Maybe the same problem": questions outside a cluster that the looser join rule would add.

Problem clusters join a question automatically only through a source's duplicate link or as a
paraphrase of the lead (``kb.engine.problems``). Below that, neighbouring questions mostly ask
something else, but some ask the lead's problem in other words; the cluster page lists those the
looser rule (``JoinRule.loose``: similarity ``KB_SUGGEST_MIN_SIMILARITY`` and the answer test) accepts,
and the editor decides (``kb.services.suggestions``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from community.models import Thread
from kb.engine.problems import JoinRule, Question, suggest
from kb.models import Cluster, ClusterMember, NotSameProblem
from kb.question_vectors import answer_vectors, best_answers, stored_question_vectors
from search.embeddings import get_embedder
from search.engine import ModelUnavailable

# Only the nearest questions above the similarity floor go through the answer test (their answers
# may need embedding); more than a page lists would only cost time.
NEAREST = 30
CLOSED = Cluster.CLOSED


@dataclass
class SuggestedThread:
    thread: Thread
    similarity: float
    reason: str
    holder: Cluster | None  # the open candidate that holds it now, or None


def _movable() -> tuple[set[int], dict[int, int]]:
    """``(threads no suggestion may take, {thread: its open cluster})``.

    Members of merged or dismissed clusters, editors' pinned members and other clusters' leads stay where they
    are: moving a lead would change another article's problem (a merge is the tool for that).
    """
    blocked, holders = set(), {}
    leads = set(Cluster.objects.filter(lead__isnull=False).values_list("lead_id", flat=True))
    for thread_id, cluster_id, pinned, status in ClusterMember.objects.values_list(
            "thread_id", "cluster_id", "pinned", "cluster__status"):
        if pinned or status in CLOSED or thread_id in leads:
            blocked.add(thread_id)
        else:
            holders[thread_id] = cluster_id
    return blocked, holders


def cluster_suggestions(*, cluster: Cluster, limit: int = 5, rule: JoinRule | None = None) -> list[SuggestedThread]:
    """Up to ``limit`` questions in no cluster or in another open candidate that may ask ``cluster``'s problem.

    Nothing for a merged or dismissed cluster, one without a lead, a lead whose vector is not stored yet,
    or without the embedding model. Never a question an editor said is not this cluster's problem
    (``NotSameProblem``). The best answers compared are embedded once when they are not stored yet.
    """
    if cluster.status in CLOSED or cluster.lead_id is None:
        return []
    embedder = get_embedder()
    ids, matrix = stored_question_vectors(model_name=embedder.name)
    row = {pk: i for i, pk in enumerate(ids)}
    if cluster.lead_id not in row:
        return []
    rule = (rule or JoinRule.fitted()).loose(settings.KB_SUGGEST_MIN_SIMILARITY)
    lead_vector = matrix[row[cluster.lead_id]]
    sims = matrix @ lead_vector
    blocked, holders = _movable()
    refused = set(NotSameProblem.objects.filter(cluster=cluster).values_list("thread_id", flat=True))
    order = np.argsort(-sims, kind="stable")
    nearest = []
    for i in order:
        if sims[i] < rule.min_similarity or len(nearest) >= NEAREST:
            break
        pk = ids[i]
        if pk == cluster.lead_id or pk in blocked or pk in refused or holders.get(pk) == cluster.pk:
            continue
        nearest.append(pk)
    if not nearest:
        return []
    threads = Thread.objects.visible().select_related("source").in_bulk([cluster.lead_id, *nearest])
    if cluster.lead_id not in threads:
        return []
    lead_best = best_answers(thread_ids=[cluster.lead_id])
    # While the lead has no answer, each question's own answer is compared with the lead instead.
    best = lead_best if lead_best else best_answers(thread_ids=nearest)
    try:
        vectors = answer_vectors(post_ids=best.values(), embedder=embedder) if best else {}
    except ModelUnavailable:
        return []  # the answer test needs the answers' vectors; without the model, list nothing rather than guess

    def question(pk: int) -> Question:
        return Question(pk, matrix[row[pk]], vectors.get(best.get(pk)), title=threads[pk].title)

    found = suggest(question(cluster.lead_id), [question(pk) for pk in nearest if pk in threads], rule, limit=limit)
    clusters = Cluster.objects.in_bulk({holders[s.id] for s in found if s.id in holders})
    return [SuggestedThread(threads[s.id], s.similarity, s.reason, clusters.get(holders.get(s.id)))
            for s in found]
