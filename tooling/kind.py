"""The integration test in Kind (issue 25 item 2): one Kind cluster, one colour, the project's own charts and values.

The workflow ``.github/workflows/kind.yml`` runs exactly these commands, one step each; by hand (Docker and Go on the
machine, the project's ``.venv`` set up by ``scripts/setup.sh``)::

    python -m tooling.kind all          # create, image, install, smoke, netpol; then delete (--keep keeps it)
    python -m tooling.kind create       # the cluster: Kind NODE_IMAGE (Kubernetes 1.36), one node, kindnet
    python -m tooling.kind image        # build the stand-in service image (tests/kind/standin) and load it
    python -m tooling.kind install      # the CRDs, then vtc-cluster-config, ngf-blue and vtc-blue (helm)
    python -m tooling.kind smoke        # environments/smoke.py through NGINX (kubectl port-forward), + /-/ready
    python -m tooling.kind netpol       # a pod outside the allowed set is refused by the services' policies
    python -m tooling.kind diagnose     # what is running and why not (the workflow runs it on failure)
    python -m tooling.kind delete
    python -m tooling.kind values DIR   # only write the three releases' values files (no cluster, no Docker)

What is installed, in the order :class:`~vtc_constructs.releases.ClusterReleases` installs it:

1. the CRDs: the two local charts ``gateway-api-crds`` and ``nginx-gateway-fabric-crds`` (helm, as the releases do),
   and the schemas in ``charts/crd-schemas`` (Prometheus Operator, external-secrets, the load balancer controller,
   Sealed Secrets: the kinds the charts render, whose controllers are not part of this test; their objects stay
   inert);
2. ``vtc-cluster-config`` (the namespaces with their Pod Security levels, both colours' Gateways and NGINX network
   policies), values from :func:`~vtc_constructs.cluster_config.cluster_config_values`;
3. ``ngf-blue``: NGINX Gateway Fabric from its OCI registry at the pinned version
   (:data:`~vtc_constructs.release_charts.DEFAULT_CHART_VERSIONS`), values from
   :func:`~vtc_constructs.release_gateway.gateway_values` — what the EKS release gets, byte for byte;
4. ``vtc-blue``: ``charts/vision-to-code``, values from :meth:`~vtc_constructs.workloads.WorkloadsProps.chart_values`.

What differs from an EKS environment, and why (:func:`values` is the one place): the stand-in image
(``kind.local/vtc/<service>:standin``, loaded into the node, so ``pullPolicy: IfNotPresent``: no registry to ask);
two pods per service with small requests (the seed's 3-15 pods at 250m would not fit a runner); no ALB
(``192.0.2.0/24``, a documentation range, stands for its subnets: only ``kubectl port-forward`` reaches NGINX, which
enters the pod's own network and so passes its policy); no database, no AWS (role and target group ARNs of account
000000000000: nothing uses them). The node carries ``topology.kubernetes.io/zone``: the services' zone spread is
``DoNotSchedule``, and a node without the label would take no pod.

The network policies are enforced by Kind's own CNI, kindnet: since Kind v0.24.0 it implements NetworkPolicy with
sigs.k8s.io/kube-network-policies (kind commit e7903573, "implement network policies"; v0.32.0's
images/kindnetd/cmd/kindnetd/main.go starts the policy controller), so no Calico is installed. It fails open (its
``FailOpen: true``) if the kernel's queue is not there: :func:`netpol` therefore proves a refusal, never assumes one.
The kubelet's probes pass the policies (kube-network-policies skips traffic the node's root user makes: its
pkg/dataplane/controller.go at f67f0fb35e2b, the version kindnetd v0.32.0 builds with), and so does
``kubectl port-forward``, which connects inside the pod's own network.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from .helm import TOOLS, binaries as helm_binaries, helm_env
from .paths import REPO

#: Kind: v0.32.0 (2026-06-02; commit cda67ef8588f6bfdac5358233f2471cb2149ecaf of kubernetes-sigs/kind, an active
#: SIG Testing project), installed with ``go install``: Go's checksum database verifies the module.
KIND_VERSION = "v0.32.0"
KIND_MODULE = "sigs.k8s.io/kind"
#: The node image: Kubernetes 1.36.1, the version the environments run (environments/base.toml, eks.kubernetes_version;
#: in EKS standard support until 2027-08-02: vtc_constructs/kubernetes_versions.py). The digest is the one Kind v0.32.0
#: was released with (its pkg/apis/config/defaults/image.go at the tag), so the node is exactly the one Kind tested.
NODE_IMAGE = "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5"
KUBERNETES_VERSION = "1.36"
#: kubectl comes out of the node (/usr/bin/kubectl, which every node image carries: kind's pkg/build/nodeimage), so
#: it is the cluster's own version and pinned by the node image's digest (the project's kubectl, 1.33, is three minor
#: versions behind 1.36, beyond kubectl's supported skew of one).
NODE_KUBECTL = "/usr/bin/kubectl"

CLUSTER = "vtc-kind"
COLOUR = "blue"
ENVIRONMENT = "kind"
REGION = "eu-west-1"
IMAGE_REPOSITORY = "kind.local/vtc"
IMAGE_TAG = "standin"
STANDIN = REPO / "tests" / "kind" / "standin"
#: The ALB's subnets in EKS; here a documentation range (RFC 5737) that nothing comes from.
NO_LOAD_BALANCER = ("192.0.2.0/24",)
#: Where everything this module makes lives: the kind binary, kubectl, the kubeconfig, the values, the pulled chart.
WORK = TOOLS / "kind"
KUBECONFIG = WORK / "kubeconfig"
#: Where ``kubectl port-forward`` puts the colour's NGINX (loopback only).
LOCAL_PORT = 18080
#: How long helm and kubectl wait for a release or a Gateway (a runner pulls NGINX's images meanwhile).
TIMEOUT = "600s"


def say(message: str) -> None:
    print(f"[kind] {message}", flush=True)


# --- the values: the project's own code, with the Kind differences above ----------------------------------------------

def kind_workloads():
    """The environment's :class:`WorkloadsProps`, sized for one runner: two pods per service, small requests."""
    from vtc_constructs.workloads import ImageTags, Resources, ServiceProps, Services, WorkloadsProps

    small = ServiceProps(min_replicas=2, max_replicas=2, resources=Resources(
        cpu_request="50m", memory_request="64Mi", cpu_limit="500m", memory_limit="128Mi"))
    return WorkloadsProps(image_repository=IMAGE_REPOSITORY, image_tags=ImageTags(blue=IMAGE_TAG, green=IMAGE_TAG),
                          services=Services(business=small, core=small, swarm=small, development=small))


