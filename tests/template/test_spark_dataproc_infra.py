"""Issue 12, processing=spark on Google Cloud: the features job on Serverless for Apache Spark
(generated docs/adr/0024-managed-spark.md).

Renders Google Cloud with Terraform on both deploy targets and reads the infrastructure with
python-hcl2: the batches' service account is replayed as requests against the lake (its own
prefixes allowed, every other prefix and writes to the raw zone refused) and holds nothing else
of the project; CMEK, the staging bucket's settings and the intra-batch firewall rules are
asserted; the batch container is non-root (spark, 1099) and holds no Spark; the request
`make spark-run` submits is built by running scripts/deploy/dataproc_batch.py, and it names the
pseudonymisation key's secret version, never the key. checkov runs on one render as generated
(it must pass) and on the module with its staging bucket made public-capable (it must fail).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from tests.template.infra import (
    hcl_blocks,
    load_hcl,
    project_checks,
    spark_projects,
    sync_dags_recorded,
)
from tests.template.rendered import (
    assert_clean_output,
    assert_only_chosen_files,
    missing_named_tests,
)
from tests.tools import require

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 parses the rendered Terraform")

BUCKET = "acme-dev-lake"
OBJECTS = f"projects/_/buckets/{BUCKET}/objects/"
DIGEST = "sha256:" + "a" * 64


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return spark_projects(tmp_path_factory, "gcp")


def _module(project: Path) -> Path:
    return project / "infra/terraform/modules/serverless_spark"


def _env(project: Path) -> Path:
    return project / "infra/terraform/envs/dev"


def test_renders_clean(projects: dict[str, Path]) -> None:
    for target, project in projects.items():
        assert_clean_output(project)
        assert_only_chosen_files(
            project,
            {"cloud": "gcp", "iac": "terraform", "deploy_target": target, "processing": "spark"},
        )
        assert "spark-run:" in (project / "Makefile").read_text()
        # Every test docs/security.md names for these defences exists.
        security = (project / "docs/security.md").read_text()
        assert "test_the_batch_account_reaches_the_features_prefixes_only" in security
        assert missing_named_tests(project) == []


def test_no_batch_without_spark(tmp_path: Path) -> None:
    project = create_project(tmp_path / "p", {"cloud": "gcp"}).destination
    assert not _module(project).exists()
    assert not (project / "services/features/dataproc").exists()
    assert "serverless_spark" not in (_env(project) / "main.tf").read_text()
    assert "spark" not in (project / "scripts/deploy.sh").read_text()
    assert (
        "secret_manager"
        not in (project / "packages/contracts/src/contracts/privacy.py").read_text()
    )


def _features_prefixes(project: Path) -> dict[str, list[str]]:
    """The features service's lake prefixes, as the root module passes them to the module."""
    text = (_env(project) / "main.tf").read_text()
    line = re.search(r"^\s+features\s+= \{ read = (\[.*?\]), write = (\[.*?\]) \}$", text, re.M)
    assert line is not None, "local.services has a features entry"
    read, write = (re.findall(r'"([^"]+)"', part) for part in line.groups())
    call = next(
        m["serverless_spark"]
        for m in load_hcl(_env(project) / "main.tf")["module"]
        if "serverless_spark" in m
    )
    assert call["lake_read_prefixes"] == '${local.services["features"].read}'
    assert call["lake_write_prefixes"] == '${local.services["features"].write}'
    return {"read": read, "write": write}


