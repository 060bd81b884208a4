"""The knowledge base's pure cores: numpy arrays, ids and plain dataclasses in and out; no Django, no ORM
(``kb.services`` is the edge).

- ``clustering``: the topic level (kNN graph + community detection), ids kept across re-runs, the TF-IDF
  baseline and the metrics.
- ``problems``: problem clusters ("one article answers all of these"), each member judged against the lead.
- ``answers``: which answers may be placed in an article about the lead's problem, and why.
- ``conflicts`` (with ``quantities``, ``staleness``, ``wording``): answers that disagree, or that a newer
  answer supersedes.
- ``draft``: one draft article from one cluster, putting the three together.
- ``fitted/``: the numbers the rule and the model use, written by ``bench/fit_problems.py`` and
  ``bench/fit_answers.py`` from the shared data.
"""
