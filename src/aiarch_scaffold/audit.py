"""Scores any repository against the target architecture: one small check per item.

Each check reads the repository through `Repo` (a cached file listing and text reader) and
returns a `Finding`. `CHECKS` is the registry, in report order; `audit()` runs them all and
`score()` weighs them. A check may not apply (a local-only generated project has no cloud
infrastructure): it then has ``passed=None`` and does not count towards the score.
"""

from __future__ import annotations

import fnmatch
import json
import re
import stat
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from aiarch_scaffold.errors import UsageError

SCHEMA_VERSION = 1
SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache",
     ".pytest_cache", ".tox", ".terraform", "data", "mlruns", "mlartifacts", "dist", "build"}
)  # fmt: skip
MAX_FILES = 20_000
MAX_TEXT = 512_000
ANSWERS_FILE = ".copier-answers.yml"
CI_PATTERNS = (
    ".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", ".gitlab/**/*.yml",
    "Jenkinsfile", ".circleci/config.yml", "azure-pipelines.yml", "bitbucket-pipelines.yml",
)  # fmt: skip
BUILD_PATTERNS = ("Makefile", "noxfile.py", "tox.ini", ".pre-commit-config.yaml")
DEPENDENCY_PATTERNS = (
    "**/pyproject.toml", "**/requirements*.txt", "**/setup.cfg", "**/Pipfile", "**/package.json",
)  # fmt: skip
SOURCE_PATTERNS = ("**/*.py",)


@dataclass(frozen=True)
class Finding:
    """One check's result, as the JSON report carries it (schema_version 1)."""

    id: str
    title: str
    passed: bool | None
    weight: int
    evidence: str
    fix: str


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    weight: int
    fix: str
    run: Callable[[Repo], tuple[bool | None, str]]


