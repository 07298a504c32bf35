"""``kodo model``: install, list and serve the embedded local model."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from kodo.models.base import ModelError


def _say(text: str) -> None:
    print(f"kodo: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from kodo.models import local_store

    try:
        if args.action == "pull":
            local_store.pull(args.name or local_store.QWEN_CODER_1_5B.name, _say)
        elif args.action == "list":
            found = local_store.installed_models()
            if not found:
                print(f"no local models in {local_store.models_dir()}: run `kodo model pull`")
            for path in found:
                print(local_store.describe(path))
        else:
            return _serve(args)
    except ModelError as exc:
        _say(str(exc))
        return 1
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Serve the model on loopback until interrupted, for other tools or a batch to share."""
    from kodo.models.local_server import DEFAULT_CONTEXT, LocalServer
    from kodo.models.local_store import QWEN_CODER_1_5B, model_path

    server = LocalServer(
        model_path(args.name or QWEN_CODER_1_5B.name),
        context=args.context or DEFAULT_CONTEXT,
        threads=args.threads,
    )
    url = server.start(args.port)
    print(url, flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