def _granted(project: Path) -> dict[str, list[str]]:
    """The object-name prefixes each lake grant of the batch account's module admits."""
    prefixes = _features_prefixes(project)
    resources = hcl_blocks(_module(project) / "main.tf")
    granted: dict[str, list[str]] = {}
    for name, source in (
        ("lake_read", "local.lake_read"),
        ("lake_write", "var.lake_write_prefixes"),
    ):
        grant = resources[("google_storage_bucket_iam_member", name)]
        expression = grant["condition"][0]["expression"]
        # The condition ORs resource.name.startsWith over exactly that list, nothing wider.
        assert f"for prefix in {source} :" in expression
        assert (
            "resource.name.startsWith" in expression
            and "${local.lake_objects}${prefix}" in expression
        )
        listed = (
            list(dict.fromkeys(prefixes["read"] + prefixes["write"]))
            if source == "local.lake_read"
            else prefixes["write"]
        )
        granted[grant["role"]] = [f"{OBJECTS}{prefix}" for prefix in listed]
    listing = resources[("google_storage_bucket_iam_member", "lake_list")]
    assert listing["condition"][0]["expression"] == (
        'resource.type == \\"storage.googleapis.com/Bucket\\"'
    ), "the unconditional objectViewer grant lists names only"
    return granted


def _allowed(granted: dict[str, list[str]], role: str, name: str) -> bool:
    return any(f"{OBJECTS}{name}".startswith(prefix) for prefix in granted.get(role, []))


def test_the_batch_account_reaches_the_features_prefixes_only(projects: dict[str, Path]) -> None:
    granted = _granted(projects["kubernetes"])
    read, write = "roles/storage.objectViewer", "roles/storage.objectUser"
    # What the job does.
    assert _allowed(granted, read, "lake/raw/customers/ingestion_date=2026-01-15/part-0.parquet")
    assert _allowed(granted, write, "lake/features/customers/dt=2026-01-15/features.parquet")
    assert _allowed(granted, write, "lake/quarantine/customers/dt=2026-01-15/rejected.parquet")
    # What a batch turned hostile would try next.
    assert not _allowed(granted, write, "lake/raw/customers/ingestion_date=2026-01-15/x.parquet")
    assert not _allowed(granted, read, "mlflow/models/m/model.onnx")
    assert not _allowed(granted, read, "lake/reference/customers/model/features.parquet")
    assert not _allowed(granted, write, "reports/drift.html")
    assert not _allowed(granted, write, "lake/audit/erasure/x.json")


def test_the_batch_account_holds_nothing_else(projects: dict[str, Path]) -> None:
    for project in projects.values():
        resources = hcl_blocks(_module(project) / "main.tf")
        project_roles = {
            body["role"]: body["member"]
            for (kind, _), body in resources.items()
            if kind == "google_project_iam_member"
        }
        batch = "${google_service_account.batch.member}"
        assert project_roles["roles/dataproc.worker"] == batch
        # Submitters (spark_submitter_members) create batches, and so do the Kubeflow runs
        # (pipeline_members, a custom role); the batch account does not.
        assert project_roles["roles/dataproc.serverlessEditor"] == "${each.value}"
        pipeline = "${google_project_iam_custom_role.pipeline[0].name}"
        assert project_roles[pipeline] == "${each.value}"
        assert set(project_roles) == {
            "roles/dataproc.worker",
            "roles/dataproc.serverlessEditor",
            pipeline,
        }
        act_as = resources[("google_service_account_iam_member", "submitters")]
        assert act_as["service_account_id"] == "${google_service_account.batch.name}"
        assert act_as["member"] == "${each.value}"
        main = (_env(project) / "main.tf").read_text()
        # The pseudonymisation key's secret lists the batch account; the API key's does not.
        secrets = re.search(r"secrets = \{(.*?)\n  \}\n", main, re.S)
        assert secrets is not None
        api_key, key = secrets.group(1).split("pseudonymisation-key = {")
        assert "serverless_spark" not in api_key
        assert "module.serverless_spark.service_account_member" in key
        assert "spark-batches = module.serverless_spark.service_account_member" in main
        kms = re.search(r"    spark = \[\n(.*?)\n    \]", main, re.S)
        assert kms is not None and "module.serverless_spark.service_account_member" in kms.group(1)
        # Those three grants (key, registry, secret) and no other outside the module.
        assert main.count("module.serverless_spark.service_account_member") == 3


