"""One error tree for voc.

Every error carries a machine-readable ``code``, the HTTP ``status`` the API answers with, and a
message written for the person who has to fix the problem: what was expected, what was found, and
how to fix it. The CLI prints ``error: <message>`` and exits 1; the API answers
``{"error": {"code", "message"}}`` with ``status``.
"""

from __future__ import annotations


class VocError(Exception):
    """Base class of every error voc raises on purpose."""

    code = "voc_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class ConfigError(VocError):
    """voc.toml or the environment holds something voc cannot use."""

    code = "config_error"
    status = 500


class StoreError(VocError):
    """The database is missing, locked for too long, or of an unknown schema."""

    code = "store_error"
    status = 503


class InputError(VocError):
    """Input a user gave (a file, a row, a request body) that voc cannot accept."""

    code = "invalid_input"
    status = 422


class NotFound(VocError):
    code = "not_found"
    status = 404


class Conflict(VocError):
    code = "conflict"
    status = 409


class PipelineError(VocError):
    """A pipeline that cannot be built (a stage needs what no earlier stage produces) or run."""

    code = "pipeline_error"
    status = 500


class ModelUnavailable(VocError):
    """A model package is not installed; the message names the install command."""

    code = "model_unavailable"
    status = 503
