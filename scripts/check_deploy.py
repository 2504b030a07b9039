#!/usr/bin/env python3
"""Checks the deployment files (docker/) without a cluster or a container engine.

1. Schema: every Kubernetes manifest (docker/k8s, as kustomization.yaml lists them) validates
   strictly against the official OpenAPI schemas of several Kubernetes versions, with the schemas
   shipped offline by the `kubernetes-validate` package.
2. Consistency, which no schema sees: selectors match the pod labels, the HPA names the
   Deployment, probes hit /ready and /health on the container's port, that port is the image's
   EXPOSE and ADAPTERBOT_PORT, requests <= limits, referenced ConfigMaps/Secrets/keys exist, the
   pod's uid is the image's non-root USER, compose and the CUDA image agree with the Dockerfile,
   and (given the binary) every ADAPTERBOT_* variable set is one `adapterbot serve` or
   `adapterbot healthcheck` reads.
3. Self-test: each consistency check is run on a deliberately broken copy and must fail.

    scripts/check_deploy.py [--binary target/release/adapterbot]

Prints one line per check and ends with "N passed, N failed"; exit status 1 on any failure.
"""
import argparse, copy, os, re, shutil, subprocess, sys

import yaml
import kubernetes_validate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "docker", "k8s")
# Oldest still commonly run, and the newest the package knows.
K8S_VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version()]
APP_LABEL = ("app.kubernetes.io/name", "adapterbot")


