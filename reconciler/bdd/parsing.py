"""Type converters for step parameters (behave's ``register_type``).

Step parameters arrive already parsed: ``{ref:ObjectRef}`` gives ``("kube-system",
"coredns")`` for ``"kube-system/coredns"`` and ``("default", "nginx")`` for ``"nginx"``;
``{cpu:Quantity}`` accepts what a manifest accepts (``500m``, ``2``, ``1Gi``).

The patterns are narrow on purpose: ``{status:PodStatus}`` is one capitalised word, so
``pod "web" is Running`` and ``pod "web" is scheduled on node "node-1"`` never compete.
"""

from __future__ import annotations

import parse
from behave import register_type

DEFAULT_NAMESPACE = "default"


@parse.with_pattern(r"[^\"\s/]+(?:/[^\"\s/]+)?")
def parse_object_ref(text: str) -> tuple[str, str]:
    """``ns/name`` or ``name`` (namespace ``default``)."""
    namespace, _, name = text.rpartition("/")
    return namespace or DEFAULT_NAMESPACE, name


@parse.with_pattern(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|[numkKMGTPE]i?)?")
def parse_quantity_text(text: str) -> str:
    """A resource quantity, kept as the text (the cluster parses and validates it)."""
    return text


@parse.with_pattern(r"[A-Z][A-Za-z0-9]*(?::[A-Za-z0-9/]+)?")
def parse_status_word(text: str) -> str:
    """A pod phase (``Running``) or a kubectl STATUS word (``ImagePullBackOff``,
    ``Init:0/1``); a node status (``Ready``, ``NotReady``)."""
    return text


@parse.with_pattern(r"[A-Za-z][A-Za-z0-9.]*")
def parse_kind_word(text: str) -> str:
    """A kind as kubectl accepts it (``pod``, ``po``, ``deployment.apps``, ``Node``);
    resolved by :func:`reconciler.api.kinds.resolve` when the step runs."""
    return text


@parse.with_pattern(r"[^\"=\s]+=[^\"]*")
def parse_label(text: str) -> tuple[str, str]:
    """``key=value``."""
    key, _, value = text.partition("=")
    return key, value


@parse.with_pattern(r"[^\"=:\s]+(?:=[^\"=:]*)?:[A-Za-z]+")
def parse_taint(text: str) -> tuple[str, str, str]:
    """``key=value:Effect`` or ``key:Effect`` (kubectl taint's syntax)."""
    rest, _, effect = text.rpartition(":")
    key, _, value = rest.partition("=")
    return key, value, effect


@parse.with_pattern(r"\d+(?:\.\d+)?")
def parse_seconds(text: str) -> float:
    return float(text)


@parse.with_pattern(r"[^\"]*")
def parse_selector_text(text: str) -> str:
    """A label selector in kubectl's syntax (``app=web,tier in (a, b)``), kept as text."""
    return text


@parse.with_pattern(r"[A-Za-z][A-Za-z0-9]*")
def parse_reason(text: str) -> str:
    """An event reason (``FailedScheduling``)."""
    return text


@parse.with_pattern(r"allocatable|capacity")
def parse_resource_field(text: str) -> str:
    return text


register_type(ObjectRef=parse_object_ref, Quantity=parse_quantity_text,
              PodStatus=parse_status_word, KindWord=parse_kind_word, Label=parse_label,
              Taint=parse_taint, Seconds=parse_seconds, ResourceField=parse_resource_field,
              Selector=parse_selector_text, Reason=parse_reason)
