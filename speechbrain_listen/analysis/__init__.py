"""Analysis: what was measured and what the prompts do.

* ``selection_analysis``: which prompts each task uses (plots + JSON).
* ``comparison_tables``: the comparison grid and prompt-count sweep tables
  (multitask runs side by side, where sweeps diverge).
* ``learning_curve``: learning curves from train logs.
"""
