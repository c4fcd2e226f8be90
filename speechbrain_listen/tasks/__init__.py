"""Tasks: what the model is asked, and how tasks are mixed.

* ``answers``: one-word answers parsed into labels (emotion, yes/no).
* ``instructions``: one fixed test instruction per task, training paraphrases.
* ``manifest``: the one manifest format of every task and split.
* ``sampling``: how often each task is seen in multitask training.
"""
