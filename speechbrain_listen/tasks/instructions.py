"""Task instructions: one fixed test instruction, many training paraphrases.

Training draws a random paraphrase per example so that the model follows the
meaning of an instruction rather than one string; evaluation always uses the
fixed test instruction of the paper (docs/design.md section 2).

Authors
 * speechbrain-listen contributors 2026
"""

import torch

TEST_INSTRUCTIONS = {
    "asr": "Recognize the speech and give me the transcription.",
    "captioning": "Please describe the audio.",
    "emotion": "Describe the emotion of the speaker in one word.",
    "sv": "Do you only hear the same person talking? Answer yes or no.",
    "en2zh": "Listen to the speech and translate it into Chinese.",
}
# Spoken question answering has no instruction of its own: the question
# is the instruction, in training and at test (the reference forgot to put
# it into the test prompt, docs/design.md section 2).
QUESTION_TASKS = ("sqa",)

TRAIN_INSTRUCTIONS = {
    "asr": [
        "Recognize the speech and give me the transcription.",
        "Transcribe the speech.",
        "Write down what is said in the audio.",
        "What does the speaker say? Give the exact words.",
        "Convert this speech to text.",
        "Please transcribe the audio.",
        "Listen to the recording and write out the spoken words.",
        "Give me a word-for-word transcript of the speech.",
        "Turn the spoken words into written text.",
        "Produce the transcription of this utterance.",
        "Can you write what the person is saying?",
        "Type out the speech you hear.",
        "Provide the text of the spoken audio.",
        "Repeat the spoken sentence as text.",
        "Transcribe the following speech into English text.",
    ],
    "captioning": [
        "Please describe the audio.",
        "Describe what you hear.",
        "Write a short caption for this sound.",
        "What is happening in this audio clip?",
        "Give a one-sentence description of the sounds.",
        "Caption the audio.",
        "Summarize the sound events in the recording.",
    ],
    "emotion": [
        "Describe the emotion of the speaker in one word.",
        "What emotion does the speaker express? Answer in one word.",
        "In one word, how does the speaker feel?",
        "Name the emotion in this voice with a single word.",
        "Which emotion do you hear: neutral, happy, angry or sad?",
    ],
    "sv": [
        "Do you only hear the same person talking? Answer yes or no.",
        "Are both parts of the recording spoken by the same speaker? Answer yes or no.",
        "Is it one speaker throughout? Reply with yes or no.",
        "Is the second voice the same person as the first? Yes or no.",
        "Does the same person speak in both segments? Answer yes or no.",
    ],
    "en2zh": [
        "Listen to the speech and translate it into Chinese.",
        "Translate the spoken English into Chinese.",
        "What is the Chinese translation of this speech?",
        "Give the Chinese translation of what the speaker says.",
        "Render the speech in Chinese.",
    ],
}


def evaluation_instruction(task):
    """The fixed evaluation instruction of a task.

    Example
    -------
    >>> evaluation_instruction("asr")
    'Recognize the speech and give me the transcription.'
    """
    return TEST_INSTRUCTIONS[task]


def training_instructions(task):
    """The paraphrase list of a task.

    Example
    -------
    >>> len(training_instructions("asr"))
    15
    """
    return list(TRAIN_INSTRUCTIONS[task])


def random_instruction(instructions):
    """Draws one instruction with the torch RNG (seeded by the recipe).

    Example
    -------
    >>> random_instruction(["only one"])
    'only one'
    """
    return instructions[int(torch.randint(len(instructions), ()).item())]


def all_training_instructions():
    """Task -> paraphrase list, for every task (the multitask recipe).

    Example
    -------
    >>> sorted(all_training_instructions())
    ['asr', 'captioning', 'emotion', 'en2zh', 'sv']
    """
    return {task: list(paraphrases) for task, paraphrases in TRAIN_INSTRUCTIONS.items()}


def all_evaluation_instructions():
    """Task -> fixed evaluation instruction, for every task.

    Example
    -------
    >>> all_evaluation_instructions()["sv"]
    'Do you only hear the same person talking? Answer yes or no.'
    """
    return dict(TEST_INSTRUCTIONS)
