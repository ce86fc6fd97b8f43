"""The compiled fast path gives jsonschema's verdict, document for document."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
import yaml

from reconciler.validation import compiled, formats
from reconciler.validation.engine import Options, Validator
from tests.validation.conftest import FIXTURES, deployment, pod

REPLACEMENTS: list[Any] = ["text", "", 7, -1, 0, 3.5, 2.0, 2**40, True, None, [], {}, ["a"],
                           {"k": "v"}, "500x", "25%", "YWJj", "not base64!",
                           "2026-11-27T10:00:00Z"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _mutate(rng: random.Random, obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    path = rng.choice(_paths(obj)[1:])
    parent = obj
    for part in path[:-1]:
        parent = parent[part]
    roll = rng.random()
    if roll < 0.15 and isinstance(parent, dict):
        del parent[path[-1]]
    elif roll < 0.3 and isinstance(parent, dict):
        parent[rng.choice(["extra", "contianers", "Replicas", "name"])] = rng.choice(REPLACEMENTS)
    else:
        parent[path[-1]] = copy.deepcopy(rng.choice(REPLACEMENTS))
    return obj


def _bases() -> list[dict[str, Any]]:
    docs = [deployment(), pod(), {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                                  "data": {"k": "YWJj"}, "type": "Opaque"}]
    for name in ("valid/deployment.yaml", "valid/service-and-configmap.yaml",
                 "crd/crontab.yaml"):
        docs.extend(d for d in yaml.safe_load_all((FIXTURES / name).read_text()) if d)
    return docs


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "non-strict"])
def test_the_fast_path_agrees_with_jsonschema_on_mutated_documents(strict: bool) -> None:
    crd = yaml.safe_load((FIXTURES / "crd" / "crontab-crd.yaml").read_text())
    validator = Validator(Options(strict=strict, crds=(crd,)))
    rng = random.Random(8)
    disagreements = []
    checked = 0
    for base in _bases():
        kind = validator.kind(base["apiVersion"], base["kind"])
        assert kind.fast is not None, base["kind"]
        for _ in range(60):
            doc = _mutate(rng, base)
            fast = kind.fast(doc)
            slow = next(iter(kind.validator.iter_errors(doc)), None) is None
            checked += 1
            if fast != slow:
                disagreements.append((base["kind"], doc))
    assert checked > 400
    assert disagreements == []


def test_a_schema_with_keywords_left_to_jsonschema_is_not_compiled() -> None:
    from referencing import Registry

    assert compiled.compile_validator({"type": "array", "uniqueItems": True}, Registry(),
                                      formats.CHECKS) is None
    check = compiled.compile_validator({"type": "object", "x-kubernetes-anything": 1,
                                        "description": "annotations are ignored"},
                                       Registry(), formats.CHECKS)
    assert check is not None and check({}) and not check([])


def test_recursive_schemas_compile() -> None:
    from referencing import Registry

    schema = {"$defs": {"node": {"type": "object", "properties": {
        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node", "$id": "urn:tree"}
    from referencing import Resource

    registry = Registry().with_resource("urn:tree", Resource.from_contents(
        {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    check = compiled.compile_validator(schema, registry, formats.CHECKS, "urn:tree")
    assert check is not None
    assert check({"children": [{"children": []}]})
    assert not check({"children": [{"children": 3}]})


def test_unusual_instance_types_are_left_to_jsonschema() -> None:
    from collections import OrderedDict

    validator = Validator(Options())
    kind = validator.kind("v1", "ConfigMap")
    assert kind.fast is not None
    odd = OrderedDict(apiVersion="v1", kind="ConfigMap", metadata={"name": "x"})
    assert kind.fast(odd) is False  # not a verdict: jsonschema decides
    assert validator.check(dict(odd)).valid
