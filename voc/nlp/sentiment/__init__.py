"""Sentiment: a fine-tuned MiniLM head per sentence, aggregates per document and a conversation's arc.

``model`` loads a model folder (no torch at import), ``network`` is the torch side, ``train``
retrains from labelled feedback, ``stage`` is the pipeline stage ``voc.sentiment.minilm.v1``.
"""
