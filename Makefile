# 达川救助 — the two commands: `make run` (embedded default) and `make test` (every test).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint schema schema-check migrations venv system-deps clean

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PY) >/dev/null 2>&1 || { echo "需要 Python 3.11（$(PY)）"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

run: $(STAMP)
	DEMO_NOTICE_SECONDS=$${DEMO_NOTICE_SECONDS:-60} $(BIN)/python -m api

test: system-deps $(STAMP) lint schema-check
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check api tests scripts

schema: $(STAMP)
	$(BIN)/python -m api.graphql.export > graphql/schema.graphql

schema-check: $(STAMP)
	@$(BIN)/python -m api.graphql.export | diff -u graphql/schema.graphql - \
	  || { echo "graphql/schema.graphql 与代码不一致：请运行 make schema 并提交"; exit 1; }

migrations: $(STAMP)
	$(BIN)/python -m tortoise -c api.migrations_config.TORTOISE_ORM makemigrations

clean:
	rm -rf $(VENV) var
