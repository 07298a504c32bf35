"""One session's parts, assembled the same way for ``kodo exec`` and the interactive shell.

Assembly is split in two so that failures which need no cleanup (unknown session, bad model
config, no sandbox) surface before anything is written, and everything started afterwards is
released by one idempotent ``close``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kodo.config import Config, kodo_home
from kodo.events import Event, Notice

if TYPE_CHECKING:
    from kodo.agent.conversation import Conversation
    from kodo.agent.loop import Agent, RunOutcome
    from kodo.mcp.manager import McpManager
    from kodo.models.base import Model
    from kodo.sandbox.base import Approver, Executor
    from kodo.sandbox.login_env import LoginSnapshot
    from kodo.session.rollout import RolloutWriter
    from kodo.skills import Skill
    from kodo.tools.base import ToolContext


LOCAL_DEFAULT_NOTE = (
    "no provider configured and no API key in the environment: using the embedded local model "
    "{model} (small; simple tasks only). For a stronger model set OPENAI_API_KEY or "
    "ANTHROPIC_API_KEY, or pass --provider with -m."
)


class SessionSetupError(Exception):
    """The session could not be assembled; the message is meant for the person."""


class Notices:
    """Notices from setting the session up and running it (``Notice`` events). Those from
    before the session file is open are held, then sent right after ``session_started``, so
    the log and every front end get them in order, and the shell prints none while the person
    is still typing."""

    def __init__(self) -> None:
        self._held: list[str] = []
        self._emit: Callable[[Event], None] | None = None
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self._lock:
            emit = self._emit
            if emit is None:
                self._held.append(text)
        if emit is not None:
            emit(Notice(text=text))

    def open(self, emit: Callable[[Event], None]) -> None:
        with self._lock:
            self._emit = emit
            held, self._held = self._held, []
        for text in held:
            emit(Notice(text=text))


class Session:
    """Config, model, executor, tools and the session file of one conversation."""

    def __init__(
        self,
        *,
        config: Config,
        cwd: Path,
        session_id: str,
        rollout: Path,
        resumed: bool,
        conversation: Conversation,
        instructions: str | None,
        skills: list[Skill],
        model: Model,
        executor: Executor,
        login: LoginSnapshot | None = None,
        show: Callable[[Event], None],
        notices: Notices,
    ) -> None:
        self.config = config
        self.cwd = cwd
        self.session_id = session_id
        self.rollout = rollout  # the session file (JSONL) this session writes
        self.resumed = resumed
        self.conversation = conversation
        self.instructions = instructions
        self.skills = skills
        self.model = model
        self.executor = executor
        self.login = login  # the login environment commands run in
        self.show = show
        self.notices = notices
        self.writer: RolloutWriter | None = None
        self.mcp: McpManager | None = None
        self.ctx: ToolContext | None = None
        self.agent: Agent | None = None
        self.closed = False

    def emit(self, event: Event) -> None:
        if self.writer is not None:
            self.writer(event)
        self.show(event)

    def record(self, event: Event) -> None:
        """Writes an event to the session file without showing it."""
        if self.writer is not None:
            self.writer(event)

    def start(
        self, *, approver: Approver | None = None, cancel: threading.Event | None = None
    ) -> Agent:
        """Announce the session, send project instructions, start MCP servers, build the agent.
        ``approver`` answers the approval questions (None: nobody can be asked); ``cancel``, set
        by the front end, stops the running turn: the agent, its commands and its tools."""
        from kodo.agent.loop import Agent
        from kodo.agent.toolset import default_tools
        from kodo.events import SessionStarted, UserMessage
        from kodo.session.rollout import RolloutWriter
        from kodo.tools.base import ToolContext

        self.writer = RolloutWriter(self.rollout)
        self.emit(
            SessionStarted(
                session_id=self.session_id,
                model=self.config.model,
                provider=self.config.provider,
                cwd=str(self.cwd),
                resumed_from=self.session_id if self.resumed else None,
                base_url=self.config.base_url,
            )
        )
        self.notices.open(self.emit)
        if self.instructions:
            self.conversation.add_instructions(self.instructions)
            self.record(UserMessage(text=self.instructions, kind="instructions"))
        self.ctx = ToolContext(
            cwd=self.cwd,
            config=self.config,
            emit=self.emit,
            executor=self.executor,
            approver=approver,
            cancel=cancel if cancel is not None else threading.Event(),
        )
        tools = default_tools(self.config, self.skills)
        if self.config.mcp_servers:  # the MCP SDK and asyncio load only when servers are named
            from kodo.mcp.manager import McpManager
            from kodo.mcp.tools import McpToolSet

            self.mcp = McpManager(self.config.mcp_servers, cwd=self.cwd)
            for problem in self.mcp.start():
                self.notices(problem)
            ctx = self.ctx
            tools.attach(McpToolSet(self.mcp, set(tools.names), lambda: ctx.config.provider))
        self.agent = Agent(
            config=self.config,
            model=self.model,
            tools=tools,
            ctx=self.ctx,
            conversation=self.conversation,
            emit=self.emit,
            cancel=self.ctx.cancel,
        )
        return self.agent

    def close(self, outcome: RunOutcome) -> None:
        """Stop MCP servers and every process, then record how the session ended (when it was
        started: a session never started leaves no file). Idempotent."""
        from kodo.events import SessionCompleted

        if self.closed:
            return
        self.closed = True
        try:
            if self.mcp is not None:
                self.mcp.close()
            self.executor.close()
            if self.login is not None:
                self.login.close()  # a capture no command waited for
        finally:
            if self.writer is not None:
                self.emit(
                    SessionCompleted(
                        status=outcome.status,
                        exit_code=outcome.exit_code,
                        final_message=outcome.final_message,
                        error=outcome.error,
                        claimed_success=outcome.claimed_success,
                        verified=outcome.verified,
                        done_when=outcome.done_when,
                        done_met=outcome.done_met,
                        done_verdict=outcome.done_verdict,
                    )
                )
                self.writer.close()


def open_session(
    config: Config,
    cwd: Path,
    *,
    resume: str | None,
    show: Callable[[Event], None],
) -> Session:
    """``resume`` is a session id (or prefix), ``"--last"`` for the latest, or None for a new
    session. Raises ``SessionSetupError`` before anything is written (the sandbox, started
    early so that it is up by the first command, is stopped again)."""
    from kodo.agent.conversation import Conversation
    from kodo.agent.instructions import project_instructions, system_prompt
    from kodo.models.base import ModelError
    from kodo.models.factory import create_model
    from kodo.sandbox.base import SandboxUnavailable
    from kodo.sandbox.factory import create_executor
    from kodo.sandbox.login_env import LoginSnapshot
    from kodo.session.rollout import new_rollout_path, new_session_id
    from kodo.session.store import (
        RolloutNotFound,
        find_rollout,
        latest_rollout,
        read_events,
        session_id_of,
    )
    from kodo.skills import discover_skills

    # The profile runs, and the sandbox starts, while the rest is set up (and, for the
    # profile, while the first request is answered).
    notices = Notices()
    login = LoginSnapshot(config.shell_login, warn=notices)
    try:
        # Made before the sandbox masks it: one that appeared later would restart the sandbox.
        kodo_home().mkdir(mode=0o700, parents=True, exist_ok=True)
        executor = create_executor(config, cwd, env=login.environment, wait=False)
    except SandboxUnavailable as exc:
        login.close()
        raise SessionSetupError(str(exc)) from exc
    try:
        skills, skill_problems = discover_skills(cwd)
        for problem in skill_problems:
            notices(f"skipped a skill: {problem}")
        if resume:
            rollout = latest_rollout() if resume == "--last" else find_rollout(resume)
            conversation = Conversation.from_events(
                system_prompt(skills, config.profile_name), read_events(rollout)
            )
            session_id = session_id_of(rollout)
            instructions = None
        else:
            conversation = Conversation(system_prompt(skills, config.profile_name))
            instructions = project_instructions(cwd)
            session_id = new_session_id()
            rollout = new_rollout_path(session_id)
        if config.provider_defaulted:
            notices(LOCAL_DEFAULT_NOTE.format(model=config.model))
        model = create_model(config)
        from kodo.agent import loop, toolset  # noqa: F401 - what start() needs, loaded meanwhile

        getattr(executor, "ready", lambda: None)()  # a sandbox that cannot start fails here
    except (RolloutNotFound, ModelError, SandboxUnavailable) as exc:
        executor.close()
        login.close()
        notices.open(show)  # no session file to hold them: what led here is shown at least
        raise SessionSetupError(str(exc)) from exc
    return Session(
        config=config,
        cwd=cwd,
        session_id=session_id,
        rollout=rollout,
        resumed=bool(resume),
        conversation=conversation,
        instructions=instructions,
        skills=skills,
        model=model,
        executor=executor,
        login=login,
        show=show,
        notices=notices,
    )
