"""behave hooks that give every scenario a fresh simulated cluster in ``context.cluster``.

Opt in from ``features/environment.py`` with one line::

    from reconciler.bdd.environment import *

That defines ``before_scenario`` and ``after_scenario``. A project with hooks of its own
calls ours from them (behave keeps only one function per hook name)::

    from reconciler.bdd.environment import *
    from reconciler.bdd import environment as reconciler_env

    def before_scenario(context, scenario):
        reconciler_env.before_scenario(context, scenario)
        context.cluster.add_nodes(2, cpu="2", memory="4Gi")   # the project's own setup

    def after_scenario(context, scenario):
        ...                                                   # the project's own teardown
        reconciler_env.after_scenario(context, scenario)

or uses the fixture directly, e.g. for a cluster with other options::

    from behave import use_fixture
    from reconciler.bdd.environment import reconciler_cluster

    def before_scenario(context, scenario):
        use_fixture(reconciler_cluster, context, seed=3, record_trace=True)

Without any hook the steps still work: the first step that needs a cluster creates
``Cluster(seed=0)``.

BEHAVIORAL DECISIONS:

* One cluster per scenario, never shared: scenarios are independent and a failing one
  cannot leak state into the next.
* The cluster starts with no nodes; the seed is 0 unless ``Given the random seed N`` says
  otherwise.
* ``context.cluster`` is the only attribute the library sets on the context.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from behave import fixture, use_fixture

from reconciler.harness.cluster import Cluster

__all__ = ["after_scenario", "before_all", "before_scenario", "reconciler_cluster"]

# ``behave -D stage=kubectl`` runs the same features through kubectl and ``reconciler
# serve`` (see reconciler.bdd.kubectl_stage); ``behave --stage kubectl`` does the same
# through features/kubectl_environment.py.
STAGE_KEY = "stage"


def _kubectl_stage(context: Any) -> bool:
    return str(context.config.userdata.get(STAGE_KEY, "")) == "kubectl"


def before_all(context: Any) -> None:
    if _kubectl_stage(context):
        from reconciler.bdd import kubectl_stage
        kubectl_stage.before_all(context)


@fixture
def reconciler_cluster(context: Any, seed: int = 0, **options: Any) -> Iterator[Cluster]:
    """A fresh ``Cluster(seed=seed, **options)`` in ``context.cluster`` for one scenario."""
    context.cluster = Cluster(seed=seed, **options)
    yield context.cluster


def before_scenario(context: Any, scenario: Any) -> None:
    use_fixture(reconciler_cluster, context)
    if _kubectl_stage(context):
        context.kubectl = None  # the scenario's server starts with its first kubectl step


def after_scenario(context: Any, scenario: Any) -> None:
    """Nothing to release beyond the fixture's cleanup (a cluster is plain memory);
    defined so that projects can chain to it."""
