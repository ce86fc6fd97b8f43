"""A deterministic corpus of realistic manifests for the validation benchmark.

Variations of what application repositories hold: Deployments (sidecars, probes, resources,
env from secrets, volumes), Services, ConfigMaps (small ones, and large ones of 20 to 200 KB
of configuration text), Pods, spread over single-document YAML files, multi-document YAML
files and JSON files. About 5 % of the documents carry one mistake users make (a misspelt
field, a string where a number goes, a malformed quantity, requests above limits, a
selector that does not match, a probe without a handler, a duplicate container name, an
invalid name), so the invalid path is measured too.

Every document has a ``metadata.name`` and every file parses: kubernetes-validate, which
the benchmark runs on the same files, aborts on anything else.

    python -m benchmarks.corpus DIR [--docs 4000] [--seed 1]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

APPS = ["checkout", "cart", "catalog", "payments", "search", "users", "auth", "orders",
        "inventory", "shipping", "billing", "reviews", "recommend", "notify", "gateway",
        "frontend", "admin", "reports", "media", "ledger"]
TIERS = ["frontend", "backend", "worker", "cache", "api"]
IMAGES = ["nginx:1.27", "redis:7.2-alpine", "postgres:16", "ghcr.io/acme/{app}:v{v}",
          "registry.example.com/shop/{app}:1.{v}.0", "busybox:1.36", "envoyproxy/envoy:v1.30.1",
          "quay.io/prometheus/node-exporter:v1.8.0"]
NAMESPACES = ["default", "shop", "payments", "platform", "staging"]
CPU = ["50m", "100m", "250m", "500m", "1", "2"]
MEMORY = ["64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi"]


def _labels(rng: random.Random, app: str) -> dict[str, str]:
    labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "shop"}
    if rng.random() < 0.7:
        labels["tier"] = rng.choice(TIERS)
    if rng.random() < 0.4:
        labels["app.kubernetes.io/version"] = f"1.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
    return labels


def _image(rng: random.Random, app: str) -> str:
    return rng.choice(IMAGES).format(app=app, v=rng.randint(1, 40))


def _resources(rng: random.Random) -> Obj:
    i, j = rng.randrange(len(CPU) - 1), rng.randrange(len(MEMORY) - 1)
    res: Obj = {"requests": {"cpu": CPU[i], "memory": MEMORY[j]}}
    if rng.random() < 0.7:
        res["limits"] = {"cpu": CPU[rng.randint(i, len(CPU) - 1)],
                         "memory": MEMORY[rng.randint(j, len(MEMORY) - 1)]}
    return res


def _probe(rng: random.Random, port: int) -> Obj:
    kind = rng.random()
    if kind < 0.6:
        probe: Obj = {"httpGet": {"path": rng.choice(["/healthz", "/ready", "/livez"]),
                                  "port": rng.choice([port, "http"])}}
    elif kind < 0.85:
        probe = {"tcpSocket": {"port": port}}
    else:
        probe = {"exec": {"command": ["sh", "-c", "test -f /tmp/ready"]}}
    for field, values in (("initialDelaySeconds", [0, 5, 10, 30]), ("periodSeconds", [5, 10, 20]),
                          ("timeoutSeconds", [1, 2, 5]), ("failureThreshold", [3, 5])):
        if rng.random() < 0.5:
            probe[field] = rng.choice(values)
    return probe


def _container(rng: random.Random, app: str, name: str, main: bool) -> Obj:
    port = rng.choice([80, 8080, 8443, 9090, 3000, 5000])
    c: Obj = {"name": name, "image": _image(rng, app)}
    if rng.random() < 0.5:
        c["imagePullPolicy"] = rng.choice(["IfNotPresent", "Always"])
    if main:
        c["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        if rng.random() < 0.3:
            c["ports"].append({"name": "metrics", "containerPort": 9100})
        if rng.random() < 0.6:
            c["args"] = [f"--port={port}", f"--log-level={rng.choice(['info', 'debug'])}"]
        c["env"] = [{"name": "APP_NAME", "value": app},
                    {"name": "CACHE_TTL", "value": str(rng.choice([30, 60, 300]))}]
        if rng.random() < 0.5:
            c["env"].append({"name": "DATABASE_URL", "valueFrom": {
                "secretKeyRef": {"name": f"{app}-db", "key": "url"}}})
        if rng.random() < 0.3:
            c["envFrom"] = [{"configMapRef": {"name": f"{app}-config"}}]
        c["readinessProbe"] = _probe(rng, port)
        if rng.random() < 0.7:
            c["livenessProbe"] = _probe(rng, port)
    c["resources"] = _resources(rng)
    if rng.random() < 0.4:
        c["securityContext"] = {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": rng.random() < 0.5,
                                "capabilities": {"drop": ["ALL"]}}
    return c


def _pod_spec(rng: random.Random, app: str) -> Obj:
    containers = [_container(rng, app, app, True)]
    if rng.random() < 0.3:
        containers.append(_container(rng, app, rng.choice(["envoy", "log-shipper", "proxy"]),
                                     False))
    spec: Obj = {"containers": containers}
    if rng.random() < 0.5:
        containers[0]["volumeMounts"] = [{"name": "config", "mountPath": f"/etc/{app}",
                                          "readOnly": True}]
        spec["volumes"] = [{"name": "config", "configMap": {"name": f"{app}-config"}}]
    if rng.random() < 0.5:
        spec["serviceAccountName"] = app
    if rng.random() < 0.3:
        spec["nodeSelector"] = {"kubernetes.io/os": "linux"}
    if rng.random() < 0.2:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": app,
                                "effect": "NoSchedule"}]
    if rng.random() < 0.3:
        spec["terminationGracePeriodSeconds"] = rng.choice([10, 30, 60])
    return spec


def deployment(rng: random.Random, n: int) -> Obj:
    app = f"{rng.choice(APPS)}-{n}"
    labels = _labels(rng, app)
    spec: Obj = {
        "replicas": rng.randint(1, 6),
        "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
        "template": {"metadata": {"labels": dict(labels)}, "spec": _pod_spec(rng, app)},
    }
    if rng.random() < 0.6:
        spec["strategy"] = {"type": "RollingUpdate",
                            "rollingUpdate": {"maxSurge": rng.choice(["25%", 1]),
                                              "maxUnavailable": rng.choice([0, "25%"])}}
    if rng.random() < 0.3:
        spec["revisionHistoryLimit"] = rng.choice([3, 5, 10])
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": app, "namespace": rng.choice(NAMESPACES), "labels": labels,
                         "annotations": {"team": rng.choice(APPS)}},
            "spec": spec}


def service(rng: random.Random, n: int) -> Obj:
    app = f"{rng.choice(APPS)}-{n}"
    ports = [{"name": "http", "port": 80, "targetPort": rng.choice([8080, "http"]),
              "protocol": "TCP"}]
    if rng.random() < 0.3:
        ports.append({"name": "metrics", "port": 9100, "targetPort": 9100})
    spec: Obj = {"selector": {"app.kubernetes.io/name": app}, "ports": ports}
    if rng.random() < 0.2:
        spec["type"] = rng.choice(["NodePort", "LoadBalancer"])
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": app, "namespace": rng.choice(NAMESPACES),
                         "labels": _labels(rng, app)},
            "spec": spec}


def _config_text(rng: random.Random, size: int) -> str:
    lines = []
    total = 0
    while total < size:
        section = rng.choice(["server", "upstream", "cache", "feature", "limits"])
        line = (f"{section}.{rng.choice(APPS)}.{rng.randint(0, 999)} = "
                f"{rng.choice(['on', 'off', str(rng.randint(0, 10**6)), 'http://svc:8080/x'])}")
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def configmap(rng: random.Random, n: int, large: bool = False) -> Obj:
    app = f"{rng.choice(APPS)}-{n}"
    if large:
        data = {"app.properties": _config_text(rng, rng.randint(20_000, 200_000))}
    else:
        data = {"LOG_LEVEL": rng.choice(["info", "debug", "warn"]),
                "FEATURE_FLAGS": ",".join(rng.sample(APPS, 3)),
                "TIMEOUT_SECONDS": str(rng.randint(1, 120))}
        if rng.random() < 0.5:
            data["settings.json"] = json.dumps({"retries": rng.randint(1, 5),
                                                "endpoints": rng.sample(APPS, 2)})
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"{app}-config", "namespace": rng.choice(NAMESPACES),
                         "labels": _labels(rng, app)},
            "data": data}


def pod(rng: random.Random, n: int) -> Obj:
    app = f"{rng.choice(APPS)}-{n}"
    spec = _pod_spec(rng, app)
    spec["restartPolicy"] = rng.choice(["Always", "OnFailure", "Never"])
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{app}-{rng.randint(1000, 9999)}",
                         "namespace": rng.choice(NAMESPACES), "labels": _labels(rng, app)},
            "spec": spec}


# -- mistakes -------------------------------------------------------------------------------


def _break(rng: random.Random, obj: Obj) -> Obj:
    """One mistake users make, where the object has room for it."""
    kind = obj["kind"]
    choice = rng.random()
    if kind == "Deployment":
        pod_spec = obj["spec"]["template"]["spec"]
        c = pod_spec["containers"][0]
        if choice < 0.2:
            pod_spec["contianers"] = pod_spec.pop("containers")
        elif choice < 0.35:
            obj["spec"]["replicas"] = "three"
        elif choice < 0.5:
            c["resources"]["requests"]["cpu"] = "500x"
        elif choice < 0.65:
            obj["spec"]["selector"]["matchLabels"] = {"app.kubernetes.io/name": "other"}
        elif choice < 0.8:
            c["readinessProbe"] = {"periodSeconds": 5}
        else:
            pod_spec["containers"].append(copy.deepcopy(c))
    elif kind == "Service":
        if choice < 0.5:
            obj["spec"]["ports"][0]["port"] = 70000
        else:
            obj["spec"]["selectr"] = obj["spec"].pop("selector")
    elif kind == "Pod":
        c = obj["spec"]["containers"][0]
        if choice < 0.5:
            c["resources"] = {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}
        else:
            c.pop("image")
    else:
        obj["metadata"]["name"] = obj["metadata"]["name"].upper() + "_X"
    return obj


def generate(docs: int = 4000, seed: int = 1) -> list[list[Obj]]:
    """``docs`` objects grouped into files (one list of objects per file)."""
    rng = random.Random(seed)
    objects: list[Obj] = []
    for n in range(docs):
        r = rng.random()
        if r < 0.35:
            obj = deployment(rng, n)
        elif r < 0.60:
            obj = service(rng, n)
        elif r < 0.79:
            obj = configmap(rng, n)
        elif r < 0.80:
            obj = configmap(rng, n, large=True)
        else:
            obj = pod(rng, n)
        if rng.random() < 0.05:
            obj = _break(rng, obj)
        objects.append(obj)
    files: list[list[Obj]] = []
    i = 0
    while i < len(objects):
        size = 1 if rng.random() < 0.6 else rng.randint(2, 8)
        files.append(objects[i:i + size])
        i += size
    return files


def write(root: Path, docs: int = 4000, seed: int = 1) -> tuple[list[Path], int]:
    """Write the corpus under ``root``; returns the files and the number of objects."""
    rng = random.Random(seed + 1)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    count = 0
    for n, objs in enumerate(generate(docs, seed)):
        count += len(objs)
        folder = root / objs[0]["metadata"]["namespace"]
        folder.mkdir(exist_ok=True)
        if len(objs) == 1 and rng.random() < 0.15:
            path = folder / f"{n:05d}-{objs[0]['kind'].lower()}.json"
            path.write_text(json.dumps(objs[0], indent=2) + "\n", encoding="utf-8")
        else:
            path = folder / f"{n:05d}-{objs[0]['kind'].lower()}.yaml"
            path.write_text(yaml.safe_dump_all(objs, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths, count = write(args.dir, args.docs, args.seed)
    print(f"{count} documents in {len(paths)} files under {args.dir}")


if __name__ == "__main__":
    main()
