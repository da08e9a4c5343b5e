# 达川救助 — the two commands: `make run` (embedded default) and `make test` (every test).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PWA_STAMP := pwa/node_modules/.installed

.PHONY: run test lint schema schema-check migrations venv system-deps clean pwa pwa-test budget types backup restore

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PY) >/dev/null 2>&1 || { echo "需要 Python 3.11（$(PY)）"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

$(PWA_STAMP): pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund
	touch $(PWA_STAMP)

pwa: $(PWA_STAMP)
	cd pwa && npm run codegen:check && npm run build

pwa-test: $(PWA_STAMP)
	cd pwa && npm run test:unit

budget: pwa
	cd pwa && npm run budget

types: $(PWA_STAMP)
	cd pwa && npm run codegen

run: $(STAMP) pwa
	DEMO_NOTICE_SECONDS=$${DEMO_NOTICE_SECONDS:-60} $(BIN)/python -m api

test: system-deps $(STAMP) lint schema-check pwa pwa-test
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check api workers province_sim tests scripts bench

schema: $(STAMP)
	$(BIN)/python -m api.graphql.export > graphql/schema.graphql
	$(MAKE) types

schema-check: $(STAMP)
	@$(BIN)/python -m api.graphql.export | diff -u graphql/schema.graphql - \
	  || { echo "graphql/schema.graphql 与代码不一致：请运行 make schema 并提交"; exit 1; }

migrations: $(STAMP)
	$(BIN)/python -m tortoise -c api.migrations_config.TORTOISE_ORM makemigrations

backup: $(STAMP)
	$(BIN)/python -m scripts.backup

restore: $(STAMP)
	@test -n "$(FROM)" || { echo "用法：make restore FROM=var/backups/dachuan-backup-….tar.gz（请先停止服务）"; exit 1; }
	$(BIN)/python -m scripts.restore "$(FROM)"

clean:
	rm -rf $(VENV) var pwa/node_modules pwa/dist
