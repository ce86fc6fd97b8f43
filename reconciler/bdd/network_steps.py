"""Steps about Services and traffic: requests routed through kube-proxy's rules.

.. code-block:: gherkin

    When 3000 requests are sent to service "web"
    And 100 requests are sent to service "shop/api" from node "node-2"
    And 100 requests are sent to service "web" from client "10.244.1.7"
    And 100 requests are sent to the node port of service "web" on node "node-3"
    And 100 requests are sent to "10.96.0.1:443"
    And 50 requests are sent to service "web" every 2 seconds for 60 seconds
    Then every pod matching "app=web" received between 28% and 39% of the requests
    And the requests were spread evenly over the pods matching "app=web"
    And all requests reached pods matching "app=web"
    And all requests reached pod "web-1"
    And no request reached pod "web-2"
    And no request reached a pod that was not ready
    And the requests failed with "connection refused"
    And service "web" has 3 ready endpoints
    And the node port of service "web" reaches the pods matching "app=web" from every node
    And the iptables rules of node "node-1" include:
      \"\"\"
      -A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https -> 10.0.0.1:6443" -j KUBE-SEP-NMFUQD3Y5ZBKJ7GW
      \"\"\"

Requests are new TCP connections, routed as netfilter would route them through the rules
kube-proxy programmed on the node they enter, with the scenario's seeded random source
(:mod:`reconciler.harness.traffic`). By default the client is the host network of the
first node (for node ports: a client outside the cluster). The ``Then`` steps judge the
last requests sent. "Evenly" is a chi-square goodness-of-fit test at the 0.1 % level.
"""

from __future__ import annotations

from typing import Any

import parse
from behave import given, register_type, then, when

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported, text_of
from reconciler.harness import checks, traffic
from reconciler.harness.traffic import TrafficResult

# -- TYPE CONVERTERS -------------------------------------------------------------------------


@parse.with_pattern(r"\d+(?:\.\d+)?")
def parse_percent(text: str) -> float:
    return float(text)


@parse.with_pattern(r"[0-9.]+:\d+")
def parse_address(text: str) -> str:
    """``ip:port``."""
    return text


register_type(Percent=parse_percent, Address=parse_address)


def _last(context: Any) -> TrafficResult:
    result = cluster_of(context).traffic.last
    if result is None:
        raise AssertionError("no requests were sent yet (use a 'When … requests are sent' step)")
    return result


def _names(context: Any, selector: str, namespace: str = "default") -> list[str]:
    with reported():
        pods = cluster_of(context).list("Pod", namespace, selector)
    return [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in pods]


def _send(context: Any, count: int, **where: Any) -> None:
    with reported():
        cluster_of(context).send_requests(count, **where)


# -- STEP DEFINITIONS: When ------------------------------------------------------------------


@given('{count:d} requests are sent to service "{ref:ObjectRef}"')
@when('{count:d} requests are sent to service "{ref:ObjectRef}"')
def step_requests_to_service(context: Any, count: int, ref: tuple[str, str]) -> None:
    _send(context, count, service=ref[1], namespace=ref[0])


@when('{count:d} requests are sent to service "{ref:ObjectRef}" from node "{node}"')
def step_requests_to_service_from_node(context: Any, count: int, ref: tuple[str, str],
                                       node: str) -> None:
    _send(context, count, service=ref[1], namespace=ref[0], from_node=node)


@when('{count:d} requests are sent to service "{ref:ObjectRef}" from client "{ip}"')
def step_requests_to_service_from_client(context: Any, count: int, ref: tuple[str, str],
                                         ip: str) -> None:
    _send(context, count, service=ref[1], namespace=ref[0], client_ip=ip)


@when('{count:d} requests are sent to the node port of service "{ref:ObjectRef}" '
      'on node "{node}"')
def step_requests_to_node_port(context: Any, count: int, ref: tuple[str, str], node: str) -> None:
    _send(context, count, service=ref[1], namespace=ref[0], node_port=True, node=node)


@when('{count:d} requests are sent to "{address:Address}"')
def step_requests_to_address(context: Any, count: int, address: str) -> None:
    _send(context, count, to=address)


