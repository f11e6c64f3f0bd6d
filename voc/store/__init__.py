"""The voc database: :class:`VocStore` over sqlite-utils, with versioned migrations."""

from voc.store.store import ROLES, VocStore, utcnow

__all__ = ["VocStore", "ROLES", "utcnow"]
