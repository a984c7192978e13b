# The two commands of the README's quick start, and a few for developers.
.PHONY: demo test lint ci

demo:  ## create the venv, migrate, load the demo study, serve at http://127.0.0.1:8000
	./scripts/demo

test:  ## install if needed and run the whole test suite
	./scripts/test

lint:
	./scripts/bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-cache
	DEBUG=1 .venv/bin/mypy .

ci:
	bash .ci/run
