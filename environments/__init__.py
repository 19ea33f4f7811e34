"""This repository's own deployment of the constructs: one TOML file per environment, one stack per file.

``model.py`` loads and validates the files; ``stack.py`` composes the constructs into one stack per environment;
``synth.py`` synthesizes them aside and swaps the result into place only when everything succeeded.
"""
