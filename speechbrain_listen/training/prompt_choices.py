"""Which prompts a test run chose: per example, and counted over the pool.

At TEST, beside the task's scores, ``ListenBrain`` writes two files next to
the scoring output file (``wer_test-clean.txt``, ``captions_<split>.csv``,
the multitask ``test`` folder):

* ``<stem>_prompt_usage.json``: ``{"inputs", "num_prompts", "counts"}``,
  how often each prompt of the pool was selected (the provider's usage
  counters, reset when the test starts);
* ``<stem>_prompt_choices.json``: ``{"pool_size", "num_prompts",
  "choices": [{"id", "task", "indices"}]}``, the prompt indices selected for
  every example, the input of ``speechbrain_listen.analysis.selection_analysis``.

Runs without a prompt provider (LoRA) select nothing and write neither.

Authors
 * speechbrain-listen contributors 2026
"""

import json
import os


class PromptChoices:
    """Records the prompts selected for every test example, and writes them.

    Example
    -------
    >>> import tempfile, torch
    >>> from types import SimpleNamespace
    >>> from speechbrain_listen.prompts.selection import PromptProvider
    >>> pool = PromptProvider(size=6, num_prompts=2)
    >>> choices = PromptChoices()
    >>> choices.start(pool)
    >>> batch = SimpleNamespace(id=["u1", "u2"])
    >>> choices.record(batch, torch.tensor([[0, 3], [5, 3]]), default_task="asr")
    >>> choices.choices[1]
    {'id': 'u2', 'task': 'asr', 'indices': [5, 3]}
    >>> folder = tempfile.mkdtemp()
    >>> choices.write(os.path.join(folder, "wer_test.txt"), pool)
    >>> sorted(os.listdir(folder))
    ['wer_test_prompt_choices.json', 'wer_test_prompt_usage.json']
    """

    def __init__(self):
        self.choices = []

    def start(self, provider):
        """Forgets earlier choices; the provider counts usage afresh.

        Arguments
        ---------
        provider : speechbrain_listen.prompts.selection.PromptProvider
            The prompt provider (outside any DDP wrapper).
        """
        provider.reset_usage()
        self.choices = []

    def record(self, batch, indices, default_task):
        """Keeps each example's selected prompt indices and its task.

        Arguments
        ---------
        batch : speechbrain.dataio.batch.PaddedBatch
            The test batch: ``id``, and ``task`` when tasks are mixed.
        indices : torch.Tensor
            ``[batch, num_prompts]`` selected prompt indices.
        default_task : str
            The task of a batch without a ``task`` field.
        """
        tasks = getattr(batch, "task", None) or [default_task] * len(batch.id)
        for example_id, task, row in zip(batch.id, tasks, indices.tolist()):
            self.choices.append({"id": example_id, "task": task, "indices": row})

    def write(self, output_file, provider):
        """Writes the usage and choices files beside ``output_file``.

        Arguments
        ---------
        output_file : str
            The scoring output file of the test split (only its stem is used).
        provider : speechbrain_listen.prompts.selection.PromptProvider
            The prompt provider (outside any DDP wrapper).
        """
        stem = os.path.splitext(output_file)[0]
        with open(stem + "_prompt_usage.json", "w", encoding="utf-8") as out:
            json.dump(
                {
                    "inputs": int(provider.usage_inputs),
                    "num_prompts": provider.num_prompts,
                    "counts": provider.usage_counts.tolist(),
                },
                out,
            )
        with open(stem + "_prompt_choices.json", "w", encoding="utf-8") as out:
            json.dump(
                {
                    "pool_size": provider.size,
                    "num_prompts": provider.num_prompts,
                    "choices": self.choices,
                },
                out,
            )
