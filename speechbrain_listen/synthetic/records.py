"""The JSON record each synthetic corpus keeps about itself.

Authors
 * speechbrain-listen contributors 2026
"""

import json
from pathlib import Path


def read_record(path):
    """A JSON object from ``path``, or None if missing, unreadable or not a dict.

    Example
    -------
    >>> read_record("/nonexistent/record.json") is None
    True
    """
    try:
        with open(Path(path), encoding="utf-8") as fin:
            info = json.load(fin)
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None
