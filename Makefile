# Two commands on a fresh clone (python3 >= 3.11, make, node >= 18 with npm): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Packaging and deploying (infra/deploy.py, standard library only): `make package STAGE=prod`,
# `make deploy STAGE=prod REGION=eu-west-1 BUCKET=my-artifacts`. They package with Python 3.12 (found
# automatically) in .venv-package; PYTHON=/path/to/python3.12 names the interpreter instead. `package` builds
# out/<stage>/deployment.zip (the API and the event functions) and second-opinion.zip (the second opinion's own,
# infra/second_opinion_package.py).
STAGE ?= dev
REGION ?=
BUCKET ?=
STACK ?=
PARAMETERS ?=
HOST_PYTHON ?= python3
PACKAGE_PYTHON := $(if $(filter command line environment,$(origin PYTHON)),--python $(PYTHON))

.PHONY: run test train evaluate cross-writer bench package deploy clean console

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The web console (console/): npm ci when package-lock.json is newer than node_modules, then the build into
# chalicelib/console_dist/ (gitignored, carried by the Lambda package) when a source changed.
CONSOLE_DIST := chalicelib/console_dist/manifest.json
CONSOLE_SOURCES := $(wildcard console/src/*.js console/src/*/*.js console/src/*.css console/src/*.html) console/build.mjs

console/node_modules/.installed: console/package.json console/package-lock.json
	@command -v npm >/dev/null || { echo "make console needs node (18 or later) and npm: see README, Prerequisites"; exit 1; }
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CONSOLE_DIST): console/node_modules/.installed $(CONSOLE_SOURCES)
	cd console && npm run --silent build

console: $(CONSOLE_DIST)

run: $(VENV)/.installed console
	PORT=$(PORT) $(PY) -m local.run

# pytest exits 5 when it collects nothing: that is not a failure; every other non-zero status is.
test: $(VENV)/.installed console
	$(PY) -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

train: $(VENV)/.installed
	$(PY) -m training.train
	$(PY) -m training.second_opinion

evaluate: $(VENV)/.installed
	$(PY) -m training.evaluate --data ../shared/data/dev_real.jsonl

# Leave-one-writer-out: each corpus writer held out in turn (both models); writes models/CROSS_WRITER.md.
cross-writer: $(VENV)/.installed
	$(PY) -m training.cross_writer --write

bench: $(VENV)/.installed
	for script in bench/*.py; do $(PY) $$script || exit 1; done

package: console
	$(HOST_PYTHON) -m infra.deploy package --stage $(STAGE) $(PACKAGE_PYTHON) $(if $(REGION),--region $(REGION))

deploy: console
	$(HOST_PYTHON) -m infra.deploy deploy --stage $(STAGE) --region "$(REGION)" --bucket "$(BUCKET)" \
		$(PACKAGE_PYTHON) $(if $(STACK),--stack $(STACK)) $(foreach p,$(PARAMETERS),--parameter $(p))

clean:
	rm -rf $(VENV) .venv-package out .pytest_cache .hypothesis console/node_modules chalicelib/console_dist
