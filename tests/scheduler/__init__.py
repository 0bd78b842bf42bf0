"""Tests of the amur command line."""
