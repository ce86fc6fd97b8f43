"""Errors that carry a Kubernetes ``Status``.

Expected outcomes (a pod that does not fit, a container not ready yet) are values, not
exceptions. What raises is what the API server would answer with a ``Status`` of
``status: Failure``: each exception here knows its HTTP code and reason, and renders the
exact message ``apimachinery/pkg/api/errors/errors.go`` builds, so an HTTP layer can turn
it into ``metav1.Status`` JSON mechanically and kubectl prints what it prints for a real
cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ReconcilerError(Exception):
    """Base of every error the project raises on purpose."""


@dataclass(frozen=True, slots=True)
class Cause:
    """One entry of ``details.causes``: a field error in ``field.ErrorList`` form."""

    reason: str  # FieldValueRequired, FieldValueInvalid, ...
    message: str  # "Invalid value: -1: must be greater than or equal to 0"
    field: str  # spec.template.spec.containers[0].image

    def render(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


class StatusError(ReconcilerError):
    """An error the API server answers with a ``Status`` object."""

    code: int = 500
    reason: str = "InternalError"

    def __init__(
        self,
        message: str,
        *,
        name: str = "",
        group: str = "",
        kind: str = "",
        causes: tuple[Cause, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes

    def status(self) -> dict[str, Any]:
        """The ``metav1.Status`` body, as the API server sends it."""
        details: dict[str, Any] = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.as_dict() for c in self.causes]
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            body["details"] = details
        return body


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


class NotFound(StatusError):
    code = 404
    reason = "NotFound"

    @classmethod
    def of(cls, resource: str, group: str, name: str) -> NotFound:
        return cls(f'{_qualified(resource, group)} "{name}" not found',
                   name=name, group=group, kind=resource)


class AlreadyExists(StatusError):
    code = 409
    reason = "AlreadyExists"

    @classmethod
    def of(cls, resource: str, group: str, name: str) -> AlreadyExists:
        return cls(f'{_qualified(resource, group)} "{name}" already exists',
                   name=name, group=group, kind=resource)


class Conflict(StatusError):
    code = 409
    reason = "Conflict"

    @classmethod
    def of(cls, resource: str, group: str, name: str) -> Conflict:
        return cls(
            f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": '
            "the object has been modified; please apply your changes to the latest "
            "version and try again",
            name=name, group=group, kind=resource,
        )

    @classmethod
    def precondition(cls, resource: str, group: str, name: str, what: str,
                     wanted: str, actual: str) -> Conflict:
        return cls(
            f"Precondition failed: {what} in precondition: {wanted}, "
            f"{what} in object meta: {actual}",
            name=name, group=group, kind=resource,
        )


class Invalid(StatusError):
    """422: the object breaks a validation rule. Renders like ``errors.NewInvalid``."""

    code = 422
    reason = "Invalid"

    @classmethod
    def of(cls, kind: str, group: str, name: str, causes: list[Cause]) -> Invalid:
        rendered = [c.render() for c in causes]
        detail = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
        return cls(f'{_qualified(kind, group)} "{name}" is invalid: {detail}',
                   name=name, group=group, kind=kind, causes=tuple(causes))


class BadRequest(StatusError):
    code = 400
    reason = "BadRequest"


class MethodNotAllowed(StatusError):
    code = 405
    reason = "MethodNotAllowed"


class Expired(StatusError):
    """410: a watch or list from a revision that compaction removed."""

    code = 410
    reason = "Expired"

    @classmethod
    def too_old(cls, requested: int, oldest: int) -> Expired:
        return cls(f"too old resource version: {requested} ({oldest})")


class Forbidden(StatusError):
    code = 403
    reason = "Forbidden"


@dataclass(frozen=True, slots=True)
class FieldError:
    """A ``field.Error`` before it is rendered into a ``Cause``."""

    type: str  # "Required value", "Invalid value", ...
    field: str
    detail: str = ""
    value: Any = None
    has_value: bool = False

    def cause(self) -> Cause:
        reason = _FIELD_REASONS.get(self.type, "FieldValueInvalid")
        if self.has_value:
            msg = f"{self.type}: {render_value(self.value)}"
        else:
            msg = self.type
        if self.detail:
            msg = f"{msg}: {self.detail}"
        return Cause(reason=reason, message=msg, field=self.field)


_FIELD_REASONS = {
    "Required value": "FieldValueRequired",
    "Invalid value": "FieldValueInvalid",
    "Unsupported value": "FieldValueNotSupported",
    "Duplicate value": "FieldValueDuplicate",
    "Forbidden": "FieldValueForbidden",
    "Too long": "FieldValueTooLong",
    "Too many": "FieldValueTooMany",
    "Not found": "FieldValueNotFound",
}


def render_value(value: Any) -> str:
    """Render a bad value the way ``field.Error`` does: strings quoted, numbers bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, dict):
        inner = " ".join(f"{k}:{value[k]}" for k in sorted(value))
        return f"map[{inner}]"
    if isinstance(value, list):
        return "[]string{" + ", ".join(f'"{v}"' for v in value) + "}"
    return str(value)


def required(path: str, detail: str = "") -> FieldError:
    return FieldError("Required value", path, detail)


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError("Invalid value", path, detail, value, True)


def unsupported(path: str, value: Any, supported: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(f'"{s}"' for s in supported)
    return FieldError("Unsupported value", path, detail, value, True)


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError("Duplicate value", path, "", value, True)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError("Forbidden", path, detail)