# --- loading --------------------------------------------------------------------------------------
def load_manifests():
    kustomization = yaml.safe_load(open(os.path.join(K8S, "kustomization.yaml")))
    docs = []
    for name in kustomization["resources"]:
        with open(os.path.join(K8S, name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    docs.append((name, doc))
    return docs


def dockerfile(path):
    """The instructions of a Dockerfile's last stage, continuation lines joined, comments dropped."""
    text = open(os.path.join(ROOT, path)).read()
    text = re.sub(r"\\\n", " ", text)
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
    last_from = max(i for i, l in enumerate(lines) if l.upper().startswith("FROM "))
    stage = lines[last_from:]
    out = {"lines": stage}
    for l in stage:
        word, _, rest = l.partition(" ")
        word = word.upper()
        if word == "EXPOSE":
            out["expose"] = int(rest.split("/")[0])
        elif word == "USER":
            out["user"] = rest.strip()
        elif word == "ENTRYPOINT":
            out["entrypoint"] = yaml.safe_load(rest)
        elif word == "HEALTHCHECK":
            out["healthcheck"] = yaml.safe_load(rest[rest.index("CMD") + 3:])
        elif word == "ENV":
            for k, v in re.findall(r"(\w+)=(\S+)", rest):
                out.setdefault("env", {})[k] = v
    return out


def of_kind(docs, kind):
    return [d for _, d in docs if d.get("kind") == kind]


def one(docs, kind):
    found = of_kind(docs, kind)
    if len(found) != 1:
        raise AssertionError(f"expected one {kind}, found {len(found)}")
    return found[0]


QUANTITY = re.compile(r"^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
FACTOR = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(q):
    m = QUANTITY.match(str(q))
    if not m:
        raise AssertionError(f"cannot read the quantity {q!r}")
    return float(m.group(1)) * FACTOR[m.group(2)]


# --- consistency checks: each takes (docs, ctx) and raises AssertionError with what is wrong ------
def container(docs):
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert len(pod["containers"]) == 1, "the Deployment should run one container"
    return pod, pod["containers"][0]


def check_labels(docs, ctx):
    for d in (d for _, d in docs):
        labels = d["metadata"].get("labels", {})
        assert labels.get(APP_LABEL[0]) == APP_LABEL[1], \
            f"{d['kind']}/{d['metadata']['name']} lacks the label {APP_LABEL[0]}={APP_LABEL[1]}"


def check_selectors(docs, ctx):
    dep = one(docs, "Deployment")
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "Deployment": dep["spec"]["selector"]["matchLabels"],
        "Service": one(docs, "Service")["spec"]["selector"],
        "PodDisruptionBudget": one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
    }
    for kind, sel in selectors.items():
        for k, v in sel.items():
            assert pod_labels.get(k) == v, \
                f"{kind} selects {k}={v} but the Deployment's pods are labelled {pod_labels}"


def check_hpa(docs, ctx):
    hpa, dep = one(docs, "HorizontalPodAutoscaler"), one(docs, "Deployment")
    ref = hpa["spec"]["scaleTargetRef"]
    assert (ref["apiVersion"], ref["kind"], ref["name"]) == \
        (dep["apiVersion"], "Deployment", dep["metadata"]["name"]), \
        f"the HPA scales {ref}, not Deployment/{dep['metadata']['name']}"
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], "HPA replica bounds"
    _, c = container(docs)
    for m in hpa["spec"]["metrics"]:
        if m["type"] == "Resource":
            name = m["resource"]["name"]
            assert name in c.get("resources", {}).get("requests", {}), \
                f"the HPA scales on {name} utilisation but the container requests no {name}"


def port_number(c, port):
    for p in c.get("ports", []):
        if port in (p.get("name"), p["containerPort"]):
            return p["containerPort"]
    raise AssertionError(f"port {port!r} is not one of the container's ports {c.get('ports')}")


def check_probes(docs, ctx):
    _, c = container(docs)
    want = {"readinessProbe": "/ready", "livenessProbe": "/health"}
    for probe, path in want.items():
        got = c.get(probe, {}).get("httpGet")
        assert got, f"the container has no HTTP {probe}"
        assert got["path"] == path, f"{probe} asks {got['path']}, the server answers {path}"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        if probe in c:
            n = port_number(c, c[probe]["httpGet"]["port"])
            assert n == ctx["image"]["expose"], \
                f"{probe} uses port {n}, the image serves on {ctx['image']['expose']}"


def check_ports(docs, ctx):
    _, c = container(docs)
    image = ctx["image"]
    ports = [p["containerPort"] for p in c["ports"]]
    assert ports == [image["expose"]], f"containerPort {ports} vs the image's EXPOSE {image['expose']}"
    assert image["env"].get("ADAPTERBOT_PORT") == str(image["expose"]), \
        "the image's ADAPTERBOT_PORT differs from its EXPOSE"
    hc_url = image["env"].get("ADAPTERBOT_HEALTHCHECK_URL")
    if hc_url:
        m = re.match(r"^http://[^/:]+:(\d+)(/\S*)$", hc_url)
        assert m and int(m.group(1)) == image["expose"] and m.group(2) == "/ready", \
            f"the image's health check asks {hc_url}, not /ready on port {image['expose']}"
    cm = one(docs, "ConfigMap")["data"]
    if "ADAPTERBOT_PORT" in cm:
        assert cm["ADAPTERBOT_PORT"] == str(image["expose"]), \
            f"the ConfigMap sets ADAPTERBOT_PORT={cm['ADAPTERBOT_PORT']}, the container port is {image['expose']}"
    svc = one(docs, "Service")
    for p in svc["spec"]["ports"]:
        port_number(c, p["targetPort"])


def check_resources(docs, ctx):
    _, c = container(docs)
    res = c.get("resources", {})
    for what in ("cpu", "memory"):
        req, lim = res.get("requests", {}).get(what), res.get("limits", {}).get(what)
        assert req is not None, f"no {what} request"
        assert lim is not None, f"no {what} limit"
        assert quantity(req) <= quantity(lim), f"{what} request {req} is above its limit {lim}"


def check_references(docs, ctx):
    pod, c = container(docs)
    configmaps = {d["metadata"]["name"]: d for d in of_kind(docs, "ConfigMap")}
    secrets = {d["metadata"]["name"]: d for d in of_kind(docs, "Secret")}

    def secret_keys(name, what):
        s = secrets.get(name)
        assert s, f"{what} reads Secret {name}, which is not in the manifests"
        return set(s.get("stringData", {})) | set(s.get("data", {}))

    for src in c.get("envFrom", []):
        if "configMapRef" in src:
            assert src["configMapRef"]["name"] in configmaps, f"no ConfigMap {src['configMapRef']['name']}"
    for e in c.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["key"] in secret_keys(ref["name"], f"env {e['name']}"), \
                f"Secret {ref['name']} has no key {ref['key']}"
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    files = {}  # path in the container -> the volume it comes from
    for m in c.get("volumeMounts", []):
        v = volumes.get(m["name"])
        assert v, f"volumeMount {m['name']} names no volume"
        if "secret" in v:
            keys = secret_keys(v["secret"]["secretName"], f"volume {v['name']}")
            for item in v["secret"].get("items", [{"key": k, "path": k} for k in keys]):
                assert item["key"] in keys, f"Secret {v['secret']['secretName']} has no key {item['key']}"
                files[m["mountPath"].rstrip("/") + "/" + item["path"]] = v["name"]
    env = {}
    for src in c.get("envFrom", []):
        env.update(configmaps.get(src.get("configMapRef", {}).get("name"), {}).get("data", {}))
    key_file = env.get("ADAPTERBOT_API_KEY_FILE")
    if key_file:
        assert key_file in files, f"ADAPTERBOT_API_KEY_FILE={key_file} is no file a Secret mounts ({sorted(files)})"


def check_shutdown_timing(docs, ctx):
    """SIGTERM comes after preStop; replies in flight then get ADAPTERBOT_SHUTDOWN_GRACE; all of it
    must fit in the pod's (and compose's) grace period, or streams are killed mid-reply."""
    pod, c = container(docs)
    cm = one(docs, "ConfigMap")["data"]
    grace = float(cm.get("ADAPTERBOT_SHUTDOWN_GRACE", 10))
    pre = c.get("lifecycle", {}).get("preStop", {})
    pre_s = float(pre["exec"]["command"][-1]) if "exec" in pre else float(pre.get("sleep", {}).get("seconds", 0))
    total = pod.get("terminationGracePeriodSeconds", 30)
    assert pre_s + grace < total, \
        f"preStop {pre_s:g} s + shutdown grace {grace:g} s do not fit in terminationGracePeriodSeconds {total}"
    server = ctx["compose"]["services"]["adapterbot"]
    stop = server.get("stop_grace_period", "10s")
    stop_s = float(re.match(r"^(\d+)s$", stop).group(1))
    compose_grace = float(str(server.get("environment", {}).get("ADAPTERBOT_SHUTDOWN_GRACE", 10)))
    assert compose_grace < stop_s, f"compose stops after {stop}, the server's grace is {compose_grace:g} s"


def check_security(docs, ctx):
    pod, c = container(docs)
    sc = pod.get("securityContext", {})
    assert sc.get("runAsNonRoot") is True, "the pod does not insist on a non-root user"
    uid = ctx["image"]["user"].split(":")[0]
    assert str(sc.get("runAsUser")) == uid, f"runAsUser {sc.get('runAsUser')} vs the image's USER {uid}"
    csc = c.get("securityContext", {})
    assert csc.get("allowPrivilegeEscalation") is False, "privilege escalation allowed"
    assert csc.get("readOnlyRootFilesystem") is True, "the root filesystem is writable"


def check_env_names(docs, ctx):
    """Every ADAPTERBOT_* variable the manifests, compose and the images set is one the server
    (or its health check) reads, per --help: a misspelt variable is silently ignored otherwise."""
    _, c = container(docs)
    names = set(one(docs, "ConfigMap")["data"]) | {e["name"] for e in c.get("env", [])}
    names |= set(ctx["image"].get("env", {})) | set(ctx["cuda_image"].get("env", {}))
    for service in ctx["compose"]["services"].values():
        names |= set(service.get("environment", {}))
    names = {n for n in names if not n.startswith("NVIDIA_") and n != "NO_COLOR"}
    bad = sorted(n for n in names if not n.startswith("ADAPTERBOT_"))
    assert not bad, f"not ADAPTERBOT_* variables: {bad}"
    if ctx.get("serve_env") is not None:
        unknown = sorted(names - ctx["serve_env"])
        assert not unknown, f"`adapterbot serve`/`healthcheck` read none of {unknown}"


def check_compose(docs, ctx):
    compose, image = ctx["compose"], ctx["image"]
    server = compose["services"]["adapterbot"]
    hc = server["healthcheck"]["test"]
    assert hc[0] == "CMD" and hc[1:] == image["healthcheck"], \
        f"compose health check {hc} vs the image's {image['healthcheck']}"
    targets = [int(str(p).split(":")[-1]) for p in server["ports"]]
    assert image["expose"] in targets, f"compose publishes {targets}, the image serves {image['expose']}"
    skills_dir = server["environment"]["ADAPTERBOT_SKILLS_DIR"]
    mounts = [v for v in server["volumes"] if isinstance(v, dict) and v["target"] == skills_dir]
    assert mounts and mounts[0].get("read_only") is True, \
        f"compose should mount the skills at {skills_dir} read-only"


def check_images_agree(docs, ctx):
    cpu, cuda = ctx["image"], ctx["cuda_image"]
    for key in ("expose", "user", "entrypoint", "healthcheck"):
        assert cpu[key] == cuda[key], f"Dockerfile and Dockerfile.cuda differ in {key}: {cpu[key]} vs {cuda[key]}"
    assert cpu["entrypoint"][:2] == ["adapterbot", "serve"], f"entrypoint {cpu['entrypoint']}"
    assert "--host" in cpu["entrypoint"] and \
        cpu["entrypoint"][cpu["entrypoint"].index("--host") + 1] == "0.0.0.0", \
        "the server must listen on every interface inside a container"
    assert cpu["user"].split(":")[0] not in ("0", "root"), "the image runs as root"
    # docker/smoke.sh builds this stage with these two lines rewritten.
    lines = cpu["lines"]
    assert any(l.startswith("COPY --from=builder /out/adapterbot ") for l in lines), \
        "runtime stage lacks `COPY --from=builder /out/adapterbot …` (docker/smoke.sh rewrites it)"
    assert any(l.startswith("COPY --from=assets /out/models ") for l in lines), \
        "runtime stage lacks `COPY --from=assets /out/models …` (docker/smoke.sh rewrites it)"


CHECKS = [check_labels, check_selectors, check_hpa, check_probes, check_ports, check_resources,
          check_references, check_shutdown_timing, check_security, check_env_names, check_compose,
          check_images_agree]


# --- self-test: every check must catch its own kind of mistake ------------------------------------
def _dep(docs):
    return one(docs, "Deployment")


def _c(docs):
    return _dep(docs)["spec"]["template"]["spec"]["containers"][0]


BREAKAGES = {
    check_labels: lambda d, x: one(d, "Service")["metadata"]["labels"].clear(),
    check_selectors: lambda d, x: one(d, "Service")["spec"]["selector"].update(
        {"app.kubernetes.io/component": "web"}),
    check_hpa: lambda d, x: one(d, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"].update(
        {"name": "adapterbot-old"}),
    check_probes: lambda d, x: _c(d)["readinessProbe"]["httpGet"].update({"path": "/health"}),
    check_ports: lambda d, x: _c(d)["ports"][0].update({"containerPort": 9090}),
    check_resources: lambda d, x: _c(d)["resources"]["requests"].update({"memory": "2Gi"}),
    check_references: lambda d, x: one(d, "ConfigMap")["data"].update(
        {"ADAPTERBOT_API_KEY_FILE": "/etc/adapterbot/keys.txt"}),
    check_shutdown_timing: lambda d, x: one(d, "ConfigMap")["data"].update(
        {"ADAPTERBOT_SHUTDOWN_GRACE": "40"}),
    check_security: lambda d, x: _dep(d)["spec"]["template"]["spec"]["securityContext"].update(
        {"runAsUser": 0}),
    check_env_names: lambda d, x: one(d, "ConfigMap")["data"].update({"ADAPTERBOT_PROT": "8080"}) \
        if x.get("serve_env") is not None else one(d, "ConfigMap")["data"].update({"PORT": "1"}),
    check_compose: lambda d, x: x["compose"]["services"]["adapterbot"]["healthcheck"].update(
        {"test": ["CMD", "curl", "-f", "http://localhost:8080/health"]}),
    check_images_agree: lambda d, x: x["cuda_image"].update({"user": "0:0"}),
}


def serve_env_names(binary):
    """The ADAPTERBOT_* variables `adapterbot serve --help` and `adapterbot healthcheck --help`
    list (clap's `[env: NAME=]`): what the container's two commands read."""
    names = set()
    for command in ("serve", "healthcheck"):
        out = subprocess.run([binary, command, "--help"], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"error: `{binary} {command} --help` failed: {out.stderr.strip()}")
        names |= set(re.findall(r"env: (ADAPTERBOT_\w+)", out.stdout))
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", help="adapterbot binary whose `serve --help` lists the variables")
    args = ap.parse_args()

    passed = failed = 0

    def report(ok, what, why=""):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + why if why else ''}", flush=True)

    docs = load_manifests()
    for version in K8S_VERSIONS:
        for name, doc in docs:
            what = f"schema {version} {name} {doc['kind']}/{doc['metadata']['name']}"
            try:
                kubernetes_validate.validate(doc, version, strict=True)
                report(True, what)
            except kubernetes_validate.utils.ValidationError as e:
                report(False, what, f"{'.'.join(map(str, e.path))}: {e.message}")
            except Exception as e:  # schema missing or unreadable
                report(False, what, str(e))

    # The schema check itself must reject a malformed manifest.
    broken = copy.deepcopy(one(docs, "Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    broken["spec"]["replica"] = 2
    try:
        kubernetes_validate.validate(broken, K8S_VERSIONS[0], strict=True)
        report(False, "schema check rejects a malformed Deployment", "it passed")
    except kubernetes_validate.utils.ValidationError:
        report(True, "schema check rejects a malformed Deployment")

    # kustomization.yaml itself, where kubectl is installed (its kustomize needs no cluster).
    if shutil.which("kubectl"):
        out = subprocess.run(["kubectl", "kustomize", K8S], capture_output=True, text=True)
        rendered = [d for d in yaml.safe_load_all(out.stdout) if d] if out.returncode == 0 else []
        want = sorted((d["kind"], d["metadata"]["name"]) for _, d in docs)
        got = sorted((d["kind"], d["metadata"]["name"]) for d in rendered)
        report(got == want, "kubectl kustomize renders every manifest",
               "" if got == want else out.stderr.strip() or f"{got} vs {want}")

    ctx = {
        "image": dockerfile("docker/Dockerfile"),
        "cuda_image": dockerfile("docker/Dockerfile.cuda"),
        "compose": yaml.safe_load(open(os.path.join(ROOT, "docker", "compose.yaml"))),
        "serve_env": serve_env_names(args.binary) if args.binary else None,
    }
    if ctx["serve_env"] is not None:
        report(bool(ctx["serve_env"]), "`adapterbot serve --help` lists the ADAPTERBOT_* variables")

    for check in CHECKS:
        try:
            check(docs, ctx)
            report(True, check.__name__)
        except (AssertionError, KeyError, TypeError) as e:
            report(False, check.__name__, f"{type(e).__name__}: {e}")
        # The same check on a copy broken on purpose must fail.
        bad_docs, bad_ctx = copy.deepcopy(docs), copy.deepcopy(ctx)
        BREAKAGES[check](bad_docs, bad_ctx)
        try:
            check(bad_docs, bad_ctx)
            report(False, f"{check.__name__} catches a broken copy", "it passed")
        except (AssertionError, KeyError, TypeError):
            report(True, f"{check.__name__} catches a broken copy")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
