"""Showcase: ``kodo exec "Create a login API using FastAPI"``, the way a strong model does it.

The scripted model loads the web-api skill, writes the app and its tests, runs them, fixes the
failure it reads in pytest's output (the token dependency took ``authorization`` from the query
string, so /me answered 422), starts uvicorn in the sandbox, probes it over HTTP and stops it.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from tests.e2e.harness import command_of, exec_args, run_kodo
from tests.e2e.showcase.session import (
    PY,
    Session,
    background_id,
    contains,
    patch_add,
    plan,
    source,
    succeeded,
)
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply
from tests.processes import processes_matching
from tests.ui.helpers import wait_until

PROMPT = "Create a login API using FastAPI"
PORT = random.randint(40000, 49000)  # any port: the sandbox has its own loopback
APP_FILES = [
    "app/__init__.py",
    "app/settings.py",
    "app/auth.py",
    "app/main.py",
    "tests/test_api.py",
]
PYTEST = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
FIX = """\
*** Begin Patch
*** Update File: app/main.py
@@
-from fastapi import Depends, FastAPI, HTTPException
+from fastapi import Depends, FastAPI, Header, HTTPException
@@ def create_app(settings: Settings | None = None) -> FastAPI:
-    def current_user(authorization: str) -> str:
-        scheme, _, token = authorization.partition(" ")
+    def current_user(authorization: str | None = Header(default=None)) -> str:
+        scheme, _, token = (authorization or "").partition(" ")
*** End Patch
"""
PROBES = [
    "POST /register 201 {'username': 'alice'}",
    "POST /register again 409",
    "POST /login wrong password 401",
    "POST /login 200 bearer",
    "GET /me 200 {'username': 'alice'}",
    "GET /me without token 401",
]


STEPS = [
    "Check what is installed",
    "Write the app (scrypt hashing, signed expiring tokens) and its tests",
    "Run the tests and fix failures",
    "Run the server, probe every endpoint, stop it",
]


def script(session: Session) -> list:
    server = {
        "command": [
            PY,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
        ],
        "background": True,
    }
    versions = "import fastapi, uvicorn, httpx; print(fastapi.__version__, uvicorn.__version__)"
    handle: dict[str, str] = {}

    def probe(output: str) -> Reply:
        handle["id"] = background_id(output)
        return Reply(tool_calls=[Call("shell", {"command": [PY, "scripts/smoke.py", str(PORT)]})])

    def stop(output: str) -> Reply:
        return Reply(
            text="Every endpoint answers as the tests say. Stopping the server.",
            tool_calls=[Call("process", {"action": "stop", "id": handle["id"]})],
        )

    return [
        Reply(
            text="This is a web API task; loading the web-api skill first.",
            tool_calls=[Call("load_skill", {"name": "web-api"})],
        ),
        session.after(
            contains("# Skill: web-api", "hashlib.scrypt"),
            Reply(tool_calls=[plan(STEPS, 0), Call("shell", {"command": [PY, "-c", versions]})]),
        ),
        session.after(
            contains("exit code 0"),
            Reply(
                text="FastAPI, uvicorn and httpx are installed. Writing `app/` and `tests/`.",
                tool_calls=[
                    plan(STEPS, 1),
                    Call(
                        "apply_patch",
                        {"patch": patch_add({p: source(f"web_api/{p}") for p in APP_FILES})},
                    ),
                ],
            ),
        ),
        session.after(
            succeeded, Reply(tool_calls=[plan(STEPS, 2), Call("shell", {"command": PYTEST})])
        ),
        session.after(
            contains("4 failed, 7 passed", '"loc":["query","authorization"]'),
            Reply(
                text=(
                    "The four `/me` tests get 422, and the body says why: `authorization` is "
                    "expected in the *query string*. A plain `str` parameter of a dependency is a "
                    "query parameter in FastAPI; it has to be declared with `Header()`, and be "
                    "optional so a missing header gives 401 rather than 422."
                ),
                tool_calls=[Call("apply_patch", {"patch": FIX})],
            ),
        ),
        session.after(succeeded, Reply(tool_calls=[Call("shell", {"command": PYTEST})])),
        session.after(
            contains("11 passed"),
            Reply(
                text="All 11 tests pass. Now the real server, probed over HTTP.",
                tool_calls=[
                    plan(STEPS, 3),
                    Call(
                        "apply_patch",
                        {
                            "patch": patch_add(
                                {"scripts/smoke.py": source("web_api/scripts/smoke.py")}
                            )
                        },
                    ),
                    Call("shell", server),
                ],
            ),
        ),
        session.after(contains("started in the background"), probe),
        session.after(contains(*PROBES), stop),
        session.after(
            succeeded,
            Reply(
                text=(
                    "Done: a FastAPI login API in `app/`.\n\n"
                    "- `POST /register` (201, 409 if taken, 422 for a short password), "
                    "`POST /login` (bearer token, 401 on bad credentials), `GET /me` "
                    "(401 with `WWW-Authenticate: Bearer` without a valid token).\n"
                    "- Passwords: salted `hashlib.scrypt` (n=2**14), compared with "
                    "`hmac.compare_digest`. Tokens: HMAC-SHA256 signed, expiring "
                    "(`APP_SECRET_KEY`, `APP_TOKEN_TTL_S`).\n"
                    "- Verified: 11 pytest tests pass (the first run caught `/me` reading the "
                    "token from the query string); uvicorn answered every probe as expected "
                    "and was stopped.\n\n"
                    "Run it: `python -m uvicorn app.main:app`. Users live in memory; use a "
                    "database before production."
                )
            ),
        ),
    ]


def test_login_api_written_tested_fixed_and_probed(tmp_path: Path) -> None:
    session = Session()
    with ScriptedOpenAIServer(script(session)) as srv:
        run = run_kodo(exec_args(srv.base_url, PROMPT), cwd=tmp_path)
    assert session.problems == []
    assert run.returncode == 0, run.stderr
    assert run.of_type("session_completed")[0]["status"] == "completed"

    results = run.tool_results
    assert all(r["ok"] for r in results if r["name"] != "shell"), results
    pytests = [r for r in results if r["name"] == "shell" and "pytest" in command_of(r)]
    assert [r["detail"]["exit_code"] for r in pytests] == [1, 0]
    assert "4 failed, 7 passed" in pytests[0]["output"]
    assert "assert 422 == 200" in pytests[0]["output"]
    assert "11 passed" in pytests[1]["output"]
    smoke = next(r for r in results if "smoke.py" in command_of(r))
    assert smoke["detail"]["exit_code"] == 0
    assert [line for line in smoke["output"].splitlines() if line[:4] in ("POST", "GET ")] == PROBES
    stopped = next(r for r in results if r["name"] == "process")
    assert "running" not in stopped["output"].splitlines()[0]

    main = (tmp_path / "app/main.py").read_text()
    assert "authorization: str | None = Header(default=None)" in main
    again = subprocess.run(PYTEST, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "11 passed" in again.stdout
    assert wait_until(lambda: not processes_matching(f"--port {PORT}"), timeout=5)
