# Every target runs in the active environment (see README: python3 -m venv .venv && . .venv/bin/activate).
.PHONY: test check nbtest pytest docs export clean-nbs

test: check nbtest pytest   ## the full suite, as CI runs it

check:                      ## notebooks committed clean, library in sync with them
	python .ci/check_sync.py

nbtest:                     ## every chapter top to bottom (skips `#| slow` cells; `nbdev_test --flags slow` runs them)
	nbdev_test --do_print --timing

pytest:                     ## tests/ (data errors, the 2-process tests, packaging)
	python -m pytest tests -q -p no:cacheprovider

docs:                       ## the HTML site in docs/, offline (nbdev_docs where Quarto exists)
	python tools/build_docs.py

export:                     ## after editing notebooks
	nbdev_export && nbdev_clean