def test_cmek_staging_bucket_and_private_network(projects: dict[str, Path]) -> None:
    project = projects["containers"]
    resources = hcl_blocks(_module(project) / "main.tf")
    staging = resources[("google_storage_bucket", "staging")]
    assert staging["encryption"][0]["default_kms_key_name"] == "${var.kms_key_id}"
    assert staging["uniform_bucket_level_access"] is True
    assert staging["public_access_prevention"] == "enforced"
    assert staging["versioning"][0]["enabled"] is True
    assert staging["logging"][0]["log_bucket"] == "${var.access_log_bucket}"
    assert any(rule["action"][0]["type"] == "Delete" for rule in staging["lifecycle_rule"])
    call = next(
        m["serverless_spark"]
        for m in load_hcl(_env(project) / "main.tf")["module"]
        if "serverless_spark" in m
    )
    assert call["kms_key_id"] == '${module.kms.key_ids["spark"]}'
    # Driver and executors reach each other on any port, as the batch account only.
    ingress = resources[("google_compute_firewall", "intra_batch_ingress")]
    egress = resources[("google_compute_firewall", "intra_batch_egress")]
    account = ["${google_service_account.batch.email}"]
    assert ingress["source_service_accounts"] == account == ingress["target_service_accounts"]
    assert "source_ranges" not in ingress
    assert egress["target_service_accounts"] == account
    assert egress["destination_ranges"] == ["${var.subnet_cidr}"]
    subnet = hcl_blocks(project / "infra/terraform/modules/network/main.tf")[
        ("google_compute_subnetwork", "private")
    ]
    assert subnet["private_ip_google_access"] is True
    outputs = (_env(project) / "outputs.tf").read_text()
    assert "value       = module.network.subnet_id" in outputs


