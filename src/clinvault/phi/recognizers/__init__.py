"""Recognizers presidio lacks or gets wrong for clinical text, one module per family.

Each is a plain-Python :class:`~clinvault.phi.recognizers.base.TextRecognizer`: it needs no
NLP model, so it is fast, testable alone and usable by any detector backend.
"""