def values(colour: str = COLOUR) -> dict[str, dict]:
    """The three releases' values, by release name: ``vtc-cluster-config``, ``ngf-<colour>``, ``vtc-<colour>``."""
    from vtc_constructs.cluster_config import RELEASE_NAME, cluster_config_values
    from vtc_constructs.release_gateway import gateway_values
    from vtc_constructs.workloads import GATEWAY_PORT, gateway_release, release_name

    w = kind_workloads()
    account = "000000000000"
    config = cluster_config_values(
        environment=ENVIRONMENT, region=REGION, load_balancer_cidrs=NO_LOAD_BALANCER,
        target_group_arns={c: f"arn:aws:elasticloadbalancing:{REGION}:{account}:targetgroup/vtc-kind-{c}/"
                              f"{'0' * 16}" for c in ("blue", "green")},
        grafana_admin_secret_name="vtc-kind/grafana-admin", secrets_prefix="vtc-kind/",
        gateway_namespace=w.gateway_namespace, gateway_port=GATEWAY_PORT, routes_namespace=w.namespace,
        monitoring_namespace=w.monitoring_namespace,
        # The namespaces of this test's releases, at the levels ClusterReleases gives them, and external-secrets' (the
        # store's service account goes there; no controller runs in it here).
        namespaces={w.gateway_namespace: "restricted", w.namespace: "restricted", "external-secrets": "restricted"},
        # No cert-manager and no Istio in the Kind cluster (yet): a plain HTTP listener and no mesh. The HTTPS listener
        # and the mesh are checked in rendered manifests (tests/test_cluster_config_chart.py).
        listener_protocol="HTTP")
    gateway = gateway_values(w, colour, namespace=w.gateway_namespace, load_balancer_cidrs=NO_LOAD_BALANCER,
                             cert_manager=False)  # no cert-manager here: NGINX Gateway Fabric's own Job
    services = w.chart_values(colour, environment=ENVIRONMENT, region=REGION,
                              role_arn=f"arn:aws:iam::{account}:role/vtc-kind-services",
                              database_host="database.kind.invalid", database_cidrs=NO_LOAD_BALANCER)
    services["image"]["pullPolicy"] = "IfNotPresent"  # loaded into the node by `kind load`: no registry to ask
    return {RELEASE_NAME: config, gateway_release(colour): gateway, release_name(colour): services}


