"""The amur command line and (later) the scheduling service; drives crawler and storage."""
