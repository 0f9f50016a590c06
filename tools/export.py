"""The project's export: `nbdev_export`, plus the processor that keeps the assignment markers out of the library.

Run `python tools/export.py` (or `make export`) where you would run `nbdev_export`; it takes the same path argument.
nbdev 2.4.14's `nbdev_export` command accepts only processors defined in `nbdev.export` and reads no setting for
export processors (nbdev 3's `export_procs`), so the chapters' `### BEGIN SOLUTION` lines would land in swav_lit/*.py.
This runs nbdev's own `nb_export` on every notebook, with `swav_lit.assign.strip_solution_markers` added to the
processors, then writes `__init__.py` and the module index as `nbdev_export` does. See nbs/50_assign.ipynb."""
import os
from fastcore.script import call_parse
from nbdev.config import get_config, add_init
from nbdev.doclinks import nbglob, _build_modidx
from nbdev.export import nb_export, black_format
from swav_lit.assign import strip_solution_markers

@call_parse
def main(path:str=None):  # a notebook or folder (default: nbs_path)
    "Export the notebooks in `path` to the library, without solution markers."
    if os.environ.get('IN_TEST'): return  # as nbdev_export: never from inside nbdev_test
    for f in nbglob(path=path, as_path=True).sorted('name'): nb_export(f, procs=[black_format, strip_solution_markers])
    add_init(get_config().lib_path)
    _build_modidx()
