# Two commands on a fresh clone (python3 >= 3.11 and make): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Packaging and deploying (infra/deploy.py, standard library only): `make package STAGE=prod`,
# `make deploy STAGE=prod REGION=eu-west-1 BUCKET=my-artifacts`. They package with Python 3.12 (found
# automatically) in .venv-package; PYTHON=/path/to/python3.12 names the interpreter instead.
STAGE ?= dev
REGION ?=
BUCKET ?=
STACK ?=
HOST_PYTHON ?= python3
PACKAGE_PYTHON := $(if $(filter command line environment,$(origin PYTHON)),--python $(PYTHON))

.PHONY: run test train evaluate bench package deploy clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	PORT=$(PORT) $(PY) -m local.run

# pytest exits 5 when it collects nothing: that is not a failure; every other non-zero status is.
test: $(VENV)/.installed
	$(PY) -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

train: $(VENV)/.installed
	$(PY) -m training.train

evaluate: $(VENV)/.installed
	$(PY) -m training.evaluate --data ../shared/data/dev_real.jsonl

bench: $(VENV)/.installed
	for script in bench/*.py; do $(PY) $$script || exit 1; done

package:
	$(HOST_PYTHON) -m infra.deploy package --stage $(STAGE) $(PACKAGE_PYTHON) $(if $(REGION),--region $(REGION))

deploy:
	$(HOST_PYTHON) -m infra.deploy deploy --stage $(STAGE) --region "$(REGION)" --bucket "$(BUCKET)" \
		$(PACKAGE_PYTHON) $(if $(STACK),--stack $(STACK))

clean:
	rm -rf $(VENV) .venv-package out .pytest_cache .hypothesis
