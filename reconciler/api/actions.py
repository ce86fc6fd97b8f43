"""What components ask for: the writes a reconcile wants, as frozen values.

A component never touches the store. It returns a :class:`Outcome` holding these actions;
the engine applies them, in order, through the API layer (the same admission path user
writes take), which is where defaulting, validation and conflicts happen. An action that
fails there is recorded in the trace and dropped: the component sees the unchanged state
on its next reconcile and tries again, as a controller does after a failed request.

Objects are referred to by ``(kind, namespace, name)``; cluster-scoped objects use ``""``
as the namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Obj = dict[str, Any]

Subresource = Literal["", "status"]


@dataclass(frozen=True, slots=True)
class Create:
    obj: Obj


@dataclass(frozen=True, slots=True)
class Patch:
    """A JSON merge patch (RFC 7386) on one object or its ``status`` subresource.

    ``uid`` is a precondition: the patch is refused when the object was re-created under
    the same name since the component read it.
    """

    kind: str
    namespace: str
    name: str
    patch: Obj
    subresource: Subresource = ""
    uid: str = ""


@dataclass(frozen=True, slots=True)
class Delete:
    kind: str
    namespace: str
    name: str
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    uid: str = ""


@dataclass(frozen=True, slots=True)
class Bind:
    """``POST pods/<name>/binding``: what DefaultBinder does."""

    namespace: str
    name: str
    node: str
    uid: str = ""


@dataclass(frozen=True, slots=True)
class RecordEvent:
    """An event as client-go's recorder emits it; the engine aggregates repeats."""

    involved: Obj  # {kind, namespace, name, uid, apiVersion, fieldPath?}
    type: Literal["Normal", "Warning"]
    reason: str
    message: str
    component: str  # source.component / reportingController
    host: str = ""


Action = Create | Patch | Delete | Bind | RecordEvent


@dataclass(frozen=True, slots=True)
class Timer:
    """A time at which a component's output will change although the snapshot did not.

    ``progress`` says whether firing it moves the cluster on (an image pull finishing) or
    only repeats itself (a retry that keeps failing the same way, a heartbeat). A cluster
    with only non-progress timers left has converged.
    """

    at: float
    progress: bool = True
    why: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one reconcile returns: its writes and its next timer, if any."""

    actions: tuple[Action, ...] = ()
    timers: tuple[Timer, ...] = field(default=())
    memory: Any = None  # the component's in-memory state for its next call (immutable)

    @staticmethod
    def of(actions: list[Action] | tuple[Action, ...], timers: list[Timer] | None = None,
           memory: Any = None) -> Outcome:
        return Outcome(tuple(actions), tuple(timers or ()), memory)


def involved(obj: Obj, field_path: str = "") -> Obj:
    """The ``involvedObject`` reference of an event about ``obj``."""
    meta = obj.get("metadata", {})
    ref = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if field_path:
        ref["fieldPath"] = field_path
    return ref
