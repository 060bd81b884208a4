"""Contradictions and stale answers on forums of any subject (kb.engine.conflicts)."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from kb.engine.conflicts import AnswerText, evidence, find_conflicts

OLD, NEW = datetime(2021, 1, 10), datetime(2021, 11, 2)


@pytest.mark.parametrize("question, a, b, reason", [
    ("How long do I hold the reset button?", "Hold the reset button for 10 seconds until the light blinks.",
     "Press and hold reset for about 15 seconds, then release.", "different values: '10 seconds' against '15 seconds'"),
    ("What is the largest number factored with Shor's algorithm?",
     "The largest number factored with Shor's algorithm so far is 21.",
     "With Shor's algorithm the state of the art is still 15; the 21 result used shortcuts.",
     "different values: 'is 21' against 'is still 15'"),
    ("Can I use a Beacon as a plain access point?", "Yes, switch it to access point mode in the app.",
     "No. A Beacon only works in a mesh with a router.", "one answer says yes, the other no"),
    ("Should WPS be on?", "You should enable WPS on the router.", "Never enable WPS, it is insecure.",
     "one answer says to enable wps, the other not to"),
    ("What fixes the drops?", "Turn off the guest network first.", "Turn on the guest network and wait.",
     "one answer says to turn off guest, the other to turn on guest"),
    ("Is mixing vodka and beer safe?", "It is safe as long as you drink water.", "It is not safe, ever.",
     "one answer says it is safe, the other that it is not"),
    ("How hot should I ferment an ale?", "Ferment it at 18 °C for a clean ale.", "Ferment at 64°F.",
     None),  # 64 °F is 17.8 °C: the same advice
    ("How long do I hold the reset button?", "Hold it for 10 seconds.", "Hold the button 10 seconds and wait.", None),
    ("What temperature should I serve beer at?",
     "Serve lagers cold. A pale ale at 7-10 °C, a stout at 12 °C (54 °F) and a barley wine at 14 °C.",
     "I keep mine at 8 °C in the fridge and let stouts warm a little.", None),  # lists of cases, not one value
])
def test_contradictions_name_both_answers_and_a_reason(question, a, b, reason):
    notes = find_conflicts(AnswerText("a", a), AnswerText("b", b), question=question)
    if reason is None:
        assert notes == []
    else:
        assert [(n.kind, n.answers, n.reason) for n in notes] == [("contradiction", ("a", "b"), reason)]


def test_a_newer_answer_with_a_higher_version_or_a_deprecation_supersedes_the_older():
    old = AnswerText("old", "Build it with cardano-node 1.29.0 and pass --mary-era to transaction build-raw.", OLD)
    new = AnswerText("new", "cardano-node 1.31.0 is out; --mary-era was removed, the default era works.", NEW)

    reasons = [(n.kind, n.answers, n.reason) for n in find_conflicts(old, new)]

    assert ("outdated", ("old", "new"), "mentions cardano-node 1.29.0; an answer 296 days newer mentions 1.31.0") \
        in reasons
    assert ("outdated", ("old", "new"), "uses --mary-era; an answer 296 days newer says 'was removed'") in reasons
    assert find_conflicts(AnswerText("old", old.text, NEW), AnswerText("new", new.text, NEW)) == []  # same day


def test_what_was_missing_as_of_then_is_flagged_when_a_newer_answer_takes_it_up():
    old = AnswerText("old", "As of now, there is no metadata standard defined for native tokens.", OLD)
    new = AnswerText("new", "The metadata standard for tokens is CIP25, defined this summer.", NEW)

    [note] = find_conflicts(old, new)

    assert note.kind == "outdated" and note.answers == ("old", "new")
    assert note.reason.startswith("says 'there is no' (as of now) about metadata, standard")


def test_a_newer_accepted_answer_that_disagrees_marks_the_solution_outdated():
    solution = AnswerText("sol", "Hold the reset button for 10 seconds.", OLD, score=3)
    newer = AnswerText("new", "Hold the reset button for 30 seconds on firmware 3.5.", NEW, score=1, accepted=True)

    notes = evidence(solution, [], question="How do I reset the H1?", alternatives=[newer])

    assert [n.kind for n in notes] == ["contradiction", "outdated"]
    assert notes[1].answers == ("sol", "new")
    assert notes[1].reason.startswith("a newer, accepted answer disagrees: different values")


@pytest.mark.shared_data
def test_on_real_threads_every_flag_is_a_judged_conflict(shared_data):
    """Every pair of answers the detector flags in the beer, cardano and genai dumps was judged by hand a
    contradiction or outdated (fixtures/trust/conflict_pairs.json)."""
    import itertools

    from harvest.engine.importers.stackexchange.importer import StackExchangeDumpImporter
    from harvest.engine.records import PostRecord, ThreadRecord
    from search.engine import html_to_text
    from tests.conftest import REPO

    labels = {(p["site"], frozenset((p["a"], p["b"]))): p["label"]
              for p in json.loads((REPO / "fixtures" / "trust" / "conflict_pairs.json").read_text())["pairs"]}
    flagged = []
    for site in ("beer", "cardano", "genai"):
        titles, answers = {}, {}
        for record, _ in StackExchangeDumpImporter(shared_data / f"stackexchange-{site}").iter_records():
            if isinstance(record, ThreadRecord):
                titles[record.external_id] = record.title
            elif isinstance(record, PostRecord) and not record.is_question and record.score >= 0:
                answers.setdefault(record.thread_external_id, []).append(AnswerText(
                    record.external_id, html_to_text(record.body_html), record.created_at, record.score,
                    record.is_accepted))
        for thread, posts in answers.items():
            for a, b in itertools.combinations(posts, 2):
                if find_conflicts(a, b, question=titles.get(thread, "")):
                    flagged.append((site, frozenset((a.id, b.id))))
    assert len(flagged) >= 5
    assert all(labels.get(key) in ("contradiction", "outdated") for key in flagged), [
        (site, sorted(ids), labels.get((site, ids))) for site, ids in flagged]
