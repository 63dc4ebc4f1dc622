"""`aiarch doctor`: tools a generated project needs, found or missing, with install hints."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiarch_scaffold import doctor
from aiarch_scaffold.cli import app

runner = CliRunner()
KUBERNETES_ON_AWS = {
    "_commit": "abc",
    "_src_path": "https://example.invalid/kit.git",
    "project_name": "Demo",
    "cloud": "aws",
    "iac": "terraform",
    "deploy_target": "kubernetes",
    "ci": "github",
}


def project(tmp_path: Path, **answers: str) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / ".copier-answers.yml").write_text(yaml.safe_dump(answers), encoding="utf-8")
    return folder


def fake_path(tmp_path: Path, *tools: str, prints: dict[str, str] | None = None) -> str:
    """A PATH holding only executables with these names; `prints` gives one's stderr."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        exe = bin_dir / tool
        said = (prints or {}).get(tool, "")
        exe.write_text(f"#!/bin/sh\nprintf '%s\\n' '{said}' >&2\nexit 0\n", encoding="utf-8")
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(bin_dir)


def rows(output: str) -> dict[str, str]:
    return {line.split()[0]: line for line in output.splitlines() if line.strip()}


def test_a_tool_missing_from_path_is_reported_with_its_hint_and_exit_1(tmp_path: Path) -> None:
    path = project(tmp_path, **KUBERNETES_ON_AWS)
    env = {"PATH": fake_path(tmp_path, "git", "make", "uv", "promtool")}
    result = runner.invoke(app, ["doctor", str(path)], env=env)
    assert result.exit_code == 1, result.output
    kubectl = rows(result.stdout)["kubectl"]
    assert "MISSING" in kubectl and "required" in kubectl
    hint = next(t.hint for t in doctor.TOOLS if t.command == "kubectl")
    assert any(option in kubectl for option in (hint.apt, hint.brew, hint.url)), kubectl
    assert "found" in rows(result.stdout)["git"]
    assert result.stdout.rstrip().endswith("missing required: kubectl")


def test_everything_required_found_is_exit_0_even_without_deploy_tools(tmp_path: Path) -> None:
    path = project(tmp_path, **KUBERNETES_ON_AWS)
    env = {"PATH": fake_path(tmp_path, "git", "make", "uv", "promtool", "kubectl")}
    result = runner.invoke(app, ["doctor", str(path)], env=env)
    assert result.exit_code == 0, result.output
    table = rows(result.stdout)
    for deploy_tool in ("terraform", "aws", "docker"):
        assert "MISSING" in table[deploy_tool] and "optional" in table[deploy_tool]
    # --deploy: shipping is the goal, so the deploy tools become required.
    result = runner.invoke(app, ["doctor", str(path), "--deploy"], env=env)
    assert result.exit_code == 1
    assert result.stdout.rstrip().endswith(
        "missing required: docker, cosign, python3, terraform, aws"
    )


def test_answers_decide_the_tools(tmp_path: Path) -> None:
    def commands(**answers: str) -> list[str]:
        folder = tmp_path / "-".join(answers.values())
        folder.mkdir()
        (folder / ".copier-answers.yml").write_text(yaml.safe_dump(answers))
        return [f.command for f in doctor.examine(folder, which=lambda _: None, os_kind="apt")]

    assert commands(cloud="local", ci="github") == ["git", "make", "uv", "promtool", "docker"]
    assert "kubectl" in commands(cloud="gcp", iac="terraform", deploy_target="kubernetes")
    containers = commands(cloud="azure", iac="terraform", deploy_target="containers", ci="gitlab")
    assert "kubectl" not in containers and {"terraform", "az"} <= set(containers)
    cfn = commands(cloud="aws", iac="cloudformation", deploy_target="containers", ci="jenkins")
    assert "terraform" not in cfn and {"aws", "npm-groovy-lint", "java"} <= set(cfn)


@pytest.mark.parametrize("kind", ["apt", "brew", "other"])
def test_the_hint_follows_the_os(tmp_path: Path, kind: str) -> None:
    path = project(tmp_path, **KUBERNETES_ON_AWS)
    findings = doctor.examine(path, which=lambda _: None, os_kind=kind, bundled_uv=lambda: None)
    kubectl = next(f for f in findings if f.command == "kubectl")
    expected = {"apt": "sudo apt-get install kubectl", "brew": "brew install kubectl"}
    assert kubectl.hint == expected.get(kind, "https://kubernetes.io/docs/tasks/tools/")
    assert [f.command for f in doctor.missing_required(findings)] == [
        "git",
        "make",
        "uv",
        "promtool",
        "kubectl",
    ]


def test_the_kits_own_uv_counts_when_uv_is_not_on_path(tmp_path: Path) -> None:
    path = project(tmp_path, cloud="local")
    findings = doctor.examine(path, which=lambda _: None, bundled_uv=lambda: "/kit/bin/uv")
    assert next(f for f in findings if f.command == "uv").found == "/kit/bin/uv"


OS_RELEASES = {
    "ubuntu": ("ID=ubuntu\nID_LIKE=debian\n", "apt"),
    "mint": ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', "apt"),
    "debian": ("ID=debian\n", "apt"),
    "fedora": ('ID=fedora\nID_LIKE="rhel"\n', "other"),
}


@pytest.mark.parametrize(("text", "kind"), OS_RELEASES.values(), ids=OS_RELEASES.keys())
def test_detect_os_reads_os_release(tmp_path: Path, text: str, kind: str) -> None:
    release = tmp_path / "os-release"
    release.write_text(text)
    assert doctor.detect_os(release, system="Linux") == kind


