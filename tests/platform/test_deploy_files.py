"""deploy/ matches docs/deploy.md: the systemd units and the compose file run the commands the document names
for each process and give them every variable production requires (from the document's Environment table)."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOC = (ROOT / "docs" / "deploy.md").read_text()


def _section(title: str) -> str:
    return DOC.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _documented_commands() -> dict[str, list[str]]:
    """The processes table: process name -> its command, e.g. web -> [emotipal, serve, --production]."""
    rows = re.findall(r"^\| (\w+) \| `(emotipal [^`]+)` \|", _section("The processes"), re.M)
    return {name: shlex.split(command) for name, command in rows}


def _required_variables() -> set[str]:
    return set(re.findall(r"^\| `([A-Z_]+)` \|", _section("Environment"), re.M))


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read(DEPLOY / "systemd" / name)
    return unit


def _env_file(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#")
    )
    return {key: value for key, value in pairs}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_the_document_names_both_commands_and_the_required_variables() -> None:
    assert _documented_commands() == {
        "web": ["emotipal", "serve", "--production"],
        "tasks": ["emotipal", "worker"],
    }
    assert {
        "EMOTIPAL_SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "EMOTIPAL_ALLOWED_HOSTS",
    } <= _required_variables()


def test_systemd_units_run_the_documented_commands_with_the_environment_file() -> None:
    commands = _documented_commands()
    env_file = _env_file(DEPLOY / "emotipal.env.example")
    for unit_name, process in (("emotipal-web.service", "web"), ("emotipal-worker.service", "tasks")):
        service = _unit(unit_name)["Service"]
        program, *args = shlex.split(service["ExecStart"])
        assert Path(program).name == "emotipal" and Path(program).parent.name == "bin", program
        assert [Path(program).name, *args] == commands[process], unit_name
        assert service["EnvironmentFile"] == "/etc/emotipal/emotipal.env"
        assert service["Restart"] == "on-failure"
    # The example of that file names every required variable, production mode on, and ships no secret.
    assert env_file["EMOTIPAL_ENV"] == "production"
    assert _required_variables() <= set(env_file), _required_variables() - set(env_file)
    assert all(env_file[name] == "" for name in _required_variables())


def test_compose_runs_web_worker_postgres_and_redis_with_the_required_environment() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"web", "worker", "postgres", "redis"}
    commands = _documented_commands()
    # Options after `serve --production` go to gunicorn (docs/deploy.md): a container listens on all addresses.
    assert services["web"]["command"][:3] == commands["web"]
    assert services["web"]["command"][3:] == ["--bind", "0.0.0.0:8000"]
    assert services["worker"]["command"] == commands["tasks"]
    assert services["web"]["healthcheck"]["test"] == ["CMD", "emotipal", "readiness"]
    assert services["worker"]["depends_on"]["web"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["EMOTIPAL_ENV"] == "production"
        assert _required_variables() <= set(env), _required_variables() - set(env)
        assert "@postgres:5432/" in env["DATABASE_URL"] and env["REDIS_URL"].startswith("redis://redis:6379/")
        # Secrets come from deploy/.env, and compose refuses to start without them rather than run with none.
        for secret in ("EMOTIPAL_SECRET_KEY", "EMOTIPAL_FIELD_KEYS", "EMOTIPAL_VAPID_PRIVATE_KEY"):
            assert env[secret] == f"${{{secret}:?set {secret} in deploy/.env}}"
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "emotipal"


def test_the_document_points_at_deploy_and_the_smoke_test() -> None:
    for path in (
        "deploy/systemd/emotipal-web.service",
        "deploy/systemd/emotipal-worker.service",
        "deploy/compose.yaml",
        "scripts/smoke_production.py",
    ):
        assert f"`{path}`" in DOC, path
        assert (ROOT / path).is_file(), path
    assert "make smoke" in DOC and "make smoke" in (ROOT / ".ci" / "run").read_text()
