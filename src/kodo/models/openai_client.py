"""The OpenAI SDK client both OpenAI wire protocols use: our retry policy, our timeout."""

from __future__ import annotations

import openai

from kodo.models.errors import Endpoint


def openai_client(where: Endpoint, api_key: str) -> openai.OpenAI:
    """SDK retries are off (``retry.py`` is the one retry policy); no credentials are read from
    the environment here, the factory already chose the key."""
    return openai.OpenAI(
        api_key=api_key,
        base_url=where.base_url,
        timeout=where.timeout_s,
        max_retries=0,
    )
