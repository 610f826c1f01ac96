"""Audit the GitHub Actions workflows with zizmor and check the structure that matters."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load_workflow(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def test_zizmor_offline_finds_nothing() -> None:
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", *map(str, WORKFLOWS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_structure(path: Path) -> None:
    workflow = load_workflow(path)

    assert workflow["permissions"] == {}, "top-level permissions must be empty"
    assert "group" in workflow["concurrency"]
    assert workflow["concurrency"].get("cancel-in-progress") is False

    for name, job in workflow["jobs"].items():
        assert "timeout-minutes" in job, f"job {name} has no timeout"
        assert "permissions" in job, f"job {name} has no permissions of its own"
        for step in job.get("steps", []):
            if "uses" in step:
                assert PINNED_ACTION.match(step["uses"]), f"{step['uses']} is not pinned to a commit SHA"


def test_site_workflow_deploys_pages() -> None:
    workflow = load_workflow(REPO_ROOT / ".github/workflows/site.yml")

    assert set(workflow["on"]) >= {"push", "pull_request"}
    assert workflow["on"]["push"]["branches"] == ["main"]

    jobs = workflow["jobs"]
    assert jobs["test"]["permissions"] == {"contents": "read"}
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert set(jobs["deploy"]["needs"]) == {"test", "build"}
    uses = [step.get("uses", "") for job in jobs.values() for step in job["steps"]]
    assert any(action.startswith("actions/upload-pages-artifact@") for action in uses)
    assert any(action.startswith("actions/deploy-pages@") for action in uses)


def test_site_tests_run_on_debian() -> None:
    container = load_workflow(REPO_ROOT / ".github/workflows/site.yml")["jobs"]["test"]["container"]

    # Debian's `chromium` package is the browser the tests are written for, and Ubuntu's is a snap wrapper.
    assert re.fullmatch(r"python:3\.11-bookworm(@sha256:[0-9a-f]{64})?", container["image"])
    assert "--shm-size" in container["options"]


def test_ci_runs_readme_test_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme
    assert "make test" in ci.splitlines()[-1]


def test_digest_workflow_schedule_and_deploy() -> None:
    workflow = load_workflow(REPO_ROOT / ".github/workflows/digest.yml")
    site = load_workflow(REPO_ROOT / ".github/workflows/site.yml")

    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    [schedule] = workflow["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert minute.isdigit(), f"minute {minute!r} is not a number"
    assert 0 <= int(minute) < 60
    assert int(minute) % 2 == 1, "run at an odd minute"
    assert hour.isdigit(), f"hour {hour!r} is not a number"
    assert 0 <= int(hour) < 24
    assert (day, month, weekday) == ("*", "*", "*"), "run daily"

    assert workflow["concurrency"] == site["concurrency"]

    jobs = workflow["jobs"]
    assert jobs["fetch"]["permissions"] == {"contents": "write"}
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["build"]["needs"] == "fetch"
    assert jobs["deploy"]["needs"] == "build"

    fetch_steps = jobs["fetch"]["steps"]
    assert any("wiki-tools digest fetch" in step.get("run", "") for step in fetch_steps)
    assert any(re.search(r"^\s*git .*\bpush\b", step.get("run", ""), re.MULTILINE) for step in fetch_steps)
    assert jobs["build"]["steps"][0]["with"]["ref"] == "${{ needs.fetch.outputs.sha }}"
    assert any(step.get("run") == "make site" for step in jobs["build"]["steps"])

    for name in ("fetch", "build"):
        [setup] = [step for step in jobs[name]["steps"] if step.get("uses", "").startswith("actions/setup-python@")]
        assert setup["with"]["cache"] == "pip"
        assert setup["with"]["cache-dependency-path"] == "pyproject.toml"

    # The Pages actions must be the very commits that site.yml uses.
    def pages_actions(document: dict) -> set[str]:
        uses = {step.get("uses", "") for job in document["jobs"].values() for step in job["steps"]}
        return {action for action in uses if action.split("@")[0] in ("actions/upload-pages-artifact", "actions/deploy-pages")}

    assert pages_actions(workflow) == pages_actions(site)
    assert len(pages_actions(workflow)) == 2
