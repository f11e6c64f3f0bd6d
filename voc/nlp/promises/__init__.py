"""Broken-promise detection: the stage ``voc.promises.v1`` and its parts.

- :mod:`voc.nlp.promises.quantities`: durations, times, dates and money, normalised, and their gap
- :mod:`voc.nlp.promises.cues`: spaCy Matcher / DependencyMatcher cues for commitments and non-fulfilment
- :mod:`voc.nlp.promises.detector`: the learned head over MiniLM vectors plus the rule cues
- :mod:`voc.nlp.promises.linker`: linking to the registered ``[[promises]]``
- :mod:`voc.nlp.promises.stage`: the pipeline stage; :mod:`voc.nlp.promises.train` retrains the head

Nothing heavy is imported here: importing :mod:`voc.nlp.promises.stage` registers the stage.
"""
