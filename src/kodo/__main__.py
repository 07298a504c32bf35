from __future__ import annotations

import sys

from kodo.cli import main

sys.exit(main())
