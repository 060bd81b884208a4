"""Community writes. Split by operation; import from here."""
from community.services.accounts import check_signup, member_join, user_join, user_signup
from community.services.moderation import (
    flag_create,
    flag_dismiss,
    MODERATION_ACTIONS,
    post_approve,
    post_hide,
    post_moderate,
    post_reject,
    post_restore,
    thread_close_duplicate,
    thread_reopen,
    thread_set_locked,
)
from community.services.posting import answer_create, comment_create, post_edit, question_create
from community.services.sources import source_community
from community.services.views import thread_view_record
from community.services.votes import answer_accept, answer_unaccept, vote_cast, vote_retract

__all__ = [
    "MODERATION_ACTIONS", "answer_accept", "answer_create", "answer_unaccept", "check_signup", "comment_create",
    "flag_create", "flag_dismiss", "member_join", "post_approve", "post_edit", "post_hide", "post_moderate", "post_reject",
    "post_restore", "question_create", "source_community",
    "thread_close_duplicate", "thread_reopen", "thread_set_locked", "thread_view_record", "user_join", "user_signup", "vote_cast", "vote_retract",
]
