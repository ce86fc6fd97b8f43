"""The eviction manager's ranking and message under memory pressure."""

from __future__ import annotations

from reconciler.kubelet.eviction import Candidate, message, rank

MI = 2 ** 20


def candidate(name: str, used: int, request: int = 0, priority: int = 0) -> Candidate:
    resources = {"requests": {"memory": f"{request}Mi"}} if request else {}
    pod = {"metadata": {"name": name},
           "spec": {"priority": priority,
                    "containers": [{"name": "app", "resources": resources}]}}
    return Candidate(pod, {"app": used * MI})


def test_pods_above_their_request_go_first_then_low_priority_then_the_biggest_excess() -> None:
    ranked = rank([candidate("within", 200, request=256), candidate("small", 100),
                   candidate("big", 600), candidate("important", 900, priority=1000)])
    assert [c.pod["metadata"]["name"] for c in ranked] == ["big", "small", "important", "within"]


def test_the_message_names_the_threshold_what_is_left_and_the_greedy_container() -> None:
    assert message(candidate("big", 700), 74 * MI) == (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 74Mi. "
        "Container app was using 700Mi, request is 0, has larger consumption of memory. ")
