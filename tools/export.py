"""The project's export: nbdev's `nbdev_export`, with the processor that keeps the exercise markers out of the library.

Run `python tools/export.py` (or `make export`) where you would run `nbdev_export`; it takes the same path argument.
nbdev 2.4.14's `nbdev_export` takes export processors only by name, looked up in `nbdev.export` (nbdev 3's
`export_procs` setting is the hook it lacks), so a bare `nbdev_export` would copy the chapters' `### BEGIN SOLUTION`
lines into swav_lit/*.py. This registers `swav_lit.exercises.strip_solution_markers` under its name there and calls
nbdev's public `nbdev_export` with it: no private nbdev function is used. `swav_lit.exercises` imports nothing of the
package, so exporting never imports the assignments chapter. `.ci/check_sync.py` and tests/test_package.py fail at
once if a marker line is in the library (see nbs/09_exercises.ipynb and nbs/50_assign.ipynb)."""
import importlib.util, sys
from pathlib import Path
import nbdev.export
from nbdev.doclinks import nbdev_export

def _processor():
    "strip_solution_markers from the checkout's swav_lit/exercises.py (an installed or stale package is not used)."
    spec = importlib.util.spec_from_file_location('_swav_lit_exercises', Path(__file__).resolve().parents[1] / 'swav_lit' / 'exercises.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod.strip_solution_markers

if __name__ == '__main__':
    nbdev.export.strip_solution_markers = _processor()
    nbdev_export(sys.argv[1] if len(sys.argv) > 1 else None, procs=['black_format', 'strip_solution_markers'])
