"""Sub-command groups of the ``voc`` command line (registered by :mod:`voc.cli`)."""
