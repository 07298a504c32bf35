"""Which variables commands see: secrets go by name or by value, host-service pointers go inside
the sandbox, and ``env_allow`` overrides both."""

from __future__ import annotations

import pytest

from kodo.sandbox.env import is_host_pointer, is_secret, scrubbed_env


@pytest.mark.parametrize(
    "name",
    [
        "OPENAI_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "GH_TOKEN",
        "db_password_x",
        "MYSQL_PWD",
        "SENTRY_DSN",
        "SLACK_WEBHOOK_URL",
        "BASIC_AUTH",
        "HTTP_AUTHORIZATION",
        "OAUTH_CLIENT",
        "SESSION_JWT",
        "GITHUB_PAT",
        "PAT_VALUE",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "STRIPE_APIKEY",
        "GPG_PASSPHRASE",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize(
    "name",
    [
        "PATH",
        "PWD",
        "OLDPWD",
        "HOME",
        "LD_LIBRARY_PATH",
        "PYTHONPATH",
        "MANPATH",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "TOKENIZERS_PARALLELISM",
        "LANG",
        "KEYMAP",
    ],
)
def test_ordinary_names(name: str) -> None:
    assert not is_secret(name, "/usr/bin:/bin")


@pytest.mark.parametrize(
    "value",
    [
        "postgres://app:hunter2@db/app",
        "https://x-access-token:abc@github.com/o/r.git",
        "sk-" + "a1" * 12,
        "sk-ant-api03-" + "Zz9" * 10,
        "ghp_" + "A1b2" * 9,
        "github_pat_" + "A1_b2" * 8,
        "glpat-" + "x1" * 10,
        "xoxb-123456789012-abcdef",
        "AKIAIOSFODNN7EXAMPLE",
        "hf_" + "aB3" * 11,
        "AIza" + "b2C" * 12 + "d1",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
        "-----BEGIN PRIVATE KEY-----",
        "first https://u:p@host/x second",
    ],
)
def test_secret_values_whatever_the_name(value: str) -> None:
    assert is_secret("SOME_SETTING", value)


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com:8443/path@v1",
        "ssh://git@github.com/o/r.git",
        "task-runner-with-a-very-long-name",
        "sk-learn",
        "/home/me/.local/bin:/usr/bin",
        "en_US.UTF-8",
        "-----BEGIN CERTIFICATE-----",
    ],
)
def test_ordinary_values(value: str) -> None:
    assert not is_secret("SOME_SETTING", value)


@pytest.mark.parametrize(
    "name",
    [
        "SSH_AUTH_SOCK",
        "DBUS_SESSION_BUS_ADDRESS",
        "DBUS_SYSTEM_BUS_ADDRESS",
        "GPG_AGENT_INFO",
        "DOCKER_HOST",
        "XDG_RUNTIME_DIR",
        "WAYLAND_DISPLAY",
        "DISPLAY",
        "SWAYSOCK",
        "VSCODE_IPC_HOOK_CLI",
        "VSCODE_GIT_IPC_HANDLE",
        "MPD_SOCKET",
    ],
)
def test_host_pointers(name: str) -> None:
    assert is_host_pointer(name)


def test_host_pointers_only_leave_sandboxed_environments() -> None:
    base = {"SSH_AUTH_SOCK": "/run/agent", "PATH": "/bin", "SOCKS_PROXY": "socks5://proxy"}
    assert scrubbed_env(base=base) == base
    assert scrubbed_env(base=base, sandboxed=True) == {
        "PATH": "/bin",
        "SOCKS_PROXY": "socks5://proxy",
    }


def test_allow_list_wins() -> None:
    base = {"GH_TOKEN": "t", "URL": "https://u:p@h/", "SSH_AUTH_SOCK": "/s", "X": "1"}
    allowed = scrubbed_env(["GH_TOKEN", "URL", "SSH_AUTH_SOCK"], base, sandboxed=True)
    assert allowed == base
    assert scrubbed_env(base=base, sandboxed=True) == {"X": "1"}
