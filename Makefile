# Two commands for a newcomer: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CATALOGUE := kg/locale/zh_CN/LC_MESSAGES/kg.mo

.PHONY: demo test lint bench bench-compare clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The Chinese messages: kg.po (kept in the repository) compiled to kg.mo by Babel.
$(CATALOGUE): kg/locale/zh_CN/LC_MESSAGES/kg.po $(STAMP)
	$(BIN)/python -c "from kg.i18n import compile_catalogue; compile_catalogue()"

# Build the Shenyang graph, print the headline answers, write the meeting pack and, beside it, the bulletin from the
# example ledger (made-up data, labelled so). No network after the install.
demo: $(STAMP) $(CATALOGUE)
	$(BIN)/kg build
	$(BIN)/kg stats
	$(BIN)/kg owners 结构调整
	$(BIN)/kg impact 15
	$(BIN)/kg matrix --top 8
	$(BIN)/kg progress status
	$(BIN)/kg pack -o meeting-pack
	rm -rf .kg/example-ledger
	$(BIN)/kg progress ledger import --ledger .kg/example-ledger seed/examples/ledger-2025-05.csv seed/examples/ledger-2025-06.csv
	$(BIN)/kg report --ledger .kg/example-ledger --period 2025-06 --date 2025-06-28 -o example-bulletin.docx
	$(BIN)/kg report --ledger .kg/example-ledger --period 2025-06 --date 2025-06-28 -o example-bulletin.html
	@echo "The example bulletin (示例数据 / example data, made up): example-bulletin.docx and example-bulletin.html."
	@echo "Open meeting-pack/index.html in a browser (it works offline)."

lint: $(STAMP) $(CATALOGUE)
	$(BIN)/ruff check kg tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# One JSON per run in bench/results/ (machine, time, commit); BENCH_SCALE, BENCH_STEPS, BENCH_NEO4J=skip narrow it.
bench: $(STAMP)
	$(BIN)/python bench/run.py

# The newest run beside the one before it of the same steps and sizes, new/old per row; rows > 20% slower on the same machine are flagged.
bench-compare: $(STAMP)
	$(BIN)/python bench/run.py --compare

clean:
	rm -rf $(VENV) .kg meeting-pack example-bulletin.docx example-bulletin.html .pytest_cache .mypy_cache .ruff_cache
