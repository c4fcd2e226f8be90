"""Prompt providers: what adapts the frozen LLM.

A *prompt provider* turns a query (the mean of the embedded audio and
instruction) into the soft tokens put in front of the LLM input.

* ``pool``: the LiSTEN dynamic prompt pool (similarity, attention,
  residual selection; stochastic N; selection losses).
* ``soft_prompt``: the soft-prompt baseline.
* ``selection``: what every prompt provider returns, and its usage counter.
* ``adaptation``: the one hparams switch between a prompt pool, a soft
  prompt and LoRA (and the nine runs of the comparison grid).
"""
