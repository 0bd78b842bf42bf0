"""Property tests (hypothesis) of the code that parses input from outside: feeds, pages, forum
threads, the config file. Each fuzzer is bounded by `strategies.fuzz`; the inputs of crashes
they found are kept in `tests/fixtures/fuzz/` with plain regression tests beside the fuzzers."""
