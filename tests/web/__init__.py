"""Tests of the web app: its pages, its Atom feeds and the browser machinery."""
