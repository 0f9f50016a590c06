"""nbgrader takes the generated notebooks: `nbgrader generate_assignment` on the instructor's copy of the Sinkhorn
chapter, `nbgrader autograde` on three submissions (untouched, right, naive exp Sinkhorn), and the same scores, graded
cell by graded cell, as `swav_lit_grade` gives on the same files."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest
nbgrader = pytest.importorskip('nbgrader')
from nbgrader.utils import determine_grade, is_grade
import nbformat
from swav_lit.assign import strip_markers, write_notebook, _src, _cell_of
from swav_lit.grade import grade
from conftest import NAIVE

ROOT = Path(__file__).resolve().parents[1]

def nbg(root, *args):
    bindir = Path(sys.executable).parent  # nbgrader calls `alembic` by name: the venv's bin first, activated or not
    env = dict(os.environ, IN_TEST='1', MPLBACKEND='Agg', PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    r = subprocess.run([bindir / 'nbgrader', *args, '--force'], cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r

def test_nbgrader_agrees_with_swav_lit_grade(course, tmp_path):
    d, man = course  # the session's course, generated from every chapter (tests/conftest.py)
    root = tmp_path / 'nbg'
    (root / 'source/ch20').mkdir(parents=True)
    shutil.copy(d / 'instructor/20_sinkhorn.ipynb', root / 'source/ch20/20_sinkhorn.ipynb')
    (root / 'nbgrader_config.py').write_text("c = get_config()\nc.CourseDirectory.root = %r\nc.Execute.timeout = 900\n" % str(root))
    nbg(root, 'generate_assignment', 'ch20')
    release = json.loads((root / 'release/ch20/20_sinkhorn.ipynb').read_text())
    assert 'BEGIN HIDDEN' not in json.dumps(release) and 'raise NotImplementedError()' in json.dumps(release)
    ins = json.loads((d / 'instructor/20_sinkhorn.ipynb').read_text())
    answers = {'untouched': None, 'right': strip_markers(_src(ins['cells'][_cell_of(ins, 'sinkhorn')])), 'naive': NAIVE}
    for who, ans in answers.items():
        nb = json.loads(json.dumps(release))
        if ans: nb['cells'][_cell_of(nb, 'sinkhorn')]['source'] = ans
        if ans:
            k = _cell_of(nb, 'code_entropy')
            nb['cells'][k]['source'] = strip_markers(_src(ins['cells'][_cell_of(ins, 'code_entropy')]))
        write_notebook(nb, root / f'submitted/{who}/ch20/20_sinkhorn.ipynb')
    nbg(root, 'autograde', 'ch20')
    ours = grade([root / f'submitted/{w}/ch20/20_sinkhorn.ipynb' for w in answers], man, timeout=900, jobs=2)
    for who in answers:
        auto = nbformat.read(root / f'autograded/{who}/ch20/20_sinkhorn.ipynb', as_version=4)
        theirs = {c.metadata.nbgrader['grade_id']: determine_grade(c)[0] for c in auto.cells if is_grade(c) and c.cell_type == 'code'}
        mine = {t: v['points'] for r in ours if r['submission'].split('/')[-3] == who for t, v in r['tests'].items()}
        assert theirs and {t: float(p) for t, p in mine.items()} == {t: float(p) for t, p in theirs.items()}, (who, mine, theirs)
    by = {r['submission'].split('/')[-3]: r for r in ours if r['exercise'] == 'sinkhorn'}
    assert [by[w]['points'] for w in answers] == [0, 3, 0]
