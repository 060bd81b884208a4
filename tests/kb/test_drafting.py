"""Draft extraction: title, problem, solution order, variants, evidence flags."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from kb.engine.drafting import (
    AnswerInfo,
    ThreadInfo,
    clarity_penalty,
    draft_from_cluster,
    find_contradictions,
    firmware_version,
    first_sentences,
)

T0 = datetime(2024, 1, 10, 9, 0)


def unit_rows(*rows) -> np.ndarray:
    arr = np.asarray(rows, dtype=np.float32)
    return arr / np.linalg.norm(arr, axis=1, keepdims=True)


def thread(tid, title, text="", answers=(), trust=1.0, **kw) -> ThreadInfo:
    return ThreadInfo(id=tid, title=title, question_text=text, answers=tuple(answers), source_trust=trust, **kw)


@pytest.mark.parametrize(
    "title",
    [
        "GUEST NETWORK NOT WORKING ON MY ROUTER",
        "Guest network not working!!",
        "Guest network not working on H1??",
        "pls help guest network not working u know",
        "Guest netwrk nt wrking pleeease help me",
        "Guest wifi",
    ],
)
def test_unclear_titles_are_penalised(title):
    assert clarity_penalty(title) > clarity_penalty("How do I turn on the guest network on my Hearthlink H1?")


def test_clean_title_has_no_penalty():
    assert clarity_penalty("How do I turn on the guest network on my Hearthlink H1?") == 0.0


def test_title_is_central_and_clear_problem_is_its_opening():
    threads = [
        thread("t1", "GUEST NETWORK BROKEN!!!", "Help."),
        thread("t2", "Guest network stops working after the H1 firmware update",
               "Since updating my H1 the guest network is gone. Visitors cannot connect. "
               "I tried rebooting twice. My main network is fine. Any ideas?"),
        thread("t3", "Beacon blinks amber after guest network change", "Amber light."),
    ]
    vectors = unit_rows([1, 0.05, 0], [1, 0.2, 0], [0.6, 1, 0])
    draft = draft_from_cluster(threads, vectors=vectors)
    # t1 is the most central but shouts; t2 is nearly as central and clear.
    assert draft.title == "Guest network stops working after the H1 firmware update"
    assert draft.title_thread_id == "t2"
    assert draft.problem == ("Since updating my H1 the guest network is gone. Visitors cannot connect. "
                             "I tried rebooting twice.")
    assert draft.variants == ["GUEST NETWORK BROKEN!!!", "Beacon blinks amber after guest network change"]


def test_variants_skip_repeated_titles():
    threads = [thread("a", "Reset the H1 router"), thread("b", "reset the H1 router "), thread("c", "Factory reset H1")]
    draft = draft_from_cluster(threads, vectors=unit_rows([1, 0], [1, 0.1], [1, 0.3]))
    assert draft.variants == ["Factory reset H1"]


def test_solution_order_accepted_then_score_then_trust_then_recency():
    forum = thread("f", "Port forwarding on H2 Pro", trust=0.4, answers=[
        AnswerInfo("f1", "Open the app, go to Advanced > Port forwarding and add a rule for port 25565.", score=9),
        AnswerInfo("f2", "Use UPnP instead and let the game open its own ports.", score=3, created=T0),
    ])
    community = thread("c", "How to forward a port on H2 Pro?", trust=1.0, answers=[
        AnswerInfo("c1", "In the Hearthlink app choose Advanced > Port forwarding, then Add rule.", score=2,
                   accepted=True),
        AnswerInfo("c2", "Let the game use UPnP so it opens the ports itself, nothing else needed.", score=3,
                   created=T0 - timedelta(days=30)),
        AnswerInfo("c3", "Just buy another router.", score=-2),
    ])
    draft = draft_from_cluster([forum, community], vectors=unit_rows([1, 0], [1, 0.1]))
    assert draft.solution_answer_id == "c1"  # accepted beats a higher score
    # f1 score 9; then c2 vs f2 tie on score 3: c2's source is trusted more.
    assert draft.other_solution_ids == ["f1", "c2", "f2"]


def test_recency_breaks_remaining_ties_and_duplicates_are_dropped():
    t = thread("t", "Beacon offline at night", answers=[
        AnswerInfo("old", "Move the Beacon closer to the H1 router and away from the microwave.", score=1,
                   created=T0),
        AnswerInfo("new", "Turn off power saving on the Beacon in the app settings.", score=1,
                   created=T0 + timedelta(days=5)),
        AnswerInfo("copy", "Turn off power saving on the Beacon in the app settings!", score=0,
                   created=T0 + timedelta(days=6)),
    ])
    draft = draft_from_cluster([t], vectors=unit_rows([1, 0]))
    assert draft.solution_answer_id == "new"
    assert draft.other_solution_ids == ["old"]


def test_answer_vectors_decide_duplicates_when_given():
    t = thread("t", "Beacon offline at night", answers=[
        AnswerInfo("a", "Disable power saving for the Beacon.", score=2),
        AnswerInfo("b", "In the app, switch the Beacon's energy saver off.", score=1),
    ])
    same = {"a": np.array([1.0, 0.0]), "b": np.array([0.99, 0.05])}
    assert draft_from_cluster([t], vectors=unit_rows([1, 0]), answer_vectors=same).other_solution_ids == []


def test_cluster_without_answers_has_no_solution():
    draft = draft_from_cluster([thread("t", "Is HearthGuard worth it?", "Thinking about it.")],
                               vectors=unit_rows([1, 0]))
    assert draft.solution_answer_id is None and draft.other_solution_ids == [] and draft.evidence == []


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("Enable WPS on the H1 and press the Beacon button.", "Never enable WPS, it is insecure.",
         "one answer says to enable wps, the other says not to"),
        ("You should reset the router to factory settings.", "Don't reset the router, you'll lose your setup.",
         "one answer says to reset router, the other says not to"),
        ("Turn off band steering in the app.", "Turn on band steering so phones pick 5 GHz.",
         "one answer says to turn off band steering, the other to turn on it"),
        ("Go to Settings > Wi-Fi > Guest network and flip the switch.",
         "It's under Settings > Advanced > Guest network now.",
         "different menu paths to guest network: 'settings > wi-fi > guest network' vs "
         "'settings > advanced > guest network'"),
        ("Set the MTU to 1492 for PPPoE.", "set your MTU to 1500 and it works.",
         "different values for mtu: 1492 vs 1500"),
    ],
)
def test_contradiction_rules(a, b, reason):
    assert reason in find_contradictions(a, b)
    assert find_contradictions(b, a)  # order does not matter


def test_agreeing_answers_are_not_flagged():
    a = "Enable WPS on the H1, then press the button on the Beacon. Set the channel to 6."
    b = "You should enable WPS and hold the Beacon button. Set the channel to 6 as well."
    assert find_contradictions(a, b) == []


def test_firmware_versions_are_read():
    assert firmware_version("Fixed in firmware 2.10.1, was broken in fw v2.9") == (2, 10, 1)
    assert firmware_version("No version here, just 1.5 metres away") is None


def test_evidence_flags_carry_answer_ids_and_reasons():
    t = thread("t", "Guest network missing after update", answers=[
        AnswerInfo("a1", "On firmware 1.4.2 you must enable WPS to add guests.", score=3, created=T0),
        AnswerInfo("a2", "Since firmware 2.0.1 the guest page moved. Never enable WPS.", score=1,
                   created=T0 + timedelta(days=400)),
        AnswerInfo("a3", "Reboot the H1 and wait five minutes.", score=0, created=T0 + timedelta(days=10)),
    ])
    notes = draft_from_cluster([t], vectors=unit_rows([1, 0])).evidence
    kinds = {(n.kind, n.answer_ids) for n in notes}
    assert ("contradiction", ("a1", "a2")) in kinds
    assert ("outdated", ("a1", "a2")) in kinds
    assert all(n.reason for n in notes)
    assert not any("a3" in n.answer_ids for n in notes)


def test_long_gap_plus_contradiction_marks_the_older_answer_outdated():
    t = thread("t", "Should I turn on band steering?", answers=[
        AnswerInfo("old", "Turn off band steering, it confuses older phones.", score=5, created=T0),
        AnswerInfo("new", "Turn on band steering; the Beacon handles old phones fine now.", score=1,
                   created=T0 + timedelta(days=500)),
    ])
    notes = draft_from_cluster([t], vectors=unit_rows([1, 0]), outdated_days=365).evidence
    outdated = [n for n in notes if n.kind == "outdated"]
    assert [n.answer_ids for n in outdated] == [("old", "new")]
    assert "500 days" in outdated[0].reason


def test_first_sentences_and_empty_draft_input():
    assert first_sentences("One. Two? Three! Four.", 2) == "One. Two?"
    with pytest.raises(ValueError):
        draft_from_cluster([], vectors=np.zeros((0, 2)))
