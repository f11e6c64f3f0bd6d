"""The analysis pipeline (:mod:`voc.nlp.pipeline`) and one module per stage."""