def write_values(folder: Path, colour: str = COLOUR) -> dict[str, Path]:
    """Write each release's values to ``<folder>/<release>.json``; return the paths by release name."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for release, data in values(colour).items():
        path = folder / f"{release}.json"
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written[release] = path
    return written


def cluster_config(colour: str = COLOUR) -> dict:
    """Kind's cluster configuration: one node of :data:`NODE_IMAGE` with a zone label, Kind's default CNI."""
    return {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4", "name": CLUSTER,
            "nodes": [{"role": "control-plane", "image": NODE_IMAGE,
                       "labels": {"topology.kubernetes.io/zone": f"{CLUSTER}-a"}}],
            # kindnet (the default, disableDefaultCNI false) enforces NetworkPolicy: see the module's docstring.
            "networking": {"disableDefaultCNI": False}}


# --- the tools ------------------------------------------------------------------------------------------------------

def run(args: list[str], *, env: dict | None = None, check: bool = True, capture: bool = False,
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    say("$ " + " ".join(map(str, args)))
    result = subprocess.run([str(a) for a in args], env=env, text=True, input=input,
                            capture_output=capture, cwd=REPO)
    if check and result.returncode != 0:
        detail = (result.stdout or "")[-3000:] + (result.stderr or "")[-3000:] if capture else ""
        raise SystemExit(f"[kind] failed (exit {result.returncode}): {' '.join(map(str, args))}\n{detail}")
    return result


def kind() -> Path:
    """The kind binary at :data:`KIND_VERSION`, installed into .tools/kind/bin with ``go install`` on first use."""
    binary = WORK / "bin" / "kind"
    if binary.is_file() and KIND_VERSION in run([binary, "version"], capture=True, check=False).stdout:
        return binary
    if not shutil.which("go"):
        raise SystemExit(f"[kind] Go is needed once, to install kind {KIND_VERSION}: go install "
                         f"{KIND_MODULE}@{KIND_VERSION} (or put that binary at {binary})")
    run(["go", "install", f"{KIND_MODULE}@{KIND_VERSION}"], env={**os.environ, "GOBIN": str(binary.parent)})
    return binary


def kubectl_binary() -> Path:
    return WORK / "kubectl"


def cluster_env() -> dict[str, str]:
    # Go's own garbage collection (go_gc=False): these are long-lived tools against a real cluster on a CI runner
    # (helm --wait, kubectl port-forward), not the short runs tool_env's setting is measured on.
    return {**helm_env(go_gc=False), "KUBECONFIG": str(KUBECONFIG)}


def kubectl(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return run([kubectl_binary(), *args], env=cluster_env(), **kwargs)


def helm(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return run([helm_binaries().helm, *args], env=cluster_env(), **kwargs)


# --- the steps ------------------------------------------------------------------------------------------------------

def create() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    config = WORK / "cluster.json"
    config.write_text(json.dumps(cluster_config(), indent=2) + "\n", encoding="utf-8")
    run([kind(), "create", "cluster", "--config", config, "--kubeconfig", KUBECONFIG, "--wait", "5m"])
    # The cluster's own kubectl (see NODE_KUBECTL).
    run(["docker", "cp", f"{CLUSTER}-control-plane:{NODE_KUBECTL}", kubectl_binary()])
    kubectl("version")
    kubectl("get", "nodes", "--show-labels")


def image() -> None:
    from vtc_constructs.workloads import SERVICES

    base = f"{IMAGE_REPOSITORY}/standin:{IMAGE_TAG}"
    run(["docker", "build", "--pull", "--tag", base, STANDIN])
    tags = [f"{IMAGE_REPOSITORY}/{service}:{IMAGE_TAG}" for service in SERVICES]
    for tag in tags:
        run(["docker", "tag", base, tag])
    run([kind(), "load", "docker-image", "--name", CLUSTER, *tags])


def install() -> None:
    from vtc_constructs.release_charts import (CHART_REPOSITORIES, CLUSTER_CONFIG_CHART, DEFAULT_CHART_VERSIONS,
                                               GATEWAY_API_CRDS_CHART, NGINX_GATEWAY_FABRIC_CRDS_CHART, SERVICES_CHART)
    from vtc_constructs.release_common import KUBE_SYSTEM
    from vtc_constructs.workloads import gateway_name

    w = kind_workloads()
    files = write_values(WORK / "values")
    charts = REPO / "charts"
    # 1. The CRDs, before anything that uses them.
    for chart in (GATEWAY_API_CRDS_CHART, NGINX_GATEWAY_FABRIC_CRDS_CHART):
        helm("upgrade", "--install", chart, charts / chart, "--namespace", KUBE_SYSTEM, "--wait=watcher",
             "--timeout", TIMEOUT)
    for schema in sorted((charts / "crd-schemas").glob("*.yaml")):
        kubectl("apply", "--server-side", "--filename", schema)
    kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=120s")
    # 2. The namespaces (Pod Security levels), the Gateways and NGINX's network policies.
    from vtc_constructs.cluster_config import RELEASE_NAME
    helm("upgrade", "--install", RELEASE_NAME, charts / CLUSTER_CONFIG_CHART, "--namespace", w.monitoring_namespace,
         "--create-namespace", "--values", files[RELEASE_NAME], "--timeout", TIMEOUT)
    # 3. NGINX Gateway Fabric for the colour, from its OCI registry at the pinned version; the digest is printed.
    repository, name = CHART_REPOSITORIES["nginx-gateway-fabric"]
    version = DEFAULT_CHART_VERSIONS["nginx-gateway-fabric"]
    pulled = WORK / "charts"
    shutil.rmtree(pulled, ignore_errors=True)
    helm("pull", f"{repository}/{name}", "--version", version, "--destination", pulled)
    release = f"ngf-{COLOUR}"
    helm("upgrade", "--install", release, pulled / f"{name}-{version}.tgz", "--namespace", w.gateway_namespace,
         "--skip-crds", "--values", files[release], "--wait=watcher", "--timeout", TIMEOUT)
    kubectl("wait", "--namespace", w.gateway_namespace, f"gateway/{gateway_name(COLOUR)}",
            "--for=condition=Programmed", f"--timeout={TIMEOUT}")
    # 4. The services of the colour.
    release = f"vtc-{COLOUR}"
    helm("upgrade", "--install", release, charts / SERVICES_CHART, "--namespace", w.namespace,
         "--values", files[release], "--wait=watcher", "--timeout", TIMEOUT)
    kubectl("get", "pods,httproutes,networkpolicies", "--namespace", w.namespace, "-o", "wide")


def _port_forward(deadline: float) -> subprocess.Popen:
    """``kubectl port-forward`` to the colour's NGINX Service on 127.0.0.1:LOCAL_PORT, once it accepts."""
    from vtc_constructs.workloads import GATEWAY_PORT, gateway_service_name

    w = kind_workloads()
    args = [str(kubectl_binary()), "port-forward", "--namespace", w.gateway_namespace, "--address", "127.0.0.1",
            f"service/{gateway_service_name(COLOUR)}", f"{LOCAL_PORT}:{GATEWAY_PORT}"]
    say("$ " + " ".join(args))
    process = subprocess.Popen(args, env=cluster_env(), cwd=REPO)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"[kind] kubectl port-forward ended (exit {process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", LOCAL_PORT), timeout=1).close()
            return process
        except OSError:
            time.sleep(1)
    process.terminate()
    raise SystemExit("[kind] kubectl port-forward did not start listening in time")


