"""Data-pipeline pieces every recipe shares: instructions and train batching.

Training draws a random instruction paraphrase per example; validation and
test always use the task's fixed test instruction. Training batches are
either fixed-size (shuffled or sorted by duration) or dynamic
(SpeechBrain's ``DynamicBatchSampler``, a budget of seconds per batch).

Authors
 * speechbrain-listen contributors 2026
"""

import speechbrain as sb
from speechbrain.dataio.sampler import DynamicBatchSampler

from speechbrain_listen.tasks.instructions import QUESTION_TASKS, random_instruction


def add_instruction_items(train_sets, eval_sets, train_instructions, test_instruction):
    """Adds the dynamic item ``instruction`` to training and evaluation sets.

    Arguments
    ---------
    train_sets : list of DynamicItemDataset
        Each example gets a random paraphrase (torch RNG: seeded runs repeat).
    eval_sets : list of DynamicItemDataset
        Each example gets ``test_instruction``.
    train_instructions : list of str
        Paraphrases.
    test_instruction : str
        The fixed evaluation instruction.

    Example
    -------
    >>> data = sb.dataio.dataset.DynamicItemDataset({"a": {}})
    >>> add_instruction_items([], [data], ["x", "y"], "fixed")
    >>> data.set_output_keys(["instruction"])
    >>> data[0]
    {'instruction': 'fixed'}
    """

    @sb.utils.data_pipeline.provides("instruction")
    def train_instruction():
        return random_instruction(train_instructions)

    @sb.utils.data_pipeline.provides("instruction")
    def test_instruction_item():
        return test_instruction

    sb.dataio.dataset.add_dynamic_item(list(train_sets), train_instruction)
    sb.dataio.dataset.add_dynamic_item(list(eval_sets), test_instruction_item)


def add_task_instruction_items(train_sets, eval_sets, train_instructions, test_instructions):
    """Adds ``instruction`` to multitask sets, from each example's ``task``.

    Training draws a paraphrase from the example's task list, evaluation
    uses the task's fixed test instruction; a question-answering example
    (``instructions.QUESTION_TASKS``) is instructed by its own ``question``
    in both.

    Arguments
    ---------
    train_sets, eval_sets : list of DynamicItemDataset
        With ``task`` and ``question`` fields.
    train_instructions : dict
        Task -> list of paraphrases.
    test_instructions : dict
        Task -> the fixed evaluation instruction.

    Example
    -------
    >>> data = sb.dataio.dataset.DynamicItemDataset(
    ...     {"a": {"task": "sv", "question": ""}, "b": {"task": "sqa", "question": "Who?"}}
    ... )
    >>> add_task_instruction_items([], [data], {}, {"sv": "Same?"})
    >>> data.set_output_keys(["instruction"])
    >>> [data[0]["instruction"], data[1]["instruction"]]
    ['Same?', 'Who?']
    """

    @sb.utils.data_pipeline.takes("task", "question")
    @sb.utils.data_pipeline.provides("instruction")
    def train_instruction(task, question):
        if task in QUESTION_TASKS:
            return question
        return random_instruction(train_instructions[task])

    @sb.utils.data_pipeline.takes("task", "question")
    @sb.utils.data_pipeline.provides("instruction")
    def test_instruction(task, question):
        return question if task in QUESTION_TASKS else test_instructions[task]

    sb.dataio.dataset.add_dynamic_item(list(train_sets), train_instruction)
    sb.dataio.dataset.add_dynamic_item(list(eval_sets), test_instruction)


def train_loader_options(hparams, train_data, sampler=None):
    """Dataloader options for training: fixed batches or dynamic batching.

    Arguments
    ---------
    hparams : dict
        With ``dynamic_batching``, ``train_dataloader_opts``, ``sorting`` (optional) and
        ``dynamic_batch_sampler_train``.
    train_data : DynamicItemDataset
        Needs a ``duration`` field for dynamic batching.
    sampler : torch.utils.data.Sampler, optional
        Draws the examples of an epoch (e.g. ``task_sampling.task_sampler``);
        fixed-size batches only.

    Returns
    -------
    dict
        Keyword arguments for ``Brain.fit(train_loader_kwargs=...)``.
    """
    if not hparams["dynamic_batching"]:
        options = dict(hparams["train_dataloader_opts"])
        if sampler is not None:
            options.pop("shuffle", None)  # the sampler decides the order
            options["sampler"] = sampler
        elif hparams.get("sorting", "random") != "random":
            options["shuffle"] = False  # keep the sorted order
        return options
    if sampler is not None:
        raise ValueError(
            "dynamic_batching cannot be combined with a re-weighting sampler "
            "(task_sampling other than proportional): choose one"
        )
    sampler = DynamicBatchSampler(
        train_data,
        length_func=lambda example: example["duration"],
        **hparams["dynamic_batch_sampler_train"],
    )
    return {
        "batch_sampler": sampler,
        "num_workers": hparams["train_dataloader_opts"].get("num_workers", 0),
    }
