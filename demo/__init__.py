"""Demo tooling, never imported by production code: the demo data (seed.py), the
demo services' settings (services.json, services.py), the mock FranceConnect
(franceconnect/) and the runner of `make demo` (runner.py). Its commands join
`guichet` through Flask's `flask.commands` entry point (pyproject.toml)."""
