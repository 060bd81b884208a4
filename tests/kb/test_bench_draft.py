"""bench/draft.py: CLUSTERS.json in, one JSON line per draft out, drafted by the product's engine."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

CLUSTERS = [
    {"id": "reset", "lead": "t2", "threads": [
        {"id": "t1", "title": "Beacon satellite drops offline every night around 2 am",
         "question": "Every night around 2 am my Beacon goes offline for a few minutes. Why?", "tags": ["mesh"],
         "answers": [{"id": "a1", "text": "The Beacon installs firmware updates at 2 am; move the update window in "
                                          "the app.", "score": 6, "accepted": True, "created": "2024-01-03T10:00:00"}]},
        {"id": "t2", "title": "How do I factory reset my Hearthlink H1 router?",
         "question": "I want to start over. How do I put the H1 back to factory settings?", "tags": [],
         "answers": [
             {"id": "a2", "text": "Hold the reset button on the back for 10 seconds until the light blinks amber.",
              "score": 4, "accepted": True, "created": "2024-02-01T09:00:00"},
             {"id": "a3", "text": "That worked, back online.", "score": 1, "accepted": False, "created": None},
             {"id": "a4", "text": "Or open the app, Settings, Router, Factory reset, and confirm twice.",
              "score": 2, "accepted": False, "created": "2024-02-02T09:00:00"}]},
    ]},
    {"id": "open", "lead": None, "threads": [
        {"id": "t3", "title": "Can I mix Beacon and Beacon Plus in one mesh?", "question": "Will they work together?",
         "tags": [], "answers": []}]},
]


def _run(path, *args):
    return subprocess.run([sys.executable, str(REPO / "bench" / "draft.py"), str(path), *args], capture_output=True,
                          text=True, cwd=REPO, timeout=300)


@pytest.fixture
def clusters_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GLEANER_BENCH_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "clusters.json"
    path.write_text(json.dumps(CLUSTERS))
    return path


def test_each_cluster_gets_one_line_answering_its_lead(clusters_file):
    result = _run(clusters_file)

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["reset", "open"]
    reset, unanswered = lines
    assert {"id", "lead", "solution", "others", "evidence"} <= set(reset)
    assert reset["lead"] == "t2" and reset["solution"] == "a2" and reset["others"] == ["a4"]
    assert [t["thread"] for t in reset["why"]["left_out"]] == ["t1"]
    assert {a["answer"]: a["reason"] for a in reset["why"]["not_placed"]}["a3"] == "not an answer (thanks)"
    assert unanswered["solution"] is None and unanswered["others"] == []
    assert unanswered["why"]["note"] == "No confident solution yet: ask the community."


def test_the_show_mode_reads_like_the_editor_page(clusters_file):
    result = _run(clusters_file, "--show")

    assert result.returncode == 0, result.stderr
    assert "SOLUTION a2 — answers the lead question in its own thread (accepted, score 4)" in result.stdout
    assert "NOTE: No confident solution yet: ask the community." in result.stdout


@pytest.mark.parametrize("content, message", [
    ("{not json", "Expecting property name"),
    (json.dumps({"id": 1}), "must hold a JSON list of clusters"),
    (json.dumps([{"id": "x", "lead": "nope", "threads": [{"id": "t", "title": "T", "answers": []}]}]),
     "cluster #0 (id 'x'): lead 'nope' is not one of its threads"),
    (json.dumps([{"id": "x", "lead": None, "threads": [{"id": "t", "title": "T", "answers": [{"id": "a"}]}]}]),
     "every answer needs an id and a text"),
])
def test_bad_input_is_refused_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)

    result = _run(path)

    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