def test_the_container_is_non_root_and_holds_no_spark(projects: dict[str, Path]) -> None:
    project = projects["containers"]
    dockerfile = (project / "services/features/dataproc/Dockerfile").read_text()
    service = (project / "services/features/Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert len(bases) == 2 and len(set(bases)) == 1
    assert bases[0] in service and "@sha256:" in bases[0], "the services' pinned base image"
    syncs = re.findall(r"RUN uv sync [^\n]*(?:\\\n[^\n]*)*", dockerfile)
    assert len(syncs) == 2
    assert all("--no-install-package pyspark" in sync for sync in syncs)
    assert "pip install pyspark" not in dockerfile and "spark-3" not in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users == ["1099:1099"]
    assert "--uid 1099 --gid 1099" in dockerfile
    assert "PYSPARK_PYTHON=/opt/features/bin/python" in dockerfile
    assert re.search(r"openjdk-17-jre-headless=\S+ procps=\S+ tini=\S+", dockerfile)
    # The image the script submits and the runtime the pin's Spark line runs on.
    variables = load_hcl(_env(project) / "variables.tf")["variable"]
    runtime = next(
        v["spark_runtime_version"]["default"] for v in variables if "spark_runtime_version" in v
    )
    assert runtime == "2.3"
    pyproject = (project / "services/features/pyproject.toml").read_text()
    assert re.search(r'"pyspark>=3\.5\.\d+,<3\.6"', pyproject)


def _batch(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    request = {
        "project": "acme-dev",
        "region": "europe-west4",
        "runtime": "2.3",
        "image": f"europe-west4-docker.pkg.dev/acme-dev/r/p-features-dataproc@{DIGEST}",
        "service-account": "features-spark-dev@acme-dev.iam.gserviceaccount.com",
        "subnet": "projects/acme-dev/regions/europe-west4/subnetworks/p-dev-private",
        "kms-key": "projects/acme-dev/locations/europe-west4/keyRings/k/cryptoKeys/spark",
        "staging-bucket": "acme-dev-dev-spark-staging",
        "lake-uri": f"gs://{BUCKET}/lake",
        "reports-uri": f"gs://{BUCKET}/reports",
        "key-secret": "projects/acme-dev/secrets/p-dev-pseudonymisation-key/versions/latest",
        "code-version": "abc123",
    }
    arguments = [item for key, value in request.items() for item in (f"--{key}", value)]
    return subprocess.run(
        [sys.executable, "scripts/deploy/dataproc_batch.py", *arguments, *extra],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def test_spark_run_submits_the_signed_digest_and_names_the_key(
    projects: dict[str, Path],
) -> None:
    project = projects["containers"]
    printed = _batch(project, "--date", "2026-01-15", "--batch", "build-features-test")
    assert printed.returncode == 0, printed.stderr
    arguments = printed.stdout.splitlines()
    assert arguments[:4] == ["dataproc", "batches", "submit", "pyspark"]
    assert arguments[4].endswith("/site-packages/features/__main__.py")
    assert arguments[4].startswith("file:///opt/features/")
    flags = dict(item.split("=", 1) for item in arguments if item.startswith("--") and "=" in item)
    assert flags["--version"] == "2.3"
    assert flags["--container-image"].endswith(f"@{DIGEST}")
    assert flags["--service-account"].startswith("features-spark-dev@")
    assert flags["--subnet"].endswith("/subnetworks/p-dev-private")
    assert flags["--kms-key"].endswith("/cryptoKeys/spark")
    assert flags["--staging-bucket"] == "acme-dev-dev-spark-staging"
    assert "--async" not in arguments, "make spark-run waits for the batch's end"
    delimiter, properties = re.fullmatch(r"\^(.)\^(.*)", flags["--properties"]).groups()  # type: ignore[union-attr]
    environment = dict(
        item.removeprefix("spark.dataproc.driverEnv.").split("=", 1)
        for item in properties.split(delimiter)
    )
    assert environment["APP_PSEUDONYMISATION_KEY_SECRET"].endswith("/versions/latest")
    assert "APP_PSEUDONYMISATION_KEY" not in environment, "the key is named, never passed"
    assert environment["APP_LAKE_URI"] == f"gs://{BUCKET}/lake"
    assert environment["APP_ENVIRONMENT"] == "production"
    assert arguments[-3:] == ["--", "--date", "2026-01-15"]
    # A tag is not what CI signed: the script refuses anything but a digest.
    tagged = _batch(project, "--image", "europe-west4-docker.pkg.dev/acme-dev/r/x:latest")
    assert tagged.returncode != 0 and "verified digest" in tagged.stderr
    deploy = (project / "scripts/deploy.sh").read_text()
    assert 'IMAGES=("${SERVICES[@]}" features-dataproc)' in deploy
    assert re.search(
        r"image=\$\(verify_image [^\n]*features-dataproc\)[^\n]*\n\s+dataproc_run", deploy
    )
    cloud = (project / "scripts/deploy/cloud.sh").read_text()
    assert "secrets versions access" not in cloud and "APP_PSEUDONYMISATION_KEY=" not in cloud
    assert 'gcloud "${arguments[@]}"' in cloud


def test_checkov_passes_and_catches_a_public_capable_staging_bucket(
    projects: dict[str, Path], tmp_path: Path
) -> None:
    require("uv")
    project = projects["containers"]
    result = project_checks(project, "checkov", "terraform-refs", "hadolint", "image-digests")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    pin = re.search(r'"(checkov==[0-9.]+)"', (project / "tools/check.py").read_text())
    assert pin is not None
    module = tmp_path / "serverless_spark"
    shutil.copytree(_module(project), module)
    main = module / "main.tf"
    text = main.read_text()
    scan = ["uv", "tool", "run", "--from", pin.group(1), "checkov", "--quiet", "--compact"]
    scan += ["--framework", "terraform", "--skip-download", "--directory", str(module)]
    clean = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert clean.returncode == 0, (clean.stdout + clean.stderr)[-4000:]
    line = '  public_access_prevention    = "enforced"\n'
    assert line in text
    main.write_text(text.replace(line, ""))
    public = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert public.returncode != 0
    assert "CKV_GCP_114" in public.stdout + public.stderr


@pytest.fixture(scope="module")
def airflow_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {"cloud": "gcp", "deploy_target": "containers", "processing": "spark"}
    return create_project(
        tmp_path_factory.mktemp("airflow") / "p", {**answers, "orchestration": "airflow"}
    ).destination


BATCH_PERMISSIONS = [
    "dataproc.batches.create",
    "dataproc.batches.get",
    "dataproc.operations.cancel",
    "dataproc.operations.get",
]


def test_composer_submits_the_batch_with_exactly_the_iam_it_needs(airflow_project: Path) -> None:
    """The Composer DAG's features task is the Serverless Spark batch: its service account may
    create and follow batches, act as the batches' service account only, and no longer runs the
    features Cloud Run job; the DAG gets the batch's settings and the deploy stages the spec's
    script and the verified digest beside the DAGs."""
    project = airflow_project
    assert_clean_output(project)
    assert missing_named_tests(project) == []
    composer = hcl_blocks(project / "infra/terraform/modules/composer/main.tf")
    role = composer[("google_project_iam_custom_role", "spark_batches")]
    assert sorted(role["permissions"]) == BATCH_PERMISSIONS
    grant = composer[("google_project_iam_member", "spark_batches")]
    assert grant["role"] == "${google_project_iam_custom_role.spark_batches[0].name}"
    act_as = composer[("google_service_account_iam_member", "spark_act_as")]
    assert act_as["service_account_id"] == "${var.spark_service_account}"
    assert act_as["role"] == "roles/iam.serviceAccountUser"
    project_roles = [
        body["role"] for (kind, _), body in composer.items() if kind == "google_project_iam_member"
    ]
    assert "roles/iam.serviceAccountUser" not in project_roles
    assert not [role for role in project_roles if role.startswith("roles/dataproc.")]
    call = next(
        m["composer"] for m in load_hcl(_env(project) / "main.tf")["module"] if "composer" in m
    )
    assert call["spark_batches"] is True
    assert call["spark_service_account"] == "${module.serverless_spark.service_account_name}"
    assert "features" not in call["cloud_run_jobs"]
    assert "ingestion" in call["cloud_run_jobs"]
    environment = call["pipeline_environment"]
    assert environment["PIPELINE_SPARK_SERVICE_ACCOUNT"] == (
        "${module.serverless_spark.service_account_email}"
    )
    secret = environment["APP_PSEUDONYMISATION_KEY_SECRET"]
    assert secret == "${local.pseudonymisation_key_version}"  # noqa: S105 - a reference, not a value
    assert "APP_PSEUDONYMISATION_KEY" not in environment, "the key is named, never passed"
    dags = (project / "scripts/deploy/dags.sh").read_text()
    assert 'cp "$PROJECT_ROOT/scripts/deploy/dataproc_batch.py" "$1/"' in dags
    assert re.search(
        r'verify_image "[^\n]*features-dataproc\):\$IMAGE_TAG" >"\$1/spark_image.txt"', dags
    )
    dag = (project / "orchestration/dags/pipeline.py").read_text()
    assert "DataprocCreateBatchOperator(" in dag
    assert 'deployed_script("dataproc_batch").batch_spec(' in dag


def test_composer_checkov_passes_and_catches_a_project_wide_act_as(
    airflow_project: Path, tmp_path: Path
) -> None:
    """As generated, checkov passes; granting actAs on every service account of the project
    (not on the batches' one) is what CKV_GCP_41 catches."""
    require("uv")
    project = airflow_project
    result = project_checks(project, "checkov", "terraform-refs")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    pin = re.search(r'"(checkov==[0-9.]+)"', (project / "tools/check.py").read_text())
    assert pin is not None
    module = tmp_path / "composer"
    shutil.copytree(project / "infra/terraform/modules/composer", module)
    # The module as the environment calls it with processing=spark.
    variables = module / "variables.tf"
    off = """  type        = bool
  default     = false
}

variable "spark_service_account" {"""
    assert off in variables.read_text()
    variables.write_text(variables.read_text().replace(off, off.replace("false", "true")))
    scan = ["uv", "tool", "run", "--from", pin.group(1), "checkov", "--quiet", "--compact"]
    scan += ["--framework", "terraform", "--skip-download", "--directory", str(module)]
    clean = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert clean.returncode == 0, (clean.stdout + clean.stderr)[-4000:]
    main = module / "main.tf"
    scoped = """resource "google_service_account_iam_member" "spark_act_as" {
  count = var.spark_batches ? 1 : 0

  service_account_id = var.spark_service_account
"""
    text = main.read_text()
    assert scoped in text
    main.write_text(
        text.replace(
            scoped,
            """resource "google_project_iam_member" "spark_act_as" {
  count = var.spark_batches ? 1 : 0

  project = var.project_id
""",
        )
    )
    wide = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert wide.returncode != 0
    assert "CKV_GCP_41" in wide.stdout + wide.stderr


def test_dags_deploy_ships_the_batch_script_and_the_verified_digest(
    airflow_project: Path, tmp_path: Path
) -> None:
    """`scripts/deploy.sh dags` run through bash with gcloud and the signature check replaced by
    recorders (no Google Cloud here): the DAGs go out with dataproc_batch.py and the digest
    verify_image returned for the features-dataproc image of IMAGE_TAG."""
    calls, synced = tmp_path / "calls", tmp_path / "synced"
    stubs = f"""
registry_url() {{ echo "europe-docker.pkg.dev/acme/images"; }}
image_name() {{ echo "acme-$1"; }}
verify_image() {{ echo "verify_image $*" >>{calls}; echo "${{1%:*}}@{DIGEST}"; }}
gcloud() {{ echo "gcloud $*" >>{calls}; cp -r "${{@: -2:1}}" {synced}; }}
"""
    recorded = sync_dags_recorded(airflow_project, calls, stubs)
    assert "verify_image europe-docker.pkg.dev/acme/images/acme-features-dataproc:v1" in recorded
    assert "infra_output airflow_dag_bucket dev" in recorded
    assert any("gs://out-airflow_dag_bucket/dags" in line for line in recorded)
    assert {"pipeline.py", "dataproc_batch.py", "image_tag.txt", "spark_image.txt"} <= {
        path.name for path in synced.iterdir()
    }
    image = (synced / "spark_image.txt").read_text().strip()
    assert image == f"europe-docker.pkg.dev/acme/images/acme-features-dataproc@{DIGEST}"


@pytest.fixture(scope="module")
def kubeflow_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {"cloud": "gcp", "deploy_target": "kubernetes", "processing": "spark"}
    return create_project(
        tmp_path_factory.mktemp("kubeflow") / "p", {**answers, "orchestration": "kubeflow"}
    ).destination


def test_the_kubeflow_run_submits_the_batch_with_exactly_the_iam_it_needs(
    kubeflow_project: Path,
) -> None:
    """The Kubeflow pipeline's features step submits the Serverless Spark batch as the run's
    Kubernetes service account itself (a Workload Identity Federation principal): a custom role
    to create, follow and cancel batches, actAs on the batches' account only; `make kfp-submit`
    hands the step dataproc_batch.py's own Batch resource on the verified features-dataproc
    digest."""
    project = kubeflow_project
    assert_clean_output(project)
    assert missing_named_tests(project) == []
    module = hcl_blocks(_module(project) / "main.tf")
    role = module[("google_project_iam_custom_role", "pipeline")]
    assert sorted(role["permissions"]) == BATCH_PERMISSIONS
    grant = module[("google_project_iam_member", "pipeline")]
    assert grant["role"] == "${google_project_iam_custom_role.pipeline[0].name}"
    act_as = module[("google_service_account_iam_member", "pipeline_act_as")]
    assert act_as["service_account_id"] == "${google_service_account.batch.name}"
    assert act_as["role"] == "roles/iam.serviceAccountUser"
    call = next(
        m["serverless_spark"]
        for m in load_hcl(_env(project) / "main.tf")["module"]
        if "serverless_spark" in m
    )
    [member] = call["pipeline_members"]
    assert member.startswith("principal://iam.googleapis.com/projects/${local.project_number}/")
    assert member.endswith(
        ".svc.id.goog/subject/ns/${var.kubernetes_namespace}/sa/${var.kfp_run_service_account}"
    )
    variables = (_env(project) / "variables.tf").read_text()
    assert re.search(
        r'variable "kfp_run_service_account" \{[^}]*default\s+= "default-editor"', variables
    )
    deploy = (project / "scripts/deploy.sh").read_text()
    assert re.search(
        r"spark_image=\$\(verify_image [^\n]*features-dataproc\):\$IMAGE_TAG\"\)", deploy
    )
    assert 'dataproc_batch "$env_name" "$spark_image" "" --json >"$spark_run"' in deploy
    assert '--spark-run "$spark_run"' in deploy
    printed = _batch(project, "--json")
    assert printed.returncode == 0, printed.stderr
    request = json.loads(printed.stdout)
    assert (request["project"], request["region"]) == ("acme-dev", "europe-west4")
    batch = request["batch"]
    assert batch["runtime_config"]["container_image"].endswith(f"@{DIGEST}")
    environment = batch["runtime_config"]["properties"]
    assert "spark.dataproc.driverEnv.APP_PSEUDONYMISATION_KEY" not in environment
    assert environment["spark.dataproc.driverEnv.APP_PSEUDONYMISATION_KEY_SECRET"].endswith(
        "/versions/latest"
    )
    assert (project / "orchestration/src/kfp_pipeline/managed_spark.py").is_file()
    pipeline = (project / "orchestration/pipeline.yaml").read_text()
    assert "componentInputParameter: spark_run" in pipeline


def test_the_kubeflow_grant_checkov_passes_and_catches_a_project_wide_act_as(
    kubeflow_project: Path, tmp_path: Path
) -> None:
    """The module with a pipeline member passes checkov; actAs on every service account of the
    project instead of the batches' one is what CKV_GCP_41 catches."""
    require("uv")
    project = kubeflow_project
    pin = re.search(r'"(checkov==[0-9.]+)"', (project / "tools/check.py").read_text())
    assert pin is not None
    module = tmp_path / "serverless_spark"
    shutil.copytree(_module(project), module)
    variables = module / "variables.tf"
    none = """variable "pipeline_members" {
  description"""
    text = variables.read_text()
    assert none in text
    principal = "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p.svc.id.goog/subject/ns/p/sa/default-editor"
    variables.write_text(
        text.replace(
            'type        = list(string)\n  default     = []\n}\n\nvariable "labels"',
            f'type        = list(string)\n  default     = ["{principal}"]\n}}\n\nvariable "labels"',
        )
    )
    assert principal in variables.read_text()
    scan = ["uv", "tool", "run", "--from", pin.group(1), "checkov", "--quiet", "--compact"]
    scan += ["--framework", "terraform", "--skip-download", "--directory", str(module)]
    clean = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert clean.returncode == 0, (clean.stdout + clean.stderr)[-4000:]
    main = module / "main.tf"
    scoped = """resource "google_service_account_iam_member" "pipeline_act_as" {
  for_each = toset(var.pipeline_members)

  service_account_id = google_service_account.batch.name
"""
    text = main.read_text()
    assert scoped in text
    main.write_text(
        text.replace(
            scoped,
            """resource "google_project_iam_member" "pipeline_act_as" {
  for_each = toset(var.pipeline_members)

  project = var.project_id
""",
        )
    )
    wide = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert wide.returncode != 0
    assert "CKV_GCP_41" in wide.stdout + wide.stderr
