"""Builds the model a config names: which wire protocol, which endpoint, which key.

API keys come only from the environment (``api_key_env`` names the variable). Local
OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, Ollama) usually need no key, so a custom
base URL without one gets a placeholder; the real OpenAI and Anthropic endpoints do not.
A provider's module is imported only here, when a model is made, so ``kodo --help`` stays fast.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from kodo.config import Config
from kodo.models.base import Model, ModelError
from kodo.models.errors import Endpoint
from kodo.models.text_calls import RESULT_TAG

OPENAI_URL = "https://api.openai.com/v1"
ANTHROPIC_URL = "https://api.anthropic.com"
OLLAMA_URL = "http://127.0.0.1:11434/v1"
KEYED_HOSTS = {"api.openai.com", "api.anthropic.com"}
PLACEHOLDER_KEY = "kodo-no-key"


LOCAL_TEMPERATURE = 0.0
LOCAL_MAX_OUTPUT_TOKENS = 2048


def _local_url(config: Config) -> str:
    from kodo.models.local_server import LOCAL_URL_ENV, local_base_url
    from kodo.models.local_store import model_path

    shared = os.environ.get(LOCAL_URL_ENV, "").strip()
    if shared:  # a batch parent's server: this process's KODO_HOME need not hold the weights
        return shared.rstrip("/")
    return local_base_url(
        model_path(config.model), context=config.context_window, threads=config.local_threads
    )


def _base_url(config: Config) -> str:
    provider = config.provider
    if provider == "local":
        return _local_url(config)
    if provider == "anthropic":
        url = config.base_url or os.environ.get("ANTHROPIC_BASE_URL") or ANTHROPIC_URL
    elif provider == "ollama":
        url = config.base_url or OLLAMA_URL
    elif provider == "openai":
        url = config.base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL
    else:
        url = config.base_url or os.environ.get("OPENAI_BASE_URL") or ""
        if not url:
            raise ModelError(
                "provider openai-chat needs the server's base URL: pass --base-url "
                "(e.g. http://127.0.0.1:8000/v1) or set OPENAI_BASE_URL; for api.openai.com "
                "use --provider openai"
            )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ModelError(
            f"base URL {url!r} is not an http(s) URL: give it like http://127.0.0.1:8000/v1"
        )
    return url.rstrip("/")


def _api_key(config: Config, base_url: str) -> tuple[str, str, bool]:
    """The key, the variable it came from, and whether it is a real key."""
    default_var = "ANTHROPIC_API_KEY" if config.provider == "anthropic" else "OPENAI_API_KEY"
    var = config.api_key_env or default_var
    key = os.environ.get(var, "").strip()
    if key:
        return key, var, True
    if config.api_key_env or urlsplit(base_url).hostname in KEYED_HOSTS:
        raise ModelError(
            f"{var} is not set: export {var}=... (or set api_key_env in config.toml), or work "
            "offline with the embedded model: --provider local"
        )
    return PLACEHOLDER_KEY, var, False


def _request_options(config: Config) -> dict[str, object]:
    """Sampling settings sent with each request; the local model defaults to greedy decoding
    and a cap on reply length, so a small model stuck repeating itself stops."""
    local = config.provider == "local"
    temperature = config.temperature
    if temperature is None and local:
        temperature = LOCAL_TEMPERATURE
    max_tokens = config.max_output_tokens or (LOCAL_MAX_OUTPUT_TOKENS if local else None)
    options: dict[str, object] = {}
    if local or config.tool_call_format == "text":
        # Small models go on to write the tool's answer themselves; it must come from the tool.
        options["stop"] = [RESULT_TAG]
    if temperature is not None:
        options["temperature"] = temperature
    if max_tokens is not None:
        options["max_tokens"] = max_tokens
    return options


def create_model(config: Config) -> Model:
    base_url = _base_url(config)
    if config.provider in ("ollama", "local") and not config.api_key_env:
        key, var, key_set = PLACEHOLDER_KEY, "OPENAI_API_KEY", False
    else:
        key, var, key_set = _api_key(config, base_url)
    where = Endpoint(
        provider=config.provider,
        base_url=base_url,
        model=config.model,
        key_env=var,
        key_set=key_set,
        timeout_s=config.request_timeout_s,
    )
    if config.provider == "anthropic":
        from kodo.models.anthropic import AnthropicModel

        return AnthropicModel(where, key)
    if config.provider == "openai":
        from kodo.models.openai_responses import OpenAIResponsesModel

        return OpenAIResponsesModel(where, key)
    from kodo.models.openai_chat import OpenAIChatModel

    return OpenAIChatModel(where, key, options=_request_options(config))
