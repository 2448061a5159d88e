# dia3 — atalhos. Só precisa de Python 3.11+ e make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test check notebooks limpar-notebooks setup lock scaffold clean

## make demo  — instala (1ª vez) e sobe a solução de referência + LLM simulado em http://127.0.0.1:8000
demo: setup
	$(BIN)/dia3 serve --solution

## make test  — instala (1ª vez) e roda a suíte inteira do kit
test: setup
	$(BIN)/python -m pytest -n 2

## make check — corrige os seus exercícios e o template.py
check: setup
	$(BIN)/dia3 check

setup: $(VENV)/.instalado

$(VENV)/.instalado: requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "precisa de Python 3.11 ou mais novo"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

## make notebooks — abre os cadernos de estudo no Jupyter Lab (kernel = o ambiente do kit)
notebooks: setup
	$(BIN)/jupyter lab notebooks/

## make limpar-notebooks — tira as saídas dos cadernos antes do commit (o git guarda só o código)
limpar-notebooks: setup
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

## make lock  — atualiza as versões travadas (uv.lock e requirements.lock, gerado dele)
lock:
	uv lock
	uv export --frozen --no-emit-project --all-extras --format requirements-txt -o requirements.lock

## make scaffold — regenera os arquivos do aluno a partir de solutions/
scaffold: setup
	$(BIN)/dia3 scaffold

clean:
	rm -rf $(VENV)
