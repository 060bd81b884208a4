"""Knowledge-base writes, split by operation; import from here.

- ``articles``: create, edit, workflow transitions, review, restore a version, assign.
- ``clusters``: merge, split, dismiss a candidate; the draft an editor asks for.
- ``suggestions``: an editor's answer to "Maybe the same problem": add the question, or not the same problem.
- ``drafts``: the draft article of a problem cluster (the ORM edge of ``kb.engine.draft``).
- ``clustering``: full and incremental problem-clustering runs (the ORM edge of ``kb.engine.problems``).
- ``topics``: the coarser topic level above problem clusters.
- ``demand``: the queue's rank of each cluster (size, growth, unmet searches).
- ``cluster_queue``: clustering asked for by tasks: one run at a time, the rest coalesced into one pending run.
- ``freshness``: "needs review" from changed sources, unhelpful votes and agent flags.
- ``usage``: readers' helpful votes and article views.
- ``agents``: what agents write (flags, captured drafts); called by the support app.
- ``versions``: every change to an article as a version.
- ``bulk``: the queue's bulk assign and bulk workflow actions.
"""
from kb.services.agents import article_draft_capture, article_flag_get_or_create
from kb.services.articles import (
    article_assign,
    article_create,
    article_edit,
    article_mark_reviewed,
    article_proposal_publish,
    article_restore_version,
    article_schedule_review,
    article_search_sync,
    article_transition,
    item_assign,
)
from kb.services.bulk import BulkResult, articles_transition_bulk, items_assign_bulk
from kb.services.cluster_queue import clustering_pending, clusters_request
from kb.services.clustering import (
    ClusterReport,
    clusters_rebuild,
    clusters_refresh,
    clusters_update,
    frozen_cluster_ids,
    locked_cluster_ids,
)
from kb.services.demand import cluster_demand, cluster_demand_refresh, clusters_demand_update
from kb.services.clusters import (
    article_from_cluster,
    article_merge,
    cluster_dismiss,
    cluster_split,
    cluster_start,
)
from kb.services.drafts import article_draft_from_cluster, post_hash
from kb.services.suggestions import cluster_member_add, cluster_not_same
from kb.services.freshness import (
    article_check_feedback,
    article_check_flags,
    article_mark_needs_review,
    articles_check_sources,
    source_change_reasons,
)
from kb.services.topics import topics_rebuild
from kb.services.usage import article_feedback_record, article_view_record
from kb.services.versions import version_save

__all__ = [
    "cluster_member_add", "cluster_not_same",
    "BulkResult", "ClusterReport", "articles_transition_bulk", "items_assign_bulk", "article_assign", "article_check_feedback", "article_check_flags", "article_create",
    "article_draft_capture", "article_draft_from_cluster", "article_edit", "article_feedback_record",
    "article_flag_get_or_create", "article_from_cluster", "article_mark_needs_review", "article_mark_reviewed",
    "article_merge", "article_proposal_publish", "article_restore_version", "article_schedule_review", "article_search_sync",
    "article_transition", "article_view_record", "articles_check_sources", "cluster_demand",
    "cluster_demand_refresh", "cluster_dismiss", "cluster_split", "cluster_start", "clustering_pending",
    "clusters_demand_update",
    "clusters_rebuild", "clusters_request",
    "clusters_refresh", "clusters_update", "frozen_cluster_ids", "item_assign", "locked_cluster_ids", "post_hash",
    "source_change_reasons", "topics_rebuild", "version_save",
]
