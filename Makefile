# Every target runs in the active environment (see README: python3 -m venv .venv && . .venv/bin/activate).
.PHONY: test check nbtest nbtest-slow pytest docs docs-check export clean-nbs bench bench-deps

test: check nbtest pytest   ## the full suite, as CI runs it

check:                      ## notebooks committed clean, library in sync with them
	python .ci/check_sync.py

nbtest:                     ## every chapter top to bottom, two at a time with one thread each (two threads each on 2 cores
                            ## spent 2.5x the CPU time); skips `#| slow` cells (`make nbtest-slow` runs them)
	OMP_NUM_THREADS=1 nbdev_test --do_print --timing

nbtest-slow:                ## every chapter including the `#| slow` cells (CIFAR-10 runs: an hour or more on 2 cores)
	SWAV_LIT_SLOW=1 nbdev_test --do_print --timing --flags slow

pytest:                     ## tests/ (data errors, the 2-process tests, packaging), two files at a time (pytest-xdist: one worker per core)
	OMP_NUM_THREADS=1 python -m pytest tests -q -p no:cacheprovider -n 2 --dist loadfile --durations 15

docs:                       ## the HTML site in docs/, offline (nbdev_docs where Quarto exists)
	python tools/build_docs.py

docs-check:                 ## after `make docs`: links, network loads, screenshots (build/docs-check/), prose numbers
	python tools/check_docs.py && python tools/check_prose_numbers.py

export:                     ## after editing notebooks (not bare nbdev_export: it would copy the assignment markers into swav_lit/)
	python tools/export.py && nbdev_clean

bench-deps:                 ## lightly, for the benchmarks only (never a dependency of swav_lit), into benchmarks/.deps
	pip install --target benchmarks/.deps --no-deps lightly==1.6.0 lightning-utilities==0.15.3

bench: $(if $(wildcard benchmarks/.deps/lightly),,bench-deps)  ## benchmarks/: figures, ratios and PASS/FAIL per target, on 2 threads
	cd benchmarks && OMP_NUM_THREADS=2 python run_all.py
