"""The review page `amur serve` serves: a small Starlette app of server-rendered pages."""
