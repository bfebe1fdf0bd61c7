"""deploy/kubernetes: valid for the Kubernetes API, and saying what it must.

Every manifest is validated strictly (an unknown field is an error) with
kubernetes-validate, which ships the API's schemas: no cluster, no network.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.cli import parser
from bot.config import Settings
from tests.deploy.support import KUBERNETES, dockerfile, yaml_documents

VERSIONS = ["1.30", kubernetes_validate.latest_version()]
MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")
PORT = Settings.model_fields["port"].default
FIELDS = {name.upper() for name in Settings.model_fields}
CUSTOM = {"monitoring.coreos.com/v1"}
"""Kinds of an operator (PrometheusRule), which the API's schemas don't have."""


def resource(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d
        for path in MANIFESTS
        for d in yaml_documents(path)
        if d["kind"] == kind and name in (None, d["metadata"]["name"])
    ]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def deployment() -> dict[str, Any]:
    return resource("Deployment", "postpoc")


def cronjob() -> dict[str, Any]:
    return resource("CronJob", "postpoc-tick")


def pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    yield "Deployment", deployment()["spec"]["template"]["spec"]
    yield "CronJob", cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def command_of(args: list[str]) -> str:
    """The postpoc command these arguments run, as bot/cli.py parses them."""
    try:
        command = parser().parse_args(args).command
    except SystemExit:
        pytest.fail(f"`postpoc {' '.join(args)}` is not a command of bot/cli.py", pytrace=False)
    assert isinstance(command, str)
    return command


def only_container(pod: dict[str, Any]) -> dict[str, Any]:
    (container,) = pod["containers"]
    assert isinstance(container, dict)
    return container


def env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def secret_refs(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: entry["valueFrom"]["secretKeyRef"]
        for name, entry in env(container).items()
        if "secretKeyRef" in entry.get("valueFrom", {})
    }


# --- schemas ----------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_each_manifest_is_valid_for_kubernetes(path: Path, version: str) -> None:
    documents = yaml_documents(path)
    assert documents
    for document in documents:
        if document["apiVersion"] in CUSTOM:
            continue  # not the API's own kinds: tests/deploy/test_alerts.py checks them
        kubernetes_validate.validate(document, version, strict=True)


def test_strict_validation_catches_a_misspelt_field() -> None:
    broken = deployment()
    broken["spec"]["replica"] = broken["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError, match="replica"):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)


def test_kustomization_applies_everything_but_the_secret_and_the_example() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert all((KUBERNETES / name).is_file() for name in listed)
    expected = {p.name for p in MANIFESTS if p.name != "secret.yaml" and ".example." not in p.name}
    assert listed == expected
    (image,) = kustomization["images"]
    assert deployment_image().split(":")[0] == image["name"]


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
def test_the_kustomization_renders_valid_resources() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(KUBERNETES)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    documents = [d for d in yaml.safe_load_all(rendered) if d]
    assert {d["kind"] for d in documents} >= {"Deployment", "Service", "CronJob"}
    for document in documents:
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == "postpoc"
        kubernetes_validate.validate(document, VERSIONS[0], strict=True)


# --- the Deployment -----------------------------------------------------------


def deployment_image() -> str:
    image = only_container(deployment()["spec"]["template"]["spec"])["image"]
    assert isinstance(image, str)
    return image


def test_several_replicas_roll_without_losing_capacity() -> None:
    spec = deployment()["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()


def test_the_deployment_serves_with_the_scheduler_off() -> None:
    container = only_container(deployment()["spec"]["template"]["spec"])
    assert command_of(container["args"]) == "serve"
    scheduler = env(container)["SCHEDULER"]["value"]
    assert Settings(_env_file=None, scheduler=scheduler).scheduler is False
    assert [p["containerPort"] for p in container["ports"]] == [PORT]


def test_probes_ask_readyz_and_healthz_on_the_bots_port() -> None:
    container = only_container(deployment()["spec"]["template"]["spec"])
    readiness = container["readinessProbe"]["httpGet"]
    liveness = container["livenessProbe"]["httpGet"]
    assert (readiness["path"], readiness["port"]) == ("/readyz", PORT)
    assert (liveness["path"], liveness["port"]) == ("/healthz", PORT)
    startup = container["startupProbe"]
    assert startup["httpGet"]["path"] == "/healthz"
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120, "time to migrate"


@pytest.mark.parametrize("kind", ["Deployment", "CronJob"])
def test_pods_run_unprivileged_on_a_read_only_root(kind: str) -> None:
    pod = dict(pod_specs())[kind]
    container = only_container(pod)
    uid = int(dockerfile().final.all("USER")[-1].value.partition(":")[0])
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == uid
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    context = container["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "a writable /tmp"
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound]), bound


def test_a_stopping_pod_drains_within_its_grace_period() -> None:
    """preStop, then the drain of requests in flight, then Slack's acknowledged
    work: all inside terminationGracePeriodSeconds, which counts from preStop."""
    from bot.slack.app import DRAIN_SECONDS as SLACK_WORK_SECONDS

    pod = deployment()["spec"]["template"]["spec"]
    container = only_container(pod)
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    pre_stop = float(command[1])
    drain = Settings(_env_file=None, drain_seconds=env(container)["DRAIN_SECONDS"]["value"])  # type: ignore[call-arg]
    needed = pre_stop + drain.drain_seconds + SLACK_WORK_SECONDS
    assert pod["terminationGracePeriodSeconds"] >= needed + 5, needed
    assert drain.drain_seconds >= 30, "a turn (a model call and a slow platform) can take that long"


# --- the CronJob ----------------------------------------------------------------


def test_the_cronjob_ticks_every_five_minutes_one_at_a_time() -> None:
    job = cronjob()["spec"]
    assert job["schedule"] == "*/5 * * * *"
    assert job["concurrencyPolicy"] == "Forbid"
    pod = job["jobTemplate"]["spec"]["template"]["spec"]
    # A failed pass (exit 1) is retried by the next schedule, not at once, so
    # that its failure stays visible to the alerts.
    assert pod["restartPolicy"] == "Never"
    assert job["jobTemplate"]["spec"]["backoffLimit"] == 0
    container = only_container(pod)
    assert container["args"] == ["tick"]
    assert container["image"] == deployment_image()


def test_the_cronjob_pushes_its_counters_for_the_alerts() -> None:
    container = only_container(dict(pod_specs())["CronJob"])
    url = env(container)["PUSHGATEWAY_URL"]["value"]
    assert Settings(_env_file=None, pushgateway_url=url).pushgateway_url == url  # type: ignore[call-arg]
    assert url.startswith("http://")


def test_tick_is_a_postpoc_command() -> None:
    args = only_container(dict(pod_specs())["CronJob"])["args"]
    assert command_of(args) == "tick"


def test_the_cronjob_has_the_same_credentials_as_the_deployment() -> None:
    served, ticked = (secret_refs(only_container(pod)) for _, pod in pod_specs())
    assert served == ticked


# --- Service, disruption budget, ingress ----------------------------------------


def test_the_service_sends_port_80_to_the_bot() -> None:
    service = resource("Service", "postpoc")["spec"]
    assert service.get("type", "ClusterIP") == "ClusterIP"
    (port,) = service["ports"]
    assert (port["port"], port["targetPort"]) == (80, PORT)
    labels = deployment()["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    tick_labels = cronjob()["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert not service["selector"].items() <= tick_labels.items(), "no traffic to the CronJob"


def test_the_disruption_budget_covers_the_bot_pods() -> None:
    budget = resource("PodDisruptionBudget", "postpoc")["spec"]
    labels = deployment()["spec"]["template"]["metadata"]["labels"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()


def test_the_example_ingress_publishes_only_the_platforms_paths() -> None:
    ingress = resource("Ingress", "postpoc")["spec"]
    service = resource("Service", "postpoc")
    paths = [path for rule in ingress["rules"] for path in rule["http"]["paths"]]
    assert {p["path"] for p in paths} == {"/slack", "/api/messages"}
    for path in paths:
        backend = path["backend"]["service"]
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


# --- the Secret and the settings ------------------------------------------------


def secret() -> dict[str, str]:
    manifest = resource("Secret", "postpoc-secrets")
    data = manifest["stringData"]
    assert all(isinstance(value, str) for value in data.values())
    return dict(data)


def test_every_secret_key_referenced_exists_and_every_key_is_used() -> None:
    keys = set(secret())
    for kind, pod in pod_specs():
        refs = secret_refs(only_container(pod))
        assert {ref["name"] for ref in refs.values()} == {"postpoc-secrets"}, kind
        assert {ref["key"] for ref in refs.values()} == keys, kind
        assert all(name == ref["key"] for name, ref in refs.items()), kind
        assert not refs["DATABASE_URL"].get("optional", False), "no database, no start"


@pytest.mark.parametrize("kind", ["Deployment", "CronJob"])
def test_every_variable_is_a_setting(kind: str) -> None:
    container = only_container(dict(pod_specs())[kind])
    assert set(env(container)) <= FIELDS
    assert "envFrom" not in container, "every variable named, so that it can be checked"


def test_the_placeholders_make_settings_that_would_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Filled in with the placeholders' shapes, the settings pass the bot's own checks."""
    for name in FIELDS:
        monkeypatch.delenv(name, raising=False)
    container = only_container(deployment()["spec"]["template"]["spec"])
    values = {name: entry["value"] for name, entry in env(container).items() if "value" in entry}
    values |= secret()
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in values.items()})
    assert settings.slack_configured
    assert settings.teams_configured
    assert settings.db_url().get_backend_name() == "postgresql"
