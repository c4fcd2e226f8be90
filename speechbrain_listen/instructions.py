"""Task instructions: one fixed test instruction, many training paraphrases.

Training draws a random paraphrase per example so that the model follows the
meaning of an instruction rather than one string; evaluation always uses the
fixed test instruction of the paper (DESIGN.md section 2).

Authors
 * speechbrain-listen contributors 2026
"""

import torch

TEST_INSTRUCTIONS = {
    "asr": "Recognize the speech and give me the transcription.",
    "captioning": "Please describe the audio.",
}

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
