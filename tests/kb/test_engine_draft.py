"""Drafts answer their lead question (kb.engine.answers, kb.engine.draft): every placed answer with its reason."""
from __future__ import annotations

from datetime import datetime

import pytest

from kb.engine.answers import answer_text, non_answer
from kb.engine.draft import NO_SOLUTION, UNCONFIRMED, DraftAnswer, DraftThread, draft_cluster
from kb.engine.problems import question_text


@pytest.mark.parametrize("text, kind", [
    ("That worked, back online.", "thanks"),
    ("Thanks!! that did it", "thanks"),
    ("Same here, any update?", "me-too"),
    ("I have the same problem on my H1 since Tuesday.", "me-too"),
    ("Did you try rebooting it?", "question"),
    ("What firmware are you on? Which model?", "question"),
    ("See this article.", "link-only"),
    ("ok", "too short"),
    ("Update 7: still stable after moving the Beacon, no drops today.", "status update"),
    ("EDIT: still happening on the new firmware.", "status update"),
])
def test_replies_that_answer_nothing_are_recognised(text, kind):
    assert non_answer(text) == kind


@pytest.mark.parametrize("text", [
    "Hold the reset button for 10 seconds until the light blinks amber.",
    "Thanks, I solved it by resetting the router to factory settings.",
    "How about disabling WPS? That stopped the drops for me.",
    "Same here: you need to update the Beacon firmware to 3.5, then it stays online.",
    "Update: solved it by changing the backhaul channel to 44; no drops since.",
])
def test_real_answers_are_kept_even_when_they_open_like_a_reply(text):
    assert non_answer(text) is None


def _draft(embedder, threads, lead=None):
    qv = embedder.encode([question_text(t.title, t.question) for t in threads])
    answers = [a for t in threads for a in t.answers]
    av = embedder.encode([answer_text(a.text) for a in answers]) if answers else []
    return draft_cluster(threads, question_vectors={t.id: qv[i] for i, t in enumerate(threads)},
                         answer_vectors={a.id: av[i] for i, a in enumerate(answers)}, lead=lead)


WHEN = datetime(2024, 3, 1)
RESET = DraftThread("reset", "How do I factory reset my Hearthlink H1 router?",
                    "I changed too many settings and want to start over. How do I put the H1 back to factory settings?",
                    answers=(
                        DraftAnswer("hold", "Hold the reset button on the back of the H1 for 10 seconds until the "
                                            "light blinks amber, then wait two minutes for it to restart.", 7, True,
                                    WHEN),
                        DraftAnswer("thanks", "That worked, back online.", 3, False, WHEN),
                        DraftAnswer("app", "You can also do it from the app: Settings, Router, Factory reset.", 2,
                                    False, WHEN),
                    ))
RESET_AGAIN = DraftThread("again", "Factory reset the H1 router to default settings",
                          "What is the way to restore my Hearthlink H1 router to its factory defaults?",
                          answers=(DraftAnswer("pin", "Press and hold the reset pin for ten seconds; the router "
                                                      "restarts with factory settings.", 4, True, WHEN),))
BEACON = DraftThread("beacon", "Beacon satellite drops offline every night around 2 am",
                     "Every night around 2 am my Beacon goes offline for a few minutes and comes back. Why?",
                     answers=(DraftAnswer("window", "The Beacon installs firmware updates at 2 am by default; move "
                                                    "the update window in the app.", 9, True, WHEN),))


def test_the_draft_answers_its_lead_and_leaves_out_another_problem_with_the_reason(embedder):
    draft = _draft(embedder, [BEACON, RESET, RESET_AGAIN], lead="reset")

    assert draft.lead == "reset" and draft.title == RESET.title
    assert [m.id for m in draft.members] == ["reset", "again"]
    assert [t for t, _ in draft.left_out] == ["beacon"]
    assert "not the lead's problem" in draft.left_out[0][1]
    placement = draft.placement
    assert placement.solution.id == "hold"
    assert "own thread" in placement.solution.reason and "accepted" in placement.solution.reason
    placed = [placement.solution.id, *[o.id for o in placement.others]]
    assert "window" not in placed and "thanks" not in placed
    assert {s.id: s.reason for s in placement.rejected}["thanks"] == "not an answer (thanks)"
    assert draft.note == "" and draft.variants == [RESET_AGAIN.title]


def test_the_same_cluster_led_by_the_beacon_question_answers_the_beacon(embedder):
    draft = _draft(embedder, [BEACON, RESET, RESET_AGAIN], lead="beacon")

    assert draft.placement.solution.id == "window"
    assert draft.placement.others == []
    assert sorted(t for t, _ in draft.left_out) == ["again", "reset"]


def test_without_an_answer_to_the_lead_the_draft_says_so(embedder):
    unanswered = DraftThread("mesh", "Can I mix Beacon and Beacon Plus in one mesh?",
                             "I have two Beacons and want to add a Beacon Plus. Will they work together?")
    draft = _draft(embedder, [unanswered, BEACON], lead="mesh")

    assert draft.placement.solution is None
    assert draft.note == NO_SOLUTION