def test_detect_os_macos_and_others(tmp_path: Path) -> None:
    assert doctor.detect_os(tmp_path / "none", system="Darwin") == "brew"
    assert doctor.detect_os(tmp_path / "none", system="Linux") == "other"
    assert doctor.detect_os(tmp_path / "none", system="Windows") == "other"


@pytest.mark.parametrize("kind", ["plain folder", "missing", "file", "answers not a mapping"])
def test_a_non_project_path_is_one_line_exit_2(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "plain folder":
        target.mkdir()
    elif kind == "file":
        target.write_text("x")
    elif kind == "answers not a mapping":
        target.mkdir()
        (target / ".copier-answers.yml").write_text("- a\n- b\n")
    result = runner.invoke(app, ["doctor", str(target)], env={"PATH": os.environ["PATH"]})
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(target) in lines[0]
    assert result.stdout == ""


SPARK = {"project_name": "Demo", "cloud": "local", "ci": "github", "processing": "spark"}
DEVELOP = ("git", "make", "uv", "promtool")
JAVA_17 = 'openjdk version "17.0.15" 2025-04-15'


def test_a_spark_project_without_java_is_reported_and_exit_1(tmp_path: Path) -> None:
    path = project(tmp_path, **SPARK)
    result = runner.invoke(app, ["doctor", str(path)], env={"PATH": fake_path(tmp_path, *DEVELOP)})
    assert result.exit_code == 1, result.output
    java = rows(result.stdout)["java"]
    assert "MISSING" in java and "required" in java and "Java 17+" in java
    assert result.stdout.rstrip().endswith("missing required: java")
    # The same project on a machine with Java 17: nothing is missing.
    env = {"PATH": fake_path(tmp_path, *DEVELOP, "java", prints={"java": JAVA_17})}
    assert runner.invoke(app, ["doctor", str(path)], env=env).exit_code == 0


@pytest.mark.parametrize(
    "printed", ['openjdk version "11.0.22" 2024-01-16', 'java version "1.8.0_392"', ""]
)
def test_a_java_older_than_17_on_a_spark_project_is_too_old(tmp_path: Path, printed: str) -> None:
    path = project(tmp_path, **SPARK)
    env = {"PATH": fake_path(tmp_path, *DEVELOP, "java", prints={"java": printed})}
    result = runner.invoke(app, ["doctor", str(path)], env=env)
    assert result.exit_code == 1, result.output
    java = rows(result.stdout)["java"]
    assert "TOO OLD" in java and "needs 17+" in java
    assert result.stdout.rstrip().endswith("missing required: java")


def test_java_without_spark_or_jenkins_is_not_asked_for(tmp_path: Path) -> None:
    path = project(tmp_path, **{**SPARK, "processing": "pandas"})
    result = runner.invoke(app, ["doctor", str(path)], env={"PATH": fake_path(tmp_path, *DEVELOP)})
    assert result.exit_code == 0, result.output
    assert "java" not in rows(result.stdout)


def test_one_line_per_command_when_needs_share_it(tmp_path: Path) -> None:
    path = project(tmp_path, **{**SPARK, "ci": "jenkins"})
    findings = doctor.examine(path, which=lambda _: None, os_kind="apt", bundled_uv=lambda: None)
    java = [f for f in findings if f.command == "java"]
    assert len(java) == 1 and "PySpark" in java[0].purpose and "npm-groovy-lint" in java[0].purpose


def test_kafka_needs_no_broker_locally_docker_for_it_is_optional(tmp_path: Path) -> None:
    path = project(tmp_path, cloud="local", ci="github", streaming="kafka")
    env = {"PATH": fake_path(tmp_path, *DEVELOP)}
    result = runner.invoke(app, ["doctor", str(path)], env=env)
    assert result.exit_code == 0, result.output
    docker = rows(result.stdout)["docker"]
    assert "optional" in docker and "Kafka broker" in docker, docker
    tools = doctor.examine(path, which=lambda _: None, os_kind="apt", bundled_uv=lambda: None)
    assert not [t for t in doctor.TOOLS if t.optional and t.needed({}) is True]
    kafka_docker = next(t for t in doctor.TOOLS if "Kafka" in t.purpose)
    assert kafka_docker.optional and not kafka_docker.needed({"streaming": "none"})
    assert [f.command for f in tools if f.required] == list(DEVELOP)


@pytest.mark.parametrize(
    ("answers", "tool"),
    [
        (
            {"cloud": "gcp", "iac": "terraform", "deploy_target": "kubernetes"},
            "gke-gcloud-auth-plugin",
        ),
        ({"cloud": "azure", "iac": "terraform", "deploy_target": "kubernetes"}, "kubelogin"),
        ({"cloud": "aws", "iac": "terraform", "deploy_target": "containers"}, "cosign"),
        ({"cloud": "azure", "deploy_target": "kubernetes", "orchestration": "airflow"}, "helm"),
        ({"cloud": "aws", "iac": "cloudformation", "deploy_target": "containers"}, "python3"),
    ],
)
def test_deploy_needs_of_each_cloud(tmp_path: Path, answers: dict[str, str], tool: str) -> None:
    path = project(tmp_path, **answers)
    findings = doctor.examine(
        path, deploy=True, which=lambda _: None, os_kind="other", bundled_uv=lambda: None
    )
    assert tool in [f.command for f in doctor.missing_required(findings)]
    assert tool not in [f.command for f in doctor.examine(path, which=lambda _: None) if f.required]


def test_the_version_reader() -> None:
    assert doctor.major_version('openjdk version "21.0.2" 2024-01-16') == 21
    assert doctor.major_version('java version "1.8.0_392"') == 8
    assert doctor.major_version("no such thing") is None
