"""One settings resolution (settings.py): precedence with provenance, tested in-process; then
the same resolution seen from the console script, TAB completion and `config show`."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from helpers.cli import BIN, Cli

from iggy_cli.errors import UsageError
from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.settings import ConfigView, Flags, normalize_url, resolve

PROD = {"url": "https://prod.example:3000", "username": "admin", "store": "file", "timeout": 30}
CONFIG = ConfigView(
    current_context="prod",
    contexts={"prod": PROD, "dev": {"url": "http://dev.example:3000"}},
    servers={"dev.example:3000": {"store": "none", "timeout": 5}, "localhost:3000": {"timeout": 7}},
)
ENV = {"IGGY_URL": "http://env.example:3000", "IGGY_USERNAME": "env-user", "IGGY_STORE": "keyring"}


def resolved(flags: Flags, env: dict[str, str], config: ConfigView = CONFIG) -> dict[str, Any]:
    settings, notices = resolve(flags, env, config)
    return {
        "url": (settings.url, settings.origin("url")),
        "username": (settings.username, settings.origin("username")),
        "store": (settings.store, settings.origin("store")),
        "timeout": (settings.timeout_s, settings.origin("timeout")),
        "context": settings.context,
        "notices": notices,
    }


def test_a_flag_beats_everything() -> None:
    flags = Flags(context="dev", url="http://flag.example:1", username="u", store="none", timeout=2)
    got = resolved(flags, ENV)
    assert got["url"] == ("http://flag.example:1", "--url")
    assert got["username"] == ("u", "--username")
    assert got["store"] == ("none", "--store")
    assert got["timeout"] == (2.0, "--timeout")


def test_an_explicit_context_beats_the_environment() -> None:
    got = resolved(Flags(context="prod"), ENV)
    assert got["url"] == ("https://prod.example:3000", "context 'prod' (--context)")
    assert got["username"] == ("admin", "context 'prod' (--context)")
    assert got["store"] == ("file", "context 'prod' (--context)")
    assert got["notices"] == []


def test_the_environment_beats_the_current_context_and_says_so() -> None:
    got = resolved(Flags(), ENV)
    assert got["url"] == ("http://env.example:3000", "IGGY_URL")
    assert got["username"] == ("env-user", "IGGY_USERNAME")
    assert got["store"] == ("keyring", "IGGY_STORE")
    # what the environment did not set still comes from the current context
    assert got["timeout"] == (30.0, "context 'prod' (the current context)")
    assert got["context"] == "prod"
    assert got["notices"] == [
        "IGGY_URL overrides the url of context 'prod' "
        "('http://env.example:3000' instead of 'https://prod.example:3000')",
        "IGGY_USERNAME overrides the username of context 'prod' ('env-user' instead of 'admin')",
        "IGGY_STORE overrides the store of context 'prod' ('keyring' instead of 'file')",
    ]


def test_iggy_context_names_the_current_context() -> None:
    got = resolved(Flags(), {"IGGY_CONTEXT": "dev"})
    assert got["context"] == "dev"
    assert got["url"] == ("http://dev.example:3000", "context 'dev' (IGGY_CONTEXT)")
    # remembered for the context's server, below the context itself
    assert got["store"] == ("none", "remembered for dev.example:3000")
    assert got["timeout"] == (5.0, "remembered for dev.example:3000")


def test_defaults_when_nothing_is_said() -> None:
    got = resolved(Flags(), {}, ConfigView())
    assert got["url"] == ("http://localhost:3000", "default")
    assert got["store"] == ("keyring", "default")
    assert got["timeout"] == (10.0, "default")
    assert got["username"] == (None, "default")
    remembered = resolved(Flags(), {}, ConfigView(servers=CONFIG.servers))
    assert remembered["timeout"] == (7.0, "remembered for localhost:3000")


def test_the_server_dialect_resolves_like_every_setting() -> None:
    config = ConfigView(
        current_context="old",
        contexts={"old": {"url": "http://old.example:3000", "server_dialect": "legacy"}},
        servers={"other.example:3000": {"server_dialect": "renaming"}},
    )

    def dialect(flags: Flags, env: dict[str, str]) -> tuple[str, str]:
        settings, _ = resolve(flags, env, config)
        return settings.server_dialect, settings.origin("server_dialect")

    assert dialect(Flags(server_dialect="first"), {}) == ("first", "--server-dialect")
    assert dialect(Flags(), {"IGGY_SERVER_DIALECT": "edge"}) == ("edge", "IGGY_SERVER_DIALECT")
    assert dialect(Flags(), {}) == ("legacy", "context 'old' (the current context)")
    other = Flags(url="http://other.example:3000")
    assert dialect(other, {"IGGY_CONTEXT": ""}) == ("legacy", "context 'old' (the current context)")
    plain = ConfigView(servers=config.servers)
    settings, _ = resolve(other, {}, plain)
    assert (settings.server_dialect, settings.origin("server_dialect")) == (
        "renaming",
        "remembered for other.example:3000",
    )
    assert resolve(Flags(), {}, ConfigView())[0].server_dialect == "auto"
    with pytest.raises(UsageError, match="IGGY_SERVER_DIALECT must be one of auto, first"):
        resolve(Flags(), {"IGGY_SERVER_DIALECT": "newest"}, ConfigView())
    with pytest.raises(UsageError, match="context 'x': server_dialect must be one of"):
        resolve(Flags(context="x"), {}, ConfigView(contexts={"x": {"server_dialect": "?"}}))


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        (Flags(timeout=float("nan")), {}, "--timeout must be more than 0"),
        (Flags(timeout=float("inf")), {}, "--timeout must be more than 0"),
        (Flags(timeout=1e308), {}, "--timeout must be more than 0"),
        (Flags(), {"IGGY_TIMEOUT": "inf"}, "IGGY_TIMEOUT must be more than 0"),
        (Flags(), {"IGGY_TIMEOUT": "soon"}, "IGGY_TIMEOUT must be a number of seconds"),
        (Flags(), {"IGGY_STORE": "cloud"}, "IGGY_STORE must be one of keyring, file, none"),
        (Flags(), {"IGGY_URL": "http://bad\udcff.example"}, "URL is not valid UTF-8"),
        (Flags(), {"IGGY_USERNAME": "b\udcffd"}, "IGGY_USERNAME is not valid UTF-8"),
        (Flags(context="nope"), {}, "no context named 'nope'"),
        (Flags(), {"IGGY_CONTEXT": "nope"}, "no context named 'nope' (from IGGY_CONTEXT)"),
        (Flags(ca_cert="/ca.pem", insecure=True), {}, "--ca-cert and --insecure contradict"),
    ],
    ids=[
        "timeout-nan", "timeout-inf", "timeout-huge", "env-timeout-inf", "env-timeout-word",
        "env-store", "env-url-not-utf8", "env-username-not-utf8", "missing-context",
        "missing-env-context", "tls-contradiction",
    ],
)  # fmt: skip
def test_bad_values_are_usage_errors_naming_their_source(
    flags: Flags, env: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError) as raised:
        resolve(flags, env, CONFIG)
    assert message in raised.value.message


def test_a_context_with_an_infinite_timeout_is_refused() -> None:
    config = ConfigView(contexts={"x": {"url": "http://a:1", "timeout": float("inf")}})
    with pytest.raises(UsageError) as raised:
        resolve(Flags(context="x"), {}, config)
    assert raised.value.message.startswith("timeout (from context 'x') must be more than 0")


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTP://LOCALHOST:3000/", "http://localhost:3000"),
        ("https://Iggy.Example.com", "https://iggy.example.com"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("http://127.0.0.1:03000/api/", "http://127.0.0.1:3000/api"),
    ],
)
def test_urls_are_normalised(url: str, normal: str) -> None:
    assert normalize_url(url) == normal


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x",
        "localhost:3000",
        "http://",
        "http://host:99999",
        "http://host:0",
        "http://a\u200bb:3000",
        "http://user:pw@host",
        "http://host/?q=1",
        "http://ho st",
        "http://host\x1b[2J",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(UsageError):
        normalize_url(url)


# ---- the same resolution, seen from outside ----------------------------------------------


def test_an_explicit_context_beats_an_exported_url(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("context", "create", "prod", "--url", sandbox.url).code == 0
    result = cli(
        "--context", "prod", "status", "-o", "json", env={"IGGY_URL": "http://127.0.0.1:1"}
    )
    assert result.json["url"] == sandbox.url  # type: ignore[index]


def test_an_exported_url_over_the_current_context_is_said(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("context", "create", "prod", "--url", "http://127.0.0.1:1", "--use").code == 0
    result = cli("pat", "list", env=cli.as_admin())  # IGGY_URL (the sandbox) wins
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"notice: IGGY_URL overrides the url of context 'prod' "
        f"('{sandbox.url}' instead of 'http://127.0.0.1:1')"
    )


def complete(cli: Cli, line: str, env: dict[str, str | None]) -> list[str]:
    words = line.split(" ")
    merged = {**cli.env, "_IGGY_COMPLETE": "bash_complete", "COMP_WORDS": line,
              "COMP_CWORD": str(len(words) - 1)}  # fmt: skip
    for key, value in env.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    done = subprocess.run([str(BIN / "iggy")], env=merged, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    return [line.partition(",")[2] for line in done.stdout.splitlines()]


def test_tab_follows_the_current_context(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", env=cli.as_admin()).code == 0
    assert cli("context", "create", "here", "--url", sandbox.url).code == 0
    assert complete(cli, "iggy pat delete ", {"IGGY_URL": None}) == []
    assert cli("context", "use", "here").code == 0
    assert complete(cli, "iggy pat delete ", {"IGGY_URL": None}) == ["deploy"]
    assert complete(cli, "iggy --context here pat token ", {"IGGY_URL": None}) == ["deploy"]
    assert complete(cli, "iggy pat rotate ", {"IGGY_URL": None, "IGGY_CONTEXT": "here"}) == [
        "deploy"
    ]


def test_tab_normalises_the_url(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", env=cli.as_admin()).code == 0
    shouting = sandbox.url.replace("http://", "HTTP://").replace("127.0.0.1", "127.0.0.1") + "/"
    assert complete(cli, "iggy pat delete ", {"IGGY_URL": shouting}) == ["deploy"]
    assert complete(cli, f"iggy pat delete --url {shouting} ", {"IGGY_URL": None}) == ["deploy"]


def test_config_show_names_each_origin(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("context", "create", "prod", "--url", sandbox.url, "-u", "admin", "--use").code == 0
    assert cli("config", "set", "timeout", "30", env={"IGGY_URL": None}).code == 0
    shown = cli("config", "show", "-o", "json", env={"IGGY_URL": None, "IGGY_STORE": "file"})
    assert shown.code == 0, shown.stderr
    rows = {row["setting"]: (row["value"], row["origin"]) for row in json.loads(shown.stdout)}
    assert rows["context"] == ("prod", "`iggy context use`")
    assert rows["url"] == (sandbox.url, "context 'prod' (the current context)")
    assert rows["username"] == ("admin", "context 'prod' (the current context)")
    assert rows["store"] == ("file", "IGGY_STORE")
    assert rows["timeout"] == (30.0, f"remembered for {sandbox.url.removeprefix('http://')}")
