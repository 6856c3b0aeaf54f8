# The two commands of the README's quick start. Both do all set-up on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test clean

demo: $(VENV)/.installed-demo
	$(BIN)/deltaprop train --dataset digits

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[sklearn]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[sklearn,plot,scipy,onnx,images,fast,mpi,test]"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
