"""Every message ``reconciler validate`` prints, with its field path and line."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.validation import Reason, Status, validate, validate_text
from tests.validation.conftest import deployment, pod


def rendered(obj: Any, **options: Any) -> list[str]:
    return [p.render() for p in validate(obj, **options).problems]


def container(**fields: Any) -> dict[str, Any]:
    return {"name": "c", "image": "nginx", **fields}


# -- decoding: the schema --------------------------------------------------------------------


def test_a_valid_object_is_valid() -> None:
    result = validate(deployment())
    assert result.status is Status.VALID and result.problems == ()
    assert (result.kind, result.name, result.api_version) == ("Deployment", "web", "apps/v1")


def test_an_unknown_field_is_reported_at_its_own_path_with_a_suggestion() -> None:
    obj = pod()
    obj["spec"]["contianers"] = obj["spec"].pop("containers")
    assert rendered(obj) == ["spec.containers: Required value",
                             ('spec.contianers: unknown field "contianers", did you mean '
                             '"containers"?')]


def test_a_wrongly_capitalised_field_gets_its_right_spelling() -> None:
    obj = pod(RestartPolicy="Always")
    assert rendered(obj) == [('spec.RestartPolicy: unknown field "RestartPolicy", did you '
                             'mean "restartPolicy"?')]


def test_non_strict_mode_allows_unknown_fields() -> None:
    obj = pod(extra=1)
    assert validate(obj, strict=False).valid
    assert not validate(obj).valid


def test_a_value_of_the_wrong_type() -> None:
    assert rendered(deployment(replicas="three")) == [
        'spec.replicas: Invalid value: "three": expected integer, got string']


def test_an_int_or_string_names_both_types() -> None:
    obj = deployment(strategy={"rollingUpdate": {"maxSurge": [25]}})
    assert rendered(obj) == [("spec.strategy.rollingUpdate.maxSurge: Invalid type: expected "
                             "string or integer, got array")]


def test_every_error_is_reported_not_only_the_first() -> None:
    obj = deployment(replicas="3", templates={})
    assert rendered(obj) == ['spec.replicas: Invalid value: "3": expected integer, got string',
                             ('spec.templates: unknown field "templates", did you mean '
                             '"template"?')]


def test_explicit_nulls_are_unset_as_the_api_server_reads_them() -> None:
    obj = deployment(strategy={"rollingUpdate": {"maxSurge": None}})
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": None}}
    assert validate(obj).valid


@pytest.mark.parametrize("obj,message", [
    pytest.param(deployment(replicas=3_000_000_000),
                 "spec.replicas: Invalid value: 3000000000: out of range for an int32",
                 id="an int32 out of range"),
    pytest.param({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                  "data": {"password": "hunter2!"}},
                 'data[password]: Invalid value: "hunter2!": illegal base64 data',
                 id="Secret data that is not base64"),
    pytest.param({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "c", "creationTimestamp": "yesterday"}},
                 'metadata.creationTimestamp: Invalid value: "yesterday": must be an RFC 3339 '
                 "date-time (e.g. 2006-01-02T15:04:05Z)", id="a time that is not RFC 3339"),
])
def test_formats_the_api_server_decodes_into_go_types(obj: dict[str, Any], message: str) -> None:
    assert rendered(obj) == [message]


def test_a_required_field() -> None:
    assert rendered({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": "d"}}) == ["spec: Required value"]


def test_an_unsupported_enum_value() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    from reconciler.validation.messages import _message

    assert _message("enum", "Sometimes", ["Always", "Never"], None) == (  # type: ignore[arg-type]
        'Unsupported value: "Sometimes": supported values: "Always", "Never"')
    assert validate(obj).valid


# -- kinds ------------------------------------------------------------------------------------


def test_missing_api_version_and_kind() -> None:
    result = validate({"metadata": {"name": "x"}})
    assert [p.render() for p in result.problems] == ["apiVersion: Required value",
                                                     "kind: Required value"]
    assert result.status is Status.INVALID


def test_a_removed_api_names_its_removal_and_replacement() -> None:
    obj = {**deployment(), "apiVersion": "extensions/v1beta1"}
    assert rendered(obj) == [("apiVersion: Deployment extensions/v1beta1 was removed in "
                             "Kubernetes 1.16: use apiVersion apps/v1 instead")]


def test_an_api_removed_after_the_version_asked_for_is_still_valid_there() -> None:
    hpa = {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "h"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3}}
    assert validate(hpa, version="1.25").valid
    assert rendered(hpa, version="1.26") == [
        ("apiVersion: HorizontalPodAutoscaler autoscaling/v2beta2 was removed in Kubernetes "
        "1.26: use apiVersion autoscaling/v2 instead")]


def test_pod_security_policy_says_nothing_replaces_it() -> None:
    obj = {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "p"}}
    assert "use Pod Security Admission" in rendered(obj)[0]


def test_a_kind_under_the_wrong_api_version_names_where_it_is_served() -> None:
    obj = {**deployment(), "apiVersion": "v1"}
    assert rendered(obj) == [('kind: no matches for kind "Deployment" in version "v1" in '
                             "Kubernetes 1.37 (Deployment is served as apps/v1)")]


def test_an_unknown_kind_in_a_kubernetes_group_is_invalid_unless_ignored() -> None:
    obj = {"apiVersion": "apps/v1", "kind": "Ostrich", "metadata": {"name": "o"}}
    assert rendered(obj) == [('kind: no matches for kind "Ostrich" in version "apps/v1" in '
                             "Kubernetes 1.37")]
    result = validate(obj, ignore_missing_schemas=True)
    assert result.status is Status.SKIPPED and "Ostrich" in result.skip_reason


def test_a_custom_resource_without_a_schema_is_skipped_or_rejected() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    skipped = validate(obj)
    assert skipped.status is Status.SKIPPED and skipped.valid
    assert skipped.skip_reason == ("no schema for Widget example.com/v1: a custom resource; "
                                   "give its CustomResourceDefinition or --schema-location DIR")
    rejected = validate(obj, reject_unknown=True)
    assert rejected.status is Status.INVALID
    assert rejected.problems[0].reason is Reason.NO_SCHEMA


def test_skipped_kinds_by_name_or_api_version() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "bad": 1}
    assert validate(secret, skip=["Secret"]).status is Status.SKIPPED
    assert validate(secret, skip=["v1/Secret"]).status is Status.SKIPPED
    assert validate(secret, skip=["ConfigMap"]).status is Status.INVALID


def test_generate_name_is_a_name() -> None:
    obj = pod()
    obj["metadata"] = {"generateName": "job-"}
    result = validate(obj)
    assert result.valid and result.name == "job-*"
    obj["metadata"] = {"generateName": "Job_"}
    assert rendered(obj)[0].startswith('metadata.generateName: Invalid value: "Job_"')


def test_a_list_kind_needs_no_name() -> None:
    obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleList", "items": []}
    assert validate(obj).valid


def test_rbac_names_may_contain_colons() -> None:
    obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
           "metadata": {"name": "system:controller:web"}, "rules": []}
    assert validate(obj).valid


def test_an_unsupported_kubernetes_version_is_an_error() -> None:
    from reconciler.validation.schemas import SchemaError

    with pytest.raises(SchemaError, match="Kubernetes 1.24 is not supported: schemas are "
                                          "available for 1.25 to 1.37"):
        validate(pod(), version="1.24")
    with pytest.raises(SchemaError, match='"one" is not a Kubernetes version'):
        validate(pod(), version="one")
    assert validate(pod(), version="v1.30.2").version == "1.30"


# -- the API server's semantic checks --------------------------------------------------------


@pytest.mark.parametrize("obj,message", [
    pytest.param(pod(container(resources={"requests": {"cpu": "500x"}})),
                 'spec.containers[0].resources.requests.cpu: Invalid value: "500x": quantities '
                 "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                 id="a malformed quantity"),
    pytest.param(pod(container(resources={"requests": {"cpu": "2"}, "limits": {"cpu": 1}})),
                 'spec.containers[0].resources.requests: Invalid value: "2": must be less than '
                 "or equal to cpu limit of 1", id="requests above limits"),
    pytest.param(pod(container(), container()),
                 'spec.containers[1].name: Duplicate value: "c"', id="duplicate container names"),
    pytest.param(pod(container(ports=[{"name": "http", "containerPort": 80},
                                      {"name": "http", "containerPort": 81}])),
                 'spec.containers[0].ports[1].name: Duplicate value: "http"',
                 id="duplicate port names"),
    pytest.param(pod(container(ports=[{"containerPort": 80, "hostPort": 8080}]),
                     {"name": "d", "image": "x", "ports": [{"containerPort": 81,
                                                            "hostPort": 8080}]}),
                 'spec.containers[1].ports[0].hostPort: Duplicate value: "/TCP/8080"',
                 id="duplicate host ports"),
    pytest.param(pod(container(ports=[{"name": "web_http", "containerPort": 80}])),
                 'spec.containers[0].ports[0].name: Invalid value: "web_http": must contain only '
                 "alpha-numeric characters (a-z, 0-9), and hyphens (-)", id="a bad port name"),
    pytest.param(pod(container(livenessProbe={"periodSeconds": 5})),
                 "spec.containers[0].livenessProbe: Required value: must specify a handler type",
                 id="a probe without a handler"),
    pytest.param(pod(container(readinessProbe={"exec": {"command": ["true"]},
                                               "tcpSocket": {"port": 80}})),
                 "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more "
                 "than 1 handler type", id="a probe with two handlers"),
    pytest.param(pod(container(livenessProbe={"tcpSocket": {"port": 80},
                                              "timeoutSeconds": -1})),
                 "spec.containers[0].livenessProbe.timeoutSeconds: Invalid value: -1: must be "
                 "greater than or equal to 0", id="a negative probe timeout"),
    pytest.param(pod(container(startupProbe={"tcpSocket": {"port": 80},
                                             "successThreshold": 2})),
                 "spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1",
                 id="a startup probe success threshold"),
    pytest.param(pod(container(readinessProbe={"httpGet": {"port": 70000}})),
                 "spec.containers[0].readinessProbe.httpGet.port: Invalid value: 70000: must be "
                 "between 1 and 65535, inclusive", id="a probe port out of range"),
    pytest.param(pod(container(env=[{"name": "A", "value": "x",
                                     "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}])),
                 'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified '
                 "when `value` is not empty", id="value and valueFrom"),
    pytest.param(pod(container(), restartPolicy="Sometimes"),
                 'spec.restartPolicy: Unsupported value: "Sometimes": supported values: '
                 '"Always", "OnFailure", "Never"', id="a restart policy"),
    pytest.param(deployment(replicas=-1),
                 "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                 id="negative replicas"),
    pytest.param(deployment(selector={"matchLabels": {"app": "other"}}),
                 "spec.template.metadata.labels: Invalid value: map[app:web]: `selector` does "
                 "not match template `labels`", id="a selector that does not match"),
    pytest.param(deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}),
                 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 '
                 "when `maxSurge` is 0", id="maxSurge and maxUnavailable both zero"),
    pytest.param(deployment(strategy={"rollingUpdate": {"maxUnavailable": "150%"}}),
                 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be '
                 "greater than 100%", id="maxUnavailable above 100%"),
    pytest.param(deployment(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
                 "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy "
                 "`type` is 'Recreate'", id="rollingUpdate with Recreate"),
    pytest.param(deployment(progressDeadlineSeconds=5, minReadySeconds=10),
                 "spec.progressDeadlineSeconds: Invalid value: 5: must be greater than "
                 "minReadySeconds", id="a progress deadline below minReadySeconds"),
    pytest.param({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1web"},
                  "spec": {"ports": [{"port": 80}]}},
                 'metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower '
                 "case alphanumeric characters or '-', start with an alphabetic character, and "
                 "end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used "
                 "for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')", id="a service name"),
    pytest.param({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                  "spec": {"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80}]}},
                 'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", '
                 "AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, "
                 'IntVal:0, StrVal:""}, NodePort:0}', id="a duplicate service port"),
    pytest.param({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                  "spec": {"ports": [{"port": 80, "targetPort": "http--alt"}]}},
                 'spec.ports[0].targetPort: Invalid value: "http--alt": must not contain '
                 "consecutive hyphens", id="a target port name"),
    pytest.param({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                  "data": {"a b": "x"}},
                 'data[a b]: Invalid value: "a b": a valid config key must consist of '
                 "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  "
                 "or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                 id="a config key"),
    pytest.param({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                  "data": {"big": "x" * (1024 * 1024 + 1)}},
                 "Too long: may not be more than 1048576 bytes", id="a ConfigMap over 1 MiB"),
    pytest.param({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "c", "labels": {"app": "-web"}}},
                 'metadata.labels: Invalid value: "-web": a valid label must be an empty string '
                 "or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                 "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                 "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                 id="a label value"),
])
def test_the_api_servers_semantic_checks(obj: dict[str, Any], message: str) -> None:
    assert message in rendered(obj)


def test_a_duplicate_container_port_is_only_a_warning() -> None:
    obj = pod(container(ports=[{"containerPort": 80}, {"containerPort": 80}]))
    result = validate(obj)
    assert result.valid and result.status is Status.VALID
    assert [p.render() for p in result.warnings] == [
        "spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]"]


def test_semantic_checks_wait_for_the_object_to_decode() -> None:
    obj = deployment(replicas="three")
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "9x"}}
    assert rendered(obj) == [('spec.replicas: Invalid value: "three": expected integer, got '
                             "string")]


def test_semantic_checks_run_after_unknown_fields() -> None:
    obj = deployment(replicas=-2, extra=True)
    assert rendered(obj) == ['spec.extra: unknown field "extra"',
                             ("spec.replicas: Invalid value: -2: must be greater than or equal "
                             "to 0")]


# -- texts: lines, Lists, duplicate keys, sizes -----------------------------------------------


def test_problems_carry_the_line_of_the_offending_field() -> None:
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
            "  replicas: x\n  selector: {matchLabels: {app: web}}\n  template:\n"
            "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
            "      - name: web\n        image: nginx\n        imagePullPolicy: Sometimes\n")
    results = validate_text(text, "d.yaml")
    assert [(p.line, p.render()) for p in results[0].problems] == [
        (6, 'spec.replicas: Invalid value: "x": expected integer, got string')]
    results = validate_text(text.replace("replicas: x", "replicas: 1"), "d.yaml")
    assert [(p.line, p.field) for p in results[0].problems] == [
        (14, "spec.template.spec.containers[0].imagePullPolicy")]


def test_list_items_are_validated_one_by_one() -> None:
    text = ("apiVersion: v1\nkind: List\nitems:\n"
            "- {apiVersion: v1, kind: ConfigMap, metadata: {name: ok}}\n"
            "- {apiVersion: v1, kind: ConfigMap, metadata: {name: Bad}}\n")
    first, second = validate_text(text, "l.yaml")
    assert (first.item, first.status, second.item, second.status) == (
        0, Status.VALID, 1, Status.INVALID)
    assert second.where() == "document 1 items[1] (ConfigMap Bad)"
    assert second.problems[0].line == 5


def test_duplicate_keys_are_errors_in_strict_mode_only() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: x}\ndata: {b: z}\n"
    strict = validate_text(text, "c.yaml")[0]
    assert [(p.line, p.render()) for p in strict.problems] == [
        (5, 'data: key "data" already set in map')]
    assert validate_text(text, "c.yaml", strict=False)[0].valid


def test_an_object_over_the_request_size_limit() -> None:
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nbinaryData:\n"
            + "".join(f"  k{i}: {'QUFB' * 100_000}\n" for i in range(8)))
    result = validate_text(text, "c.yaml")[0]
    assert "Request entity too large: limit is 3145728" in [p.render() for p in result.problems]


def test_an_empty_text_is_an_error() -> None:
    (result,) = validate_text("# nothing here\n", "e.yaml")
    assert result.status is Status.ERROR
    assert result.problems[0].message == ("no objects found: the file holds no YAML or JSON "
                                          "document")