@dataclass
class Repo:
    """The audited tree: its files (git-tracked ones when it is a git work tree) and texts."""

    root: Path
    _texts: dict[str, str] = field(default_factory=dict)

    @cached_property
    def files(self) -> list[str]:
        tracked = self._git_files()
        return tracked if tracked is not None else self._walk()

    def _git_files(self) -> list[str] | None:
        if not (self.root / ".git").exists():
            return None
        try:
            out = subprocess.run(
                ["git", "-C", str(self.root), "ls-files", "-z", "--cached", "--others",
                 "--exclude-standard"],
                capture_output=True, check=True, timeout=60,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return None
        names = sorted({name for name in out.decode("utf-8", "replace").split("\0") if name})
        return [n for n in names if not SKIP_DIRS & set(PurePosixPath(n).parts[:-1])][:MAX_FILES]

    def _walk(self) -> list[str]:
        found: list[str] = []
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if SKIP_DIRS & set(relative.parts[:-1]) or not path.is_file():
                continue
            found.append(relative.as_posix())
            if len(found) >= MAX_FILES:
                break
        return found

    def glob(self, *patterns: str) -> list[str]:
        """Files matching any pattern; `**/` also matches at the top level."""
        out = []
        for name in self.files:
            for pattern in patterns:
                if fnmatch.fnmatch(name, pattern) or (
                    pattern.startswith("**/") and fnmatch.fnmatch(name, pattern[3:])
                ):
                    out.append(name)
                    break
        return out

    def text(self, name: str) -> str:
        """A file's text (at most MAX_TEXT characters); "" for anything but a regular file
        inside the repository, so a symlink out of it or a FIFO is never read."""
        if name not in self._texts:
            self._texts[name] = ""
            path = self.root / name
            try:
                if path.resolve().is_relative_to(self.root) and stat.S_ISREG(path.stat().st_mode):
                    with path.open(encoding="utf-8", errors="replace") as handle:
                        self._texts[name] = handle.read(MAX_TEXT)
            except (OSError, RuntimeError):
                pass
        return self._texts[name]

    def grep(self, names: Iterable[str], pattern: str) -> list[str]:
        """The files among `names` whose text matches `pattern` (case-insensitive)."""
        regex = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
        return [name for name in names if regex.search(self.text(name))]

    @cached_property
    def answers(self) -> dict[str, Any]:
        """A generated project's recorded copier answers ({} for any other repository)."""
        if ANSWERS_FILE not in self.files:
            return {}
        try:
            data = yaml.safe_load(self.text(ANSWERS_FILE))
        except yaml.YAMLError:
            return {}
        return data if isinstance(data, dict) else {}

    @cached_property
    def ci_files(self) -> list[str]:
        return self.glob(*CI_PATTERNS)

    @cached_property
    def ci_runs(self) -> dict[str, str]:
        """What CI runs: each CI file's text plus the Make recipes and scripts it calls."""
        runs = {name: self.text(name) for name in self.ci_files}
        recipes = _make_recipes(self.text("Makefile")) if "Makefile" in self.files else {}
        for name, body in list(runs.items()):
            for target in _called_targets(body, recipes):
                runs[f"{name} -> make {target}"] = recipes[target]
        for name, body in list(runs.items()):
            for script in sorted(set(re.findall(r"[\w./-]+\.(?:py|sh)\b", body))):
                if script.lstrip("./") in self.files:
                    runs[f"{name} -> {script}"] = self.text(script.lstrip("./"))
        return runs

    def ci_grep(self, pattern: str) -> list[str]:
        regex = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
        return [name for name, body in self.ci_runs.items() if regex.search(body)]

    @cached_property
    def dockerfiles(self) -> list[str]:
        return self.glob("**/Dockerfile", "**/*.Dockerfile", "**/Dockerfile.*")

    @cached_property
    def code_and_deps(self) -> list[str]:
        return self.glob(*SOURCE_PATTERNS, *DEPENDENCY_PATTERNS)


def _make_recipes(makefile: str) -> dict[str, str]:
    """target -> its recipe lines plus the names of its prerequisites (one level is enough)."""
    recipes: dict[str, str] = {}
    current: str | None = None
    for line in makefile.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)([^#]*)", line)
        if match and not line.startswith("\t"):
            current = match.group(1)
            recipes[current] = match.group(2).strip() + "\n"
        elif current and line.startswith("\t"):
            recipes[current] += line.strip() + "\n"
        elif line.strip() and not line.startswith("#"):
            current = None
    for target, body in list(recipes.items()):
        prerequisites = body.splitlines()[0].split() if body.strip() else []
        recipes[target] += "".join(recipes.get(p, "") for p in prerequisites if p != target)
    return recipes


def _called_targets(text: str, recipes: dict[str, str]) -> list[str]:
    called = re.findall(r"\bmake\s+((?:[A-Za-z0-9_.-]+\s*)+)", text)
    names = {word for group in called for word in group.split()}
    return sorted(name for name in names if name in recipes)


def _evidence(label: str, names: list[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit]) + (
        f" (+{len(names) - limit} more)" if len(names) > limit else ""
    )
    return f"{label}: {shown}"


def _result(names: list[str], found: str, missing: str) -> tuple[bool, str]:
    return (True, _evidence(found, names)) if names else (False, missing)


# ---------------------------------------------------------------- the checks
def check_ci(repo: Repo) -> tuple[bool | None, str]:
    return _result(repo.ci_files, "CI configuration", "no CI configuration found")


def check_ci_tests(repo: Repo) -> tuple[bool | None, str]:
    if not repo.ci_files:
        return False, "no CI configuration, so no tests run in CI"
    hits = repo.ci_grep(r"\bpytest\b|\b(?:tox|nox)\b|\bnpm (?:run )?test\b|\bgo test\b|unittest")
    return _result(hits, "CI runs tests", "CI runs no test command (pytest, tox, nox, ...)")


SCANNERS = (
    r"\b(checkov|tfsec|trivy|terrascan|kics|hadolint|zizmor|pip-audit|bandit|semgrep|snyk"
    r"|gitleaks|detect-secrets|grype)\b"
)


def check_ci_security(repo: Repo) -> tuple[bool | None, str]:
    if not repo.ci_files:
        return False, "no CI configuration, so no scanners run in CI"
    regex = re.compile(SCANNERS, re.IGNORECASE)
    found = sorted({m.lower() for body in repo.ci_runs.values() for m in regex.findall(body)})
    if not found:
        return False, "CI runs no security scanner (checkov, hadolint, pip-audit...)"
    return True, _evidence("CI runs scanners", found, limit=8)


def check_tests(repo: Repo) -> tuple[bool | None, str]:
    tests = repo.glob(
        "**/test_*.py", "**/*_test.py", "**/*_test.go", "**/*.test.ts", "**/*.test.js",
        "**/*.spec.ts", "**/src/test/**/*.java",
    )  # fmt: skip
    return _result(tests, f"{len(tests)} test files", "no test files found")


IAC_FILE_PATTERNS = ("**/*.tf", "**/*.bicep", "**/Pulumi.yaml", "**/cdk.json")


def _iac_files(repo: Repo) -> list[str]:
    files = repo.glob(*IAC_FILE_PATTERNS)
    templates = repo.glob("**/*.yml", "**/*.yaml", "**/*.json", "**/*.template")
    return files + repo.grep(templates, r"^\s*\"?AWSTemplateFormatVersion\"?\s*:")


def _local_only(repo: Repo) -> bool:
    return repo.answers.get("cloud") == "local"


def check_iac(repo: Repo) -> tuple[bool | None, str]:
    if _local_only(repo):
        return None, f"{ANSWERS_FILE}: cloud=local, so the project declares no cloud resources"
    return _result(_iac_files(repo), "infrastructure as code", "no infrastructure as code found")


IAC_SCANNERS = r"\b(checkov|tfsec|trivy|terrascan|kics|cfn-lint|cfn_nag|tflint)\b"


def check_iac_scanned(repo: Repo) -> tuple[bool | None, str]:
    if _local_only(repo):
        return None, f"{ANSWERS_FILE}: cloud=local, so there is no infrastructure code to scan"
    if not _iac_files(repo):
        return False, "no infrastructure as code to scan"
    hits = repo.ci_grep(IAC_SCANNERS)
    return _result(hits, "CI scans the IaC", "no IaC scanner (checkov, tfsec, trivy...) in CI")


@dataclass(frozen=True)
class Stage:
    base: str
    instructions: list[tuple[str, str]]


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages with their base image (ARG defaults substituted) and their instructions."""
    joined = re.sub(r"\\\r?\n", " ", text)
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "ARG" and not stages and "=" in rest:
            name, _, value = rest.partition("=")
            args[name.strip()] = value.strip().strip("\"'")
        elif keyword == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), words[0])
            stages.append(Stage(base=base, instructions=[]))
        elif stages:
            stages[-1].instructions.append((keyword, rest))
    return stages


def _final_stages(repo: Repo) -> dict[str, Stage]:
    out = {}
    for name in repo.dockerfiles:
        stages = parse_dockerfile(repo.text(name))
        if stages:
            out[name] = stages[-1]
    return out


def _per_dockerfile(repo: Repo, bad: Callable[[str, Stage], bool], what: str) -> tuple[bool, str]:
    finals = _final_stages(repo)
    if not finals:
        return False, "no Dockerfile found"
    failing = [name for name, stage in finals.items() if bad(name, stage)]
    if failing:
        return False, _evidence(what, failing)
    return True, f"all {len(finals)} Dockerfiles"


def check_nonroot(repo: Repo) -> tuple[bool | None, str]:
    def bad(_: str, stage: Stage) -> bool:
        users = [rest.split(":")[0] for keyword, rest in stage.instructions if keyword == "USER"]
        return not users or users[-1] in ("root", "0")

    return _per_dockerfile(repo, bad, "final stage runs as root")


def check_healthcheck(repo: Repo) -> tuple[bool | None, str]:
    def bad(_: str, stage: Stage) -> bool:
        checks = [rest for keyword, rest in stage.instructions if keyword == "HEALTHCHECK"]
        return not checks or checks[-1].upper().startswith("NONE")

    return _per_dockerfile(repo, bad, "no HEALTHCHECK")


def image_is_pinned(image: str) -> bool:
    """A digest, or an explicit tag that is not `latest` (and no unresolved variable)."""
    if "@sha256:" in image:
        return True
    if "$" in image:
        return False
    name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    return bool(name) and bool(tag) and tag != "latest"


def check_pinned_base(repo: Repo) -> tuple[bool | None, str]:
    finals = _final_stages(repo)
    if not finals:
        return False, "no Dockerfile found"
    aliases = {
        m.group(1)
        for name in finals
        for m in re.finditer(r"^FROM\s.*\bAS\s+(\S+)", repo.text(name), re.I | re.M)
    }
    failing = [
        name
        for name in finals
        if any(
            s.base not in aliases and s.base != "scratch" and not image_is_pinned(s.base)
            for s in parse_dockerfile(repo.text(name))
        )
    ]
    if failing:
        return False, _evidence("unpinned base image (no tag, or latest)", failing)
    return True, f"every base image of {len(finals)} Dockerfiles has a tag or digest"


SECRET_CONFIGS = (".secrets.baseline", ".gitleaks.toml", "gitleaks.toml", ".trufflehog.yml")


def check_secrets_baseline(repo: Repo) -> tuple[bool | None, str]:
    found = [name for name in SECRET_CONFIGS if name in repo.files]
    hooks = repo.grep(
        [n for n in (".pre-commit-config.yaml",) if n in repo.files], r"detect-secrets|gitleaks"
    )
    if found and (hooks or repo.ci_grep(r"detect-secrets|gitleaks|trufflehog")):
        return True, _evidence("secret-scanner baseline, run by hooks/CI", found + hooks)
    if found:
        return False, _evidence("baseline present but no hook or CI job runs a scanner", found)
    return False, "no secret-scanner baseline (.secrets.baseline, .gitleaks.toml)"


ENV_EXAMPLES = re.compile(r"\.env\.(example|sample|template|dist)$")


def check_no_env(repo: Repo) -> tuple[bool | None, str]:
    committed = [
        name
        for name in repo.files
        if re.search(r"(^|/)\.env(\.[\w-]+)?$", name) and not ENV_EXAMPLES.search(name)
    ]
    if committed:
        return False, _evidence(".env file in the repository", committed)
    ignore = repo.text(".gitignore") if ".gitignore" in repo.files else ""
    if not re.search(r"^/?\.env\*?$", ignore, re.M):
        return False, "no .env file, but .gitignore does not ignore .env"
    return True, "no .env committed; .gitignore ignores .env"


def check_monitoring(repo: Repo) -> tuple[bool | None, str]:
    hits = repo.grep(repo.code_and_deps, r"prometheus[_-]client|opentelemetry|statsd|datadog")
    hits += repo.glob("**/prometheus.yml", "**/prometheus.yaml")
    return _result(hits, "metrics instrumentation", "no metrics instrumentation or scrape config")


ALERTS = (
    r"^\s*-?\s*alert:\s*\S|kind:\s*PrometheusRule|AWS::CloudWatch::Alarm|aws_cloudwatch_metric_alarm"
    r"|google_monitoring_alert_policy|azurerm_monitor_(metric|scheduled_query_rules)_alert"
)


def check_alerts(repo: Repo) -> tuple[bool | None, str]:
    candidates = repo.glob("**/*.yml", "**/*.yaml", "**/*.tf", "**/*.json")
    hits = repo.grep([n for n in candidates if n not in repo.ci_files], ALERTS)
    return _result(hits, "alert rules", "no alert rules (Prometheus rules, cloud alarms)")


def check_data_validation(repo: Repo) -> tuple[bool | None, str]:
    hits = repo.grep(
        repo.code_and_deps,
        r"\b(pandera|great[_-]expectations|soda[_-]core|deepchecks"
        r"|tensorflow[_-]data[_-]validation)\b",
    )
    return _result(hits, "data validation", "no data validation (pandera, Great Expectations)")


def check_lineage(repo: Repo) -> tuple[bool | None, str]:
    hits = repo.grep(repo.code_and_deps, r"openlineage|marquez|datahub|\bclass \w*Lineage\w*\b")
    return _result(hits, "lineage", "no lineage records (OpenLineage or equivalent)")


REGISTRY = (
    r"register_model|set_registered_model_alias|models:/|MlflowClient|ModelPackageGroup"
    r"|aiplatform\.Model\.upload|azure\.ai\.ml.*Model"
)


def check_registry(repo: Repo) -> tuple[bool | None, str]:
    hits = repo.grep(repo.glob(*SOURCE_PATTERNS), REGISTRY)
    return _result(hits, "model registry use", "no model registry (MLflow, SageMaker, Vertex)")


def check_architecture_doc(repo: Repo) -> tuple[bool | None, str]:
    docs = [
        n
        for n in repo.glob("**/*.md", "**/*.rst", "**/*.adoc")
        if "architecture" in PurePosixPath(n).name.lower()
        and not re.search(r"(^|/)(adr|adrs|decisions)/", n, re.IGNORECASE)
    ]
    return _result(docs, "architecture document", "no architecture document")


def check_adrs(repo: Repo) -> tuple[bool | None, str]:
    adrs = [
        n
        for n in repo.glob("**/*.md")
        if re.search(r"(^|/)(adr|adrs|decisions)/", n, re.IGNORECASE)
    ]
    return _result(adrs, f"{len(adrs)} ADRs", "no architecture decision records (docs/adr/)")


LOCK_FILES = (
    "uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "package-lock.json", "yarn.lock",
    "pnpm-lock.yaml", "go.sum", "Cargo.lock", "requirements.lock",
)  # fmt: skip


def check_lock(repo: Repo) -> tuple[bool | None, str]:
    found = [n for n in repo.files if PurePosixPath(n).name in LOCK_FILES]
    return _result(found, "lock file", "no lock file (uv.lock, poetry.lock, package-lock.json...)")


USES = re.compile(r"^\s*-?\s*uses:\s*['\"]?([^\s'\"#]+)", re.MULTILINE)
IMAGE = re.compile(r"^\s*-?\s*image:\s*(?:name:\s*)?['\"]?([^\s'\"#]+)", re.MULTILINE)
JENKINS_IMAGE = re.compile(r"\bimage\s+['\"]([^'\"]+)['\"]")


def check_pinned_ci(repo: Repo) -> tuple[bool | None, str]:
    if not repo.ci_files:
        return None, "no CI configuration, nothing to pin"
    loose: list[str] = []
    for name in repo.ci_files:
        body = repo.text(name)
        for action in USES.findall(body):
            if not (action.startswith("./") or re.search(r"@[0-9a-f]{40}$", action)):
                loose.append(f"{name}: {action}")
        for image in IMAGE.findall(body) + JENKINS_IMAGE.findall(body):
            if not image_is_pinned(image):
                loose.append(f"{name}: {image}")
    if loose:
        return False, _evidence("unpinned", loose)
    return True, "every action is pinned to a commit SHA and every image to a tag or digest"


def check_catalog(repo: Repo) -> tuple[bool | None, str]:
    found = [n for n in repo.glob("**/catalog-info.yaml", "**/catalog-info.yml")]
    entities = [n for n in found if re.search(r"^kind:\s*Component\b", repo.text(n), re.M)]
    if found and not entities:
        return False, _evidence("catalog file without a Component entity", found)
    return _result(entities, "developer-portal catalog entry", "no catalog-info.yaml (Backstage)")


# ---------------------------------------------------------------- the registry
NEW = "`aiarch new` renders"
CHECKS: tuple[Check, ...] = (
    Check("ci", "CI pipeline present", 10,
          f"{NEW} one: `.github/workflows/ci.yml`, `.gitlab-ci.yml` or `Jenkinsfile` (answer ci)",
          check_ci),
    Check("ci-tests", "CI runs the tests", 8,
          f"{NEW} a CI `test` job that runs `make test` (pytest); copy it", check_ci_tests),
    Check("ci-security", "CI runs security scanners", 6,
          f"{NEW} `make check` (tools/check.py: checkov, hadolint, zizmor, detect-secrets) and a "
          "pip-audit job; call them from CI", check_ci_security),
    Check("tests", "Automated tests", 10,
          "`aiarch add service NAME` adds a service with its tests/; template part "
          "`services/<name>/tests/`", check_tests),
    Check("iac", "Infrastructure as code", 6,
          f"{NEW} `infra/terraform/` or `infra/cloudformation/` (answers cloud, iac)", check_iac),
    Check("iac-scanned", "IaC scanned in CI", 5,
          f"{NEW} `tools/check.py` running checkov over infra/; run it as `make check` in CI",
          check_iac_scanned),
    Check("container-nonroot", "Containers run as non-root", 5,
          "template part `template/includes/dockerfile.jinja` (USER 10001); "
          "`aiarch add service NAME` renders a hardened Dockerfile", check_nonroot),
    Check("container-healthcheck", "Containers declare a HEALTHCHECK", 3,
          "template part `template/includes/dockerfile.jinja` (HEALTHCHECK)", check_healthcheck),
    Check("container-pinned-base", "Container base images pinned", 3,
          "pin every FROM to a tag or digest; the kit keeps its pins in "
          "`template/includes/pins.jinja`", check_pinned_base),
    Check("secrets-baseline", "Secret scanning with a reviewed baseline", 5,
          f"{NEW} `.secrets.baseline` and the detect-secrets hook in `.pre-commit-config.yaml` "
          "plus the CI `secrets` job", check_secrets_baseline),
    Check("no-env-committed", "No .env committed", 5,
          "remove the file from git, rotate what it held; template part `.gitignore` + "
          "`.env.example`", check_no_env),
    Check("monitoring", "Monitoring (metrics)", 5,
          f"{NEW} `services/monitoring/` (Prometheus scrape config, metrics)", check_monitoring),
    Check("alert-rules", "Alert rules", 4,
          f"{NEW} `services/monitoring/prometheus/alerts.yml` with rule tests", check_alerts),
    Check("data-validation", "Data validation", 5,
          f"{NEW} `services/features/` (pandera schema, quarantine of bad rows)",
          check_data_validation),
    Check("lineage", "Data lineage", 3,
          f"{NEW} `packages/contracts/src/contracts/lineage.py` (manifests, OpenLineage events)",
          check_lineage),
    Check("model-registry", "Model registry", 5,
          f"{NEW} `services/training/` (MLflow registry, champion alias)", check_registry),
    Check("docs-architecture", "Architecture documentation", 4,
          f"{NEW} `docs/architecture.md`", check_architecture_doc),
    Check("docs-adr", "Architecture decision records", 3,
          f"{NEW} `docs/adr/`; `aiarch add service NAME` adds an ADR stub", check_adrs),
    Check("deps-lock", "Dependencies locked", 5,
          "run `make install` (uv sync writes uv.lock) and commit uv.lock", check_lock),
    Check("ci-pinned", "CI actions and images pinned", 4,
          "pin actions to commit SHAs and images to tags; the kit's pins are in "
          "`template/includes/pins.jinja`", check_pinned_ci),
    Check("portal", "Developer-portal catalog entry", 2,
          f"{NEW} `catalog-info.yaml` (System, a Component per service, the API); "
          "`aiarch export backstage` puts the kit itself in the portal", check_catalog),
)  # fmt: skip


@dataclass(frozen=True)
class Report:
    path: str
    score: int
    checks: list[Finding]

    @property
    def gaps(self) -> list[Finding]:
        return [f for f in self.checks if f.passed is False]

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "path": self.path,
            "score": self.score,
            "checks": [asdict(f) for f in self.checks],
        }


def score(findings: list[Finding]) -> int:
    """Percentage of the applicable weight that passed, rounded down (100 only when all pass)."""
    applicable = [f for f in findings if f.passed is not None]
    total = sum(f.weight for f in applicable)
    if not total:
        return 0
    return 100 * sum(f.weight for f in applicable if f.passed) // total


def audit(path: Path, checks: Iterable[Check] = CHECKS) -> Report:
    """Run every check on the repository at `path`; a missing or unreadable path is refused."""
    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"cannot audit {path}: not a directory")
    try:
        next(root.iterdir(), None)
    except OSError as exc:
        raise UsageError(f"cannot audit {path}: {exc.strerror or exc}") from exc
    repo = Repo(root.resolve())
    findings = []
    for check in checks:
        passed, evidence = check.run(repo)
        findings.append(Finding(check.id, check.title, passed, check.weight, evidence, check.fix))
    return Report(path=str(path), score=score(findings), checks=findings)


def to_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2)


def to_markdown(report: Report) -> str:
    mark = {True: "pass", False: "**gap**", None: "n/a"}
    lines = [
        f"# Architecture audit: {report.path}",
        "",
        f"Score: **{report.score}/100** ({len(report.gaps)} gaps)",
        "",
        "| Check | Result | Weight | Evidence |",
        "|---|---|---|---|",
    ]
    for f in report.checks:
        evidence = f.evidence.replace("|", "\\|")
        lines.append(f"| {f.title} (`{f.id}`) | {mark[f.passed]} | {f.weight} | {evidence} |")
    if report.gaps:
        lines += ["", "## How to close the gaps", ""]
        lines += [f"- **{f.title}** (`{f.id}`): {f.fix}" for f in report.gaps]
    return "\n".join(lines)