def smoke(wait_seconds: float = 180) -> None:
    """environments/smoke.py's checks of the colour through its NGINX, retried until NGINX has every route (or the
    deadline), then the colour's health route (``/-/ready``, what the ALB's target groups ask)."""
    import urllib.error
    import urllib.request

    from environments.smoke import run_smoke
    from vtc_constructs.workloads import GATEWAY_HEALTH_PATH

    deadline = time.monotonic() + wait_seconds
    forward = _port_forward(deadline)
    url = f"http://127.0.0.1:{LOCAL_PORT}"
    try:
        while not run_smoke(url, colour=COLOUR).ok and time.monotonic() < deadline:
            say("not every check passes yet; retrying while NGINX takes the routes")
            time.sleep(5)
        report = run_smoke(url, colour=COLOUR, out=sys.stdout)  # the run that counts, every line printed
        say(report.summary())
        try:
            with urllib.request.urlopen(url + GATEWAY_HEALTH_PATH, timeout=5) as response:
                status, body = response.status, response.read(2000).decode("utf-8", "replace")
        except (OSError, ValueError) as error:
            status, body = None, f"{type(error).__name__}: {getattr(error, 'reason', error)}"
        say(f"health route {GATEWAY_HEALTH_PATH}: {status} {body}")
    finally:
        forward.terminate()
        forward.wait(timeout=10)
    if not (report.ok and report.results and status == 200):
        raise SystemExit("[kind] smoke checks failed")


