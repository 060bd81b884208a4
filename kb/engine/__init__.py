"""The knowledge base's pure cores: clustering (``clustering``) and extractive drafting (``drafting``).

numpy arrays, ids and plain dataclasses in and out; no Django, no ORM (``kb.services`` is the edge).
"""
