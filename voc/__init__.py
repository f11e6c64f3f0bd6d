"""voc: self-hosted Voice-of-Customer text mining.

The public surface is small; heavy libraries (spaCy, sentence-transformers, BERTopic) are imported
only where analysis runs, so importing voc is cheap.
"""

__version__ = "0.1.0"

__all__ = ["VocConfig", "VocStore", "VocError", "__version__"]


def __getattr__(name: str):
    if name == "VocConfig":
        from voc.config import VocConfig
        return VocConfig
    if name == "VocStore":
        from voc.store import VocStore
        return VocStore
    if name == "VocError":
        from voc.errors import VocError
        return VocError
    raise AttributeError(f"module 'voc' has no attribute {name!r}")
