"""Metrics of one evaluation run. Each is a pure function; ``None`` means unmeasured.

- ``retrieval``: recall@k, reciprocal rank, nDCG@k against gold resources
- ``citations``: citation precision/recall, share of statements with a citation
- ``correctness``: fact matching (value, unit, date) and list overlap
- ``faithfulness``: numbers and dates of the answer found in the cited evidence
- ``privacy``: identifier leakage in texts (index chunks, prompts, outputs)
- ``latency``: percentiles
- ``scoring``: one item's scores from its outcome; ``aggregate``: means over items
"""