def test_an_answer_nobody_vouched_for_is_placed_but_marked_unconfirmed(embedder):
    thread = DraftThread("ports", "How do I forward a port for my PS5 on the H1?", "NAT type is strict on my PS5.",
                         answers=(DraftAnswer("fwd", "In the app open Advanced, Port forwarding, add UDP 3478-3480 "
                                                     "to the PS5.", 0, False, WHEN),))
    draft = _draft(embedder, [thread])

    assert draft.placement.solution.id == "fwd"
    assert draft.note == UNCONFIRMED


def test_other_solutions_are_capped_most_trusted_first(embedder):
    texts = ["Hold the reset button on the back for ten seconds until the light blinks amber.",
             "In the Hearthlink app go to Settings, Router, Factory reset and confirm.",
             "Unplug the power, hold reset while plugging it back in, release after the light turns white.",
             "If the button is stuck, use a paperclip in the pinhole next to the WAN port.",
             "Log in to 192.168.8.1 in a browser, open Maintenance and choose Restore defaults.",
             "Ask support to trigger a remote reset if you cannot reach the router at all.",
             "After the reset the Wi-Fi name and password are on the sticker under the router.",
             "Back up your settings first from the app so you can restore them after the reset."]
    answers = tuple(DraftAnswer(f"a{k}", text, 10 - k, False, WHEN) for k, text in enumerate(texts))
    thread = DraftThread("reset", RESET.title, RESET.question, answers=answers)
    draft = _draft(embedder, [thread])

    assert draft.placement.solution.id == "a0"
    assert [o.id for o in draft.placement.others] == ["a1", "a2", "a3", "a4"]


@pytest.mark.shared_data
def test_on_real_duplicates_answers_of_related_threads_never_reach_the_draft(shared_data, embedder):
    """The duplicate-link proxy on the Beer dump: a draft led by a question closed as a duplicate, holding its
    original and every related-linked thread as if they had joined, places answers of the original only."""
    from harvest.engine.importers.stackexchange.importer import StackExchangeDumpImporter
    from harvest.engine.records import LinkRecord, PostRecord, ThreadRecord
    from search.engine import html_to_text

    threads, answers, dups, related = {}, {}, [], []
    for record, _ in StackExchangeDumpImporter(shared_data / "stackexchange-beer").iter_records():
        if isinstance(record, ThreadRecord):
            threads[record.external_id] = (record.title, html_to_text(record.posts[0].body_html))
        elif isinstance(record, PostRecord) and not record.is_question:
            answers.setdefault(record.thread_external_id, []).append(DraftAnswer(
                record.external_id, html_to_text(record.body_html), record.score, record.is_accepted,
                record.created_at))
        elif isinstance(record, LinkRecord):
            (dups if record.kind == "duplicate" else related).append((record.from_external_id, record.to_external_id))
    linked: dict[str, set[str]] = {}
    for a, b in related:
        linked.setdefault(a, set()).add(b)
        linked.setdefault(b, set()).add(a)
    placed = wrong = drafts = 0
    for dup, original in dups:
        if dup not in threads or original not in threads:
            continue
        ids = [dup, original, *sorted((linked.get(dup, set()) | linked.get(original, set())) - {dup, original})]
        ids = [i for i in ids if i in threads]
        cluster = [DraftThread(i, *threads[i], answers=tuple(answers.get(i, ())),
                               duplicate_of=original if i == dup else None) for i in ids]
        draft = _draft(embedder, cluster, lead=dup)
        drafts += 1
        for s in ([draft.placement.solution] if draft.placement.solution else []) + draft.placement.others:
            placed += 1
            wrong += s.thread_id not in (dup, original)
    assert drafts >= 20
    assert placed >= drafts
    assert wrong == 0


def test_a_joke_in_a_duplicate_linked_thread_never_becomes_the_solution(embedder):
    lead = DraftThread("guest", "Guest network on the H1 keeps asking for a password that does not exist",
                       "My visitors join the guest Wi-Fi and are asked for a password I never set. How do I fix it?")
    linked = DraftThread("dup", "Guest Wi-Fi asks for an unknown password", "Friends cannot join my guest Wi-Fi.",
                         duplicate_of="guest",
                         answers=(DraftAnswer("joke", "Maybe your friends should just stay home and bake bread.",
                                              12, False, WHEN),
                                  DraftAnswer("open", "Open the app, Guest network, and set Security to Open or "
                                                      "type a new guest Wi-Fi password; visitors then join with it.",
                                              3, False, WHEN)))
    draft = _draft(embedder, [lead, linked], lead="guest")

    assert draft.placement.solution.id == "open"
    reasons = {s.id: s.reason for s in draft.placement.rejected}
    assert "does not speak to this problem" in reasons["joke"]
