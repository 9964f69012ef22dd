"""Offline defaults for the heavy dependencies.

Hugging Face, transformers, litellm and tldextract all try the network at import
time unless told otherwise. These defaults are applied with ``setdefault`` so a
user who set a variable keeps their value.
"""

import os

OFFLINE_DEFAULTS: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "LITELLM_OFFLINE_MODE": "true",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # transformers draws a "Loading weights" bar on stderr at every model load; the CLI
    # keeps stderr for errors and its own progress bars
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}


def apply_offline_defaults() -> None:
    for name, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(name, value)