def probe_pod(name: str = "netpol-probe") -> dict:
    """A pod of the stand-in image in the services' namespace, outside the allowed set (not NGINX, not Prometheus),
    that must get no answer from any service and must reach CoreDNS (so the refusal is the policies', not a broken
    network). It meets the namespace's restricted Pod Security level."""
    from vtc_constructs.workloads import SERVICES, release_name

    w = kind_workloads()
    refused = [f"--refused=http://{release_name(COLOUR)}-{s}.{w.namespace}.svc.cluster.local/{s}/healthz"
               for s in SERVICES]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": w.namespace,
                     "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "vtc-kind-test"}},
        "spec": {
            "restartPolicy": "Never", "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "probe", "image": f"{IMAGE_REPOSITORY}/core:{IMAGE_TAG}", "imagePullPolicy": "IfNotPresent",
                "args": ["probe", "--timeout=5", "--open=kube-dns.kube-system.svc.cluster.local:53", *refused],
                "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}}}]},
    }


def netpol(wait_seconds: float = 180) -> None:
    pod = probe_pod()
    namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    kubectl("delete", "pod", name, "--namespace", namespace, "--ignore-not-found", "--wait=true")
    kubectl("apply", "--filename", "-", input=json.dumps(pod))
    deadline, phase = time.monotonic() + wait_seconds, ""
    while time.monotonic() < deadline:
        phase = kubectl("get", "pod", name, "--namespace", namespace, "-o", "jsonpath={.status.phase}",
                        capture=True).stdout.strip()
        if phase in ("Succeeded", "Failed"):
            break
        time.sleep(2)
    kubectl("logs", name, "--namespace", namespace, check=False)
    if phase != "Succeeded":
        raise SystemExit(f"[kind] NetworkPolicy check failed: the probe pod ended {phase or 'nowhere'} (see its "
                         "lines above: a service answered, or the pod's own network was broken)")
    say("NetworkPolicy check passed: a pod outside the allowed set got no answer from any service")


def diagnose() -> None:
    if not (kubectl_binary().is_file() and KUBECONFIG.is_file()):
        say("no cluster to diagnose (create did not finish)")
        return
    for args in (["get", "nodes", "-o", "wide"], ["get", "pods,services,deployments", "-A", "-o", "wide"],
                 ["get", "gateways,httproutes", "-A", "-o", "yaml"], ["get", "events", "-A", "--sort-by=.lastTimestamp"],
                 ["describe", "pods", "-n", "vision-to-code"], ["describe", "pods", "-n", "nginx-gateway"],
                 ["logs", "-n", "nginx-gateway", "-l", "app.kubernetes.io/name=nginx-gateway-fabric", "--tail=200",
                  "--all-containers"]):
        kubectl(*args, check=False)


def delete() -> None:
    run([kind(), "delete", "cluster", "--name", CLUSTER])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.kind", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("create", "image", "install", "smoke", "netpol", "diagnose", "delete"):
        sub.add_parser(name)
    everything = sub.add_parser("all", help="create, image, install, smoke, netpol, then delete")
    everything.add_argument("--keep", action="store_true", help="keep the cluster afterwards")
    write = sub.add_parser("values", help="write the releases' values files into DIR")
    write.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "values":
        for release, path in write_values(args.folder).items():
            print(f"{release}: {path}")
        return 0
    steps = {"create": create, "image": image, "install": install, "smoke": smoke, "netpol": netpol,
             "diagnose": diagnose, "delete": delete}
    if args.command != "all":
        steps[args.command]()
        return 0
    try:
        for name in ("create", "image", "install", "smoke", "netpol"):
            steps[name]()
    except BaseException:
        diagnose()
        raise
    finally:
        if not args.keep:
            delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
