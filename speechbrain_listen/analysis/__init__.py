"""Analysis: what was measured and what the prompts do.

* ``selection_analysis``: which prompts each task uses (plots + JSON).
* ``results_table``: multitask grid and sweep tables.
* ``learning_curve``: learning curves from train logs.
"""
