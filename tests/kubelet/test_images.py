"""Images are pulled per imagePullPolicy through the runtime, on the virtual clock, with
upstream's events; failed pulls back off 10 s, 20 s, 40 s ..."""

from __future__ import annotations

from reconciler.kubelet import new_machine
from reconciler.runtime import registry as image_registry
from tests.kubelet.loop import Loop, cluster, container, pod, state_of

APP = "spec.containers{app}"


def registry(**extra: object) -> dict:
    reg = image_registry.with_image(image_registry.new_registry(), "nginx:1.25", 1000, 2.5)
    reg = image_registry.with_image(reg, "busybox:1.36", 2000, 1.5)
    return image_registry.with_missing_image(reg, "nginx:doesnotexist")


def world(*images: str) -> Loop:
    return cluster(new_machine("node-1", pod_cidr="10.244.1.0/24", address="172.18.0.2",
                               images=images), registry=registry())


def test_a_pull_takes_the_registrys_time_and_is_reported_word_for_word() -> None:
    loop = world()
    loop.add(pod("web", container("app", "nginx:1.25", "IfNotPresent")))
    loop.converge()
    assert [(e.at, e.type, e.reason, e.message, e.field_path) for e in loop.events] == [
        (0.0, "Normal", "Pulling", 'Pulling image "nginx:1.25"', APP),
        (2.5, "Normal", "Pulled", ('Successfully pulled image "nginx:1.25" in 2.5s (2.5s '
         "including waiting). Image size: 1000 bytes."), APP),
        (2.5, "Normal", "Created", "Created container: app", APP),
        (2.5, "Normal", "Started", "Started container app", APP),
    ]
    app = state_of(loop.status("web"), "app")
    assert app["state"] == {"running": {"startedAt": "2025-01-01T00:00:02Z"}}
    assert (app["image"], app["ready"], app["started"]) == ("docker.io/library/nginx:1.25", True, True)
    assert app["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert app["containerID"].startswith("containerd://") and len(app["containerID"]) == 13 + 64


def test_pulls_on_a_node_are_serialised_and_the_wait_is_reported() -> None:
    loop = world()
    loop.add(pod("a", container("app", "nginx:1.25", "IfNotPresent")))
    loop.add(pod("b", container("app", "busybox:1.36", "IfNotPresent")))
    loop.converge()
    pulled = [(e.at, e.name, e.message) for e in loop.events if e.reason == "Pulled"]
    assert pulled == [
        (2.5, "a", ('Successfully pulled image "nginx:1.25" in 2.5s (2.5s including waiting). '
                   "Image size: 1000 bytes.")),
        (4.0, "b", ('Successfully pulled image "busybox:1.36" in 1.5s (4s including waiting). '
                   "Image size: 2000 bytes.")),
    ]


def test_if_not_present_uses_a_cached_image_without_pulling() -> None:
    loop = world("nginx:1.25")
    loop.add(pod("web", container("app", "nginx:1.25", "IfNotPresent")))
    loop.settle()
    assert loop.messages("web")[0] == \
        ("Normal", "Pulled", 'Container image "nginx:1.25" already present on machine')
    assert "Pulling" not in [r for _, r, _ in loop.messages("web")]
    assert "running" in state_of(loop.status("web"), "app")["state"]


def test_always_pulls_again_and_a_cached_image_only_costs_a_manifest_round_trip() -> None:
    loop = world("nginx:1.25")
    loop.add(pod("web", container("app", "nginx:1.25", "Always")))
    loop.converge()
    assert loop.messages("web")[:2] == [
        ("Normal", "Pulling", 'Pulling image "nginx:1.25"'),
        ("Normal", "Pulled", ('Successfully pulled image "nginx:1.25" in 500ms (500ms including '
                             "waiting). Image size: 1000 bytes.")),
    ]


def test_never_with_the_image_absent_waits_in_errimageneverpull() -> None:
    loop = world()
    loop.add(pod("web", container("app", "nginx:1.25", "Never")))
    loop.converge()
    message = 'Container image "nginx:1.25" is not present with pull policy of Never'
    assert loop.messages("web") == [("Warning", "ErrImageNeverPull", message),
                                    ("Warning", "Failed", "Error: ErrImageNeverPull")]
    assert state_of(loop.status("web"), "app")["state"] == \
        {"waiting": {"reason": "ErrImageNeverPull", "message": message}}
    assert loop.status("web")["phase"] == "Pending"
    assert [t.why for t in loop.timers] == ["report node status"]  # only the heartbeat


def test_never_with_the_image_present_runs_it() -> None:
    loop = world("nginx:1.25")
    loop.add(pod("web", container("app", "nginx:1.25", "Never")))
    loop.settle()
    assert loop.status("web")["phase"] == "Running"


def test_a_missing_image_goes_errimagepull_then_imagepullbackoff_with_upstreams_events() -> None:
    loop = world()
    loop.add(pod("web", container("app", "nginx:doesnotexist", "IfNotPresent")))
    loop.run_until(0.5)
    error = ('rpc error: code = NotFound desc = failed to pull and unpack image '
             '"docker.io/library/nginx:doesnotexist": failed to resolve reference '
             '"docker.io/library/nginx:doesnotexist": docker.io/library/nginx:doesnotexist: '
             "not found")
    assert state_of(loop.status("web"), "app")["state"] == \
        {"waiting": {"reason": "ErrImagePull", "message": error}}
    loop.run_until(1.5)
    assert state_of(loop.status("web"), "app")["state"] == \
        {"waiting": {"reason": "ImagePullBackOff",
                     "message": 'Back-off pulling image "nginx:doesnotexist"'}}
    assert loop.messages("web") == [
        ("Normal", "Pulling", 'Pulling image "nginx:doesnotexist"'),
        ("Warning", "Failed", f'Failed to pull image "nginx:doesnotexist": {error}'),
        ("Warning", "Failed", "Error: ErrImagePull"),
        ("Normal", "BackOff", 'Back-off pulling image "nginx:doesnotexist"'),
        ("Warning", "Failed", "Error: ImagePullBackOff"),
    ]


def test_pull_retries_back_off_10_20_40_seconds_after_each_failure() -> None:
    loop = world()
    loop.add(pod("web", container("app", "nginx:doesnotexist", "IfNotPresent")))
    loop.run_until(200)
    failures = [e.at for e in loop.events if e.message == "Error: ErrImagePull"]
    pulls = loop.at("Pulling")
    assert [pull - failure for failure, pull in zip(failures, pulls[1:])] == [10, 20, 40, 80]


def test_a_pod_stuck_on_a_missing_image_has_converged() -> None:
    loop = world()
    loop.add(pod("web", container("app", "nginx:doesnotexist", "IfNotPresent")))
    loop.converge()
    assert loop.now == 1.5
    assert [t.progress for t in loop.timers] == [False]


def test_an_image_added_to_the_registry_is_pulled_at_the_next_retry() -> None:
    loop = world()
    loop.add(pod("web", container("app", "nginx:doesnotexist", "IfNotPresent")))
    loop.converge()
    loop.update_registry(image_registry.with_image(registry(), "nginx:doesnotexist", 10, 1.0))
    loop.settle()
    assert [t.progress for t in loop.timers] == [True]
    loop.converge()
    assert loop.status("web")["phase"] == "Running"
    assert loop.at("Started") == [11.5]


def test_an_unparsable_image_waits_in_invalidimagename() -> None:
    loop = world()
    loop.add(pod("web", container("app", "nginx::1")))
    loop.converge()
    message = ('Failed to apply default image tag "nginx::1": couldn\'t parse image reference '
               '"nginx::1": invalid reference format')
    assert loop.messages("web") == [("Warning", "InspectFailed", message),
                                    ("Warning", "Failed", "Error: InvalidImageName")]
    assert state_of(loop.status("web"), "app")["state"]["waiting"]["reason"] == "InvalidImageName"


def test_the_node_lists_the_images_it_pulled() -> None:
    loop = world()
    loop.add(pod("web", container("app", "nginx:1.25", "IfNotPresent")))
    loop.converge()
    [image] = loop.get("Node", "node-1")["status"]["images"]
    assert image["sizeBytes"] == 1000
    assert image["names"][1] == "docker.io/library/nginx:1.25"
