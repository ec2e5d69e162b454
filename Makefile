# Two commands on a fresh clone (python3 >= 3.11 and make): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test train evaluate bench package clean

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

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
