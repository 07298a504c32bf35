"""Where kodo keeps its own files: ``$KODO_HOME``, or ``~/.kodo``.

Always an absolute path with ``~`` expanded, the same for everyone who asks: the sandbox masks
it, kodo reads its config, trust decisions and kept sandbox plans from it, and a relative or
unexpanded value taken two ways (one masked, one read) would let a command write what kodo
reads next. Standard library only, for ``kodo sandbox -- CMD``'s quick path.
"""

from __future__ import annotations

import os


def kodo_home_path() -> str:
    return os.path.abspath(os.path.expanduser(os.environ.get("KODO_HOME") or "~/.kodo"))
