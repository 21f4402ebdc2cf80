"""The CI a contributor sees: the tests on every push and pull request, Pages only after them."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"


def workflow(name: str) -> dict:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    loaded["on"] = loaded.pop(True, loaded.get("on"))     # YAML 1.1 reads the key `on` as True
    return loaded


def commands(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_the_tests_run_make_test_on_every_push_and_pull_request():
    tests = workflow("tests.yml")
    assert {"push", "pull_request"} <= set(tests["on"])
    assert "branches" not in (tests["on"]["push"] or {}), "every branch, not only main"
    (job,) = tests["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    assert commands(job) == ["make test"], "the README's command and nothing a user would not run"


def test_pages_deploy_only_after_the_tests_pass_on_main():
    tests, pages = workflow("tests.yml"), workflow("pages.yml")
    trigger = pages["on"]
    assert set(trigger) == {"workflow_run"}
    assert trigger["workflow_run"]["workflows"] == [tests["name"]]
    assert trigger["workflow_run"]["branches"] == ["main"]
    build = pages["jobs"]["build"]
    assert "github.event.workflow_run.conclusion == 'success'" in build["if"]
    checkout = next(step for step in build["steps"] if step.get("uses", "").startswith(
        "actions/checkout"))
    assert checkout["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}", \
        "deploys the commit that was tested"
    assert pages["jobs"]["deploy"]["needs"] == "build"
