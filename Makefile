# onematter — two commands do all the set-up on a fresh Debian/Ubuntu machine:
#   make demo   one real combined application end to end on the embedded default
#   make test   the test suite (SQLite always; PostgreSQL too when it is reachable)
#   make test-unit  only tests/unit: no database, no Prefect, a few seconds
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export ONEMATTER_DATA_DIR ?= $(CURDIR)/.data

.PHONY: demo test test-unit lint system-packages test-packages venv bench clean

system-packages:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  need=""; for p in fonts-noto-cjk libharfbuzz-subset0 fontconfig poppler-utils; do \
	    dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	  if [ -n "$$need" ]; then echo "installing:$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; fi; \
	else \
	  fc-list | grep -q "Noto Sans CJK SC" || echo "!! install fonts-noto-cjk and libharfbuzz-subset0 (sudo apt-get install fonts-noto-cjk libharfbuzz-subset0)"; \
	fi

$(BIN)/onematter: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

venv: system-packages $(BIN)/onematter
	@$(BIN)/onematter fonts >/dev/null

demo: venv
	$(BIN)/onematter demo

# the staff page is tested in a real browser: Debian's chromium, driven by Playwright; the seals
# are checked by poppler's pdfsig against an NSS database made with certutil (libnss3-tools)
test-packages:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  need=""; for p in chromium libnss3-tools; do dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	  if [ -n "$$need" ]; then echo "installing:$$need"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; fi; \
	else \
	  command -v chromium >/dev/null || echo "!! install chromium (sudo apt-get install chromium)"; \
	  command -v certutil >/dev/null || echo "!! install libnss3-tools (sudo apt-get install libnss3-tools)"; \
	fi

test: venv test-packages
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadgroup tests

# the pure tests alone (rules, intake, identity, working days): no database, no Prefect, seconds
test-unit: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/unit

# the layers point one way (pyproject's [tool.importlinter]), checked on the package as a wheel
# installs it: flows/ and tasks/ inside it as onematter.flows and onematter.tasks
lint: venv
	rm -rf .lint && $(BIN)/pip install -q --no-deps --target .lint . >/dev/null
	cd .lint && ../$(BIN)/lint-imports ../pyproject.toml --no-cache

bench: venv
	$(BIN)/python bench/application.py
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/served.py
	$(BIN)/python bench/heartbeat.py
	$(BIN)/python bench/hostile_inputs.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/web.py --lists
	$(BIN)/python bench/followups.py
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/concurrent_apply.py --processes 20
	$(BIN)/python bench/waiting.py
	$(BIN)/python bench/materials.py
	$(BIN)/python bench/keystrokes.py
	$(BIN)/python bench/at_rest.py
	$(BIN)/python bench/retention.py
	$(BIN)/python bench/seal.py

clean:
	rm -rf $(VENV) .data .lint
