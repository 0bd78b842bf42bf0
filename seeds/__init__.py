"""The seed corpus: the texts the archive starts from, with `manifest.yaml` describing each.

A package, holding no code, only so the corpus installs with amur (as package data) and the
default `seeds` setting can find it through importlib.resources wherever amur is installed.
"""
