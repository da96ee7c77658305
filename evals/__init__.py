"""Answer-quality evaluation for maintainers (``dystonia eval``).

``reference.yaml`` holds the reference questions and what a good reply must contain;
``metrics`` scores replies without any language model; ``run`` drives a whole evaluation
and ``report`` writes it out; ``thresholds.toml`` holds the release gates.
"""