@when('{count:d} requests are sent to service "{ref:ObjectRef}" every {period:Seconds} seconds '
      'for {duration:Seconds} seconds')
def step_requests_over_time(context: Any, count: int, ref: tuple[str, str], period: float,
                            duration: float) -> None:
    cluster = cluster_of(context)
    sent = []
    with reported():
        for _ in range(int(duration // period)):
            ensure(_converged(cluster.advance(period)))
            sent.append(cluster.send_requests(count, ref[1], namespace=ref[0]))
    cluster.traffic.last = traffic.merge(sent)


def _converged(result: Any) -> str:
    return "" if result.converged else f"the cluster did not settle: {result.reason}"


# -- STEP DEFINITIONS: Then ------------------------------------------------------------------


@then('every pod matching "{selector:Selector}" received between {low:Percent}% and '
      '{high:Percent}% of the requests')
def step_every_pod_received_between(context: Any, selector: str, low: float, high: float) -> None:
    ensure(traffic.check_shares(_last(context), _names(context, selector), low, high))


@then('the requests were spread evenly over the pods matching "{selector:Selector}"')
def step_requests_spread_evenly(context: Any, selector: str) -> None:
    ensure(traffic.check_even(_last(context), _names(context, selector)))


@then('all requests reached pods matching "{selector:Selector}"')
def step_all_requests_reached_pods(context: Any, selector: str) -> None:
    ensure(traffic.check_only(_last(context), _names(context, selector)))


@then('all requests reached pod "{ref:ObjectRef}"')
def step_all_requests_reached_pod(context: Any, ref: tuple[str, str]) -> None:
    ensure(traffic.check_only(_last(context), [f"{ref[0]}/{ref[1]}"]))


@then('no request reached pod "{ref:ObjectRef}"')
def step_no_request_reached_pod(context: Any, ref: tuple[str, str]) -> None:
    ensure(traffic.check_not_reached(_last(context), f"{ref[0]}/{ref[1]}"))


@then("no request reached a pod that was not ready")
def step_no_request_reached_unready(context: Any) -> None:
    ensure(traffic.check_ready_only(_last(context)))


@then('the requests failed with "{message}"')
def step_requests_failed_with(context: Any, message: str) -> None:
    ensure(traffic.check_failed(_last(context), message))


@then('service "{ref:ObjectRef}" has {count:d} ready endpoints')
@then('service "{ref:ObjectRef}" has {count:d} ready endpoint')
def step_service_has_ready_endpoints(context: Any, ref: tuple[str, str], count: int) -> None:
    cluster = cluster_of(context)
    found = traffic.ready_endpoints(cluster.store.snapshot(), *ref)
    if len(found) != count:
        raise AssertionError(f'expected service "{ref[0]}/{ref[1]}" to have {count} ready '
                             f"endpoints, it has {len(found)}: {', '.join(found) or '<none>'}")


@then('the node port of service "{ref:ObjectRef}" reaches the pods matching '
      '"{selector:Selector}" from every node')
def step_node_port_from_every_node(context: Any, ref: tuple[str, str], selector: str) -> None:
    cluster = cluster_of(context)
    pods = _names(context, selector, ref[0])
    problems = []
    with reported():
        for node in cluster.list("Node"):
            result = cluster.send_requests(100, ref[1], namespace=ref[0], node_port=True,
                                           node=node["metadata"]["name"])
            problem = traffic.check_only(result, pods) or \
                ("" if set(result.by_pod) == set(pods) else
                 f"not every pod was reached\n{result.describe()}")
            if problem:
                problems.append(f'from node "{node["metadata"]["name"]}": {problem}')
    ensure("\n".join(problems))


@then('the iptables rules of node "{node}" include:')
def step_iptables_rules_include(context: Any, node: str) -> None:
    with reported():
        saved = cluster_of(context).iptables_save(node)
    have = set(saved.splitlines())
    missing = [line.strip() for line in text_of(context).splitlines()
               if line.strip() and line.strip() not in have]
    if missing:
        raise AssertionError("missing from iptables-save of node " + node + ":\n  "
                             + "\n  ".join(missing) + "\n\niptables-save:\n" + saved)


@then('{count:d} endpointslices matching "{selector:Selector}" exist')
@then('{count:d} endpointslice matching "{selector:Selector}" exists')
def step_endpointslices_exist(context: Any, count: int, selector: str) -> None:
    with reported():
        found = cluster_of(context).list("EndpointSlice", "default", selector)
    if len(found) != count:
        listing = "\n".join(f"  {s['metadata']['name']}: {len(s.get('endpoints') or [])} endpoints"
                            for s in found) or "  <none>"
        raise AssertionError(f'expected {count} EndpointSlices matching "{selector}", found '
                             f"{len(found)}:\n{listing}")


@then('the endpointslice of service "{ref:ObjectRef}" matches:')
def step_endpointslice_of_service_matches(context: Any, ref: tuple[str, str]) -> None:
    cluster = cluster_of(context)
    found = cluster.list("EndpointSlice", ref[0], f"kubernetes.io/service-name={ref[1]}")
    if len(found) != 1:
        raise AssertionError(f'expected one EndpointSlice for service "{ref[0]}/{ref[1]}", '
                             f"found {len(found)}")
    with reported():
        expected = checks.parse_partial(text_of(context))
        ensure(checks.object_matches(cluster, "EndpointSlice", found[0]["metadata"]["name"],
                                     ref[0], expected))


@then('endpoints "{ref:ObjectRef}" has no subsets')
@then('endpoints "{ref:ObjectRef}" has {count:d} addresses')
def step_endpoints_addresses(context: Any, ref: tuple[str, str], count: int = 0) -> None:
    with reported():
        endpoints = cluster_of(context).get("Endpoints", ref[1], ref[0])
    subsets = endpoints.get("subsets") or []
    total = sum(len(s.get("addresses") or []) + len(s.get("notReadyAddresses") or [])
                for s in subsets)
    if total != count:
        raise AssertionError(f'expected endpoints "{ref[0]}/{ref[1]}" to have {count} '
                             f"addresses, it has {total} in {len(subsets)} subsets")


@given('{count:d} pods labelled "{label:Label}" run "{image}"')
@when('{count:d} pods labelled "{label:Label}" run "{image}"')
def step_pods_labelled_run(context: Any, count: int, label: tuple[str, str], image: str) -> None:
    """Bare pods named <label value>-<n>, one container "app" each."""
    key, value = label
    pods = [{"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": f"{value}-{i}", "labels": {key: value}},
             "spec": {"containers": [{"name": "app", "image": image}]}}
            for i in range(1, count + 1)]
    with reported():
        cluster_of(context).apply(pods)


@then('service "{ref:ObjectRef}" has a cluster IP between {low} and {high}')
def step_cluster_ip_between(context: Any, ref: tuple[str, str], low: str, high: str) -> None:
    with reported():
        svc = cluster_of(context).get("Service", ref[1], ref[0])
    ip = str((svc.get("spec") or {}).get("clusterIP") or "")
    ensure(traffic.check_address_between(ip, low, high, f'service "{ref[0]}/{ref[1]}"'))


@then('service "{ref:ObjectRef}" has a node port between {low:d} and {high:d}')
def step_node_port_between(context: Any, ref: tuple[str, str], low: int, high: int) -> None:
    with reported():
        svc = cluster_of(context).get("Service", ref[1], ref[0])
    ports = [p.get("nodePort") for p in (svc.get("spec") or {}).get("ports") or []]
    if not ports or not all(isinstance(p, int) and low <= p <= high for p in ports):
        raise AssertionError(f'expected the node ports of service "{ref[0]}/{ref[1]}" between '
                             f"{low} and {high}, they are {ports}")


@then("all requests reached the same pod")
def step_all_requests_reached_the_same_pod(context: Any) -> None:
    result = _last(context)
    if len(result.by_pod) == 1 and sum(result.by_pod.values()) == result.sent:
        return
    raise AssertionError(f"expected every request to reach one pod\n{result.describe()}")


@then("no request failed")
def step_no_request_failed(context: Any) -> None:
    result = _last(context)
    if result.failures:
        raise AssertionError(f"expected every request to succeed\n{result.describe()}")
