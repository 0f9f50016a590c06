"""Course assignments (nbs/50_assign.ipynb): student copies and grading of the real chapters, a student who did one
exercise, broken submissions, hidden tests, the console scripts, and the markers kept out of the library and docs."""
import json, shutil, subprocess, sys
from pathlib import Path
import pytest
from swav_lit.assign import (assign, grade, make_notebook, write_notebook, strip_markers, strip_solution_markers, is_marker,
                             parse_exercises, totals, MARKERS, BEGIN_SOLUTION, _src)

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ['10_npid', '11_nce', '12_pirl', '20_sinkhorn', '21_swav', '22_multicrop']
MODULES = ['npid', 'nce', 'pirl', 'sinkhorn', 'swav', 'multicrop']

@pytest.fixture(scope='module')
def course(tmp_path_factory):
    "The assignment generated from the real chapters, and the instructor's manifest."
    d = tmp_path_factory.mktemp('course')
    return d, assign(ROOT / 'nbs', d)

def by_chapter(rows):
    out = {}
    for r in rows: out.setdefault(r['chapter'], []).append(r)
    return out

def test_assign_real_chapters(course):
    d, man = course
    assert sorted(man['chapters']) == CHAPTERS  # every method chapter has an exercise, nothing else does
    for ch in CHAPTERS:
        stu = json.loads((d / 'student' / f'{ch}.ipynb').read_text())
        src = ''.join(_src(c) for c in stu['cells'])
        assert 'raise NotImplementedError' in src and not any(m in src for m in MARKERS)
        assert all(c.get('outputs', []) == [] for c in stu['cells'])
        assert stu['metadata']['swav_lit_assignment'] == {'chapter': ch}
    pub = json.loads((d / 'student/manifest.json').read_text())
    assert pub['points'] == man['points'] > 0 and 'source' not in json.dumps(pub)
    assert 'BEGIN HIDDEN TESTS' in json.dumps(man)  # the sinkhorn chapter's hidden test, in the instructor's manifest only

def test_untouched_students_score_zero_instructor_full(course):
    d, man = course
    subs = [d / 'student' / f'{ch}.ipynb' for ch in CHAPTERS] + [d / 'instructor' / f'{ch}.ipynb' for ch in CHAPTERS]
    rows = grade(subs, d / 'instructor/manifest.json', timeout=240, jobs=2)
    stu, inst = rows[:len(rows) // 2], rows[len(rows) // 2:]
    assert len(stu) == sum(len(c['exercises']) for c in man['chapters'].values())
    for r in stu: assert r['points'] == 0 and 'NotImplementedError: exercise' in r['message'], r
    for r in inst: assert r['points'] == r['max_points'] > 0 and r['message'] == '', r
    assert sum(r['points'] for r in inst) == man['points']

def test_one_exercise_filled_in(course, tmp_path):
    "The sinkhorn solution copied into the student's copy: exactly the sinkhorn points, in a batch with an untouched chapter."
    d, man = course
    ch = man['chapters']['20_sinkhorn']; k = ch['exercises'][0]['cell']
    nb = json.loads((d / 'student/20_sinkhorn.ipynb').read_text())
    nb['cells'][k]['source'] = strip_markers(_src(json.loads((d / 'instructor/20_sinkhorn.ipynb').read_text())['cells'][k]))
    sub = write_notebook(nb, tmp_path / 'alice_20_sinkhorn.ipynb')
    rows = grade([sub, d / 'student/21_swav.ipynb'], man, timeout=240, jobs=2)
    t = {Path(s).name: v for s, v in totals(rows).items()}
    assert t == {'alice_20_sinkhorn.ipynb': (ch['points'], ch['points']), '21_swav.ipynb': (0, man['chapters']['21_swav']['points'])}

TOY = ['md: # Toy', 'import math',
       'def double(x):\n    ### BEGIN SOLUTION hint: multiply by two\n    return 2 * x\n    ### END SOLUTION',
       '#| grade: id=double-pos points=1\nassert double(2) == 4',
       '#| grade: id=double-neg points=2\nassert double(-3) == -6',
       'def area(r):\n    ### BEGIN SOLUTION\n    return math.pi * r ** 2\n    ### END SOLUTION',
       '#| grade: id=area points=3\nassert abs(area(1) - math.pi) < 1e-12\n### BEGIN HIDDEN TESTS\nassert area(0) == 0\n### END HIDDEN TESTS',
       'print("after the last graded cell: never run")\nwhile True: pass']

@pytest.fixture
def toy(tmp_path):
    write_notebook(make_notebook(*TOY), tmp_path / 'src/07_toy.ipynb')
    man = assign(tmp_path / 'src', tmp_path / 'out')
    return tmp_path, man, json.loads((tmp_path / 'out/student/07_toy.ipynb').read_text())

def test_toy_exercise_points_and_hidden_tests(toy):
    tmp, man, stu = toy
    assert [(e['id'], e['points']) for e in man['chapters']['07_toy']['exercises']] == [('double', 3), ('area', 3)]
    assert 'area(0)' not in json.dumps(stu) and 'YOUR CODE HERE. Hint: multiply by two' in _src(stu['cells'][2])
    one = json.loads(json.dumps(stu)); one['cells'][2]['source'] = 'def double(x): return 2 * x'
    sly = json.loads(json.dumps(stu)); sly['cells'][5]['source'] = 'def area(r): return math.pi * max(r, 1) ** 2'
    sly['cells'][6]['source'] = '#| grade: id=area points=3\nassert True  # a test the student weakened'
    subs = [write_notebook(one, tmp / 'one_07_toy.ipynb'), write_notebook(sly, tmp / 'sly_07_toy.ipynb'),
            tmp / 'out/student/07_toy.ipynb', tmp / 'out/instructor/07_toy.ipynb']
    rows = grade(subs, tmp / 'out/instructor/manifest.json', timeout=20)
    got = [(Path(r['submission']).name, r['exercise'], r['points']) for r in rows]
    assert got == [('one_07_toy.ipynb', 'double', 3), ('one_07_toy.ipynb', 'area', 0),
                   ('sly_07_toy.ipynb', 'double', 0), ('sly_07_toy.ipynb', 'area', 0),  # hidden test re-inserted, edit undone
                   ('07_toy.ipynb', 'double', 0), ('07_toy.ipynb', 'area', 0), ('07_toy.ipynb', 'double', 3), ('07_toy.ipynb', 'area', 3)]
    assert rows[3]['message'] == 'area: AssertionError'

def test_broken_submissions_do_not_stop_the_batch(toy):
    tmp, man, stu = toy
    (tmp / 'empty_07_toy.ipynb').write_text('')
    (tmp / 'corrupt_07_toy.ipynb').write_text('{"cells": [{"cell_type": "code", "source": "x = ')
    (tmp / 'list_07_toy.ipynb').write_text('[1, 2, 3]')
    (tmp / 'badcell_07_toy.ipynb').write_text('{"cells": [{"cell_type": "code", "source": 5}], "metadata": []}')
    (tmp / 'essay.pdf').write_bytes(b'%PDF-1.4\n\xff\xfe binary')
    loop = json.loads(json.dumps(stu)); loop['cells'][1]['source'] = 'import math\nwhile True: pass'
    write_notebook(loop, tmp / 'loop_07_toy.ipynb')
    good = json.loads(json.dumps(stu)); good['cells'][2]['source'] = 'def double(x): return x + x'
    subs = [tmp / n for n in ('empty_07_toy.ipynb', 'corrupt_07_toy.ipynb', 'loop_07_toy.ipynb', 'list_07_toy.ipynb', 'badcell_07_toy.ipynb', 'essay.pdf',
                              'missing_07_toy.ipynb')] + [write_notebook(good, tmp / 'good_07_toy.ipynb')]
    rows = grade(subs, man, timeout=4)
    msg = {}
    for r in rows: msg.setdefault(Path(r['submission']).name, r['message'])  # the first exercise's message
    assert msg['empty_07_toy.ipynb'] == 'double-pos: empty file'
    assert msg['corrupt_07_toy.ipynb'].startswith('double-pos: not a notebook: not valid JSON')
    assert msg['loop_07_toy.ipynb'] == 'double-pos: not run: time limit of 4 s reached in cell 1'
    assert msg['list_07_toy.ipynb'] == "double-pos: not a Jupyter notebook: no list of 'cells'"
    assert msg['badcell_07_toy.ipynb'] == 'double-pos: not a Jupyter notebook: a cell without a cell_type or a source'
    assert msg['essay.pdf'].startswith('not a notebook: not valid JSON')
    assert msg['missing_07_toy.ipynb'] == 'double-pos: no such file'
    t = {Path(s).name: v for s, v in totals(rows).items()}
    assert t == {'empty_07_toy.ipynb': (0, 6), 'corrupt_07_toy.ipynb': (0, 6), 'loop_07_toy.ipynb': (0, 6), 'list_07_toy.ipynb': (0, 6), 'badcell_07_toy.ipynb': (0, 6),
                 'essay.pdf': (0, 0), 'missing_07_toy.ipynb': (0, 6), 'good_07_toy.ipynb': (3, 6)}  # graded after the broken ones

def test_console_scripts(toy):
    tmp, man, stu = toy
    bindir = Path(sys.executable).parent
    r = subprocess.run([bindir / 'swav_lit_assign', tmp / 'src', tmp / 'cli'], capture_output=True, text=True)
    assert r.returncode == 0 and '6 points in 1 notebooks' in r.stdout, r.stderr
    r = subprocess.run([bindir / 'swav_lit_grade', tmp / 'cli/student', tmp / 'cli/instructor/07_toy.ipynb', '-m',
                        tmp / 'cli/instructor/manifest.json', '--out', tmp / 'grades', '--timeout', '20'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert [l.split()[-1] for l in r.stdout.splitlines() if 'TOTAL' in l] == ['0/6', '6/6']
    csv = (tmp / 'grades/grades.csv').read_text().splitlines()
    assert csv[0] == 'submission,chapter,exercise,points,max_points,message' and len(csv) == 5
    assert json.loads((tmp / 'grades/grades.json').read_text())['rows'][3]['tests']['area']['points'] == 3
    r = subprocess.run([bindir / 'swav_lit_assign', tmp / 'nowhere', tmp / 'x'], capture_output=True, text=True)
    assert r.returncode != 0 and 'no such notebook or folder' in r.stderr

def test_marker_processor():
    cell = {'cell_type': 'code', 'source': '#| export\ndef f():\n    ### BEGIN SOLUTION hint: h\n    return 1\n    ### END SOLUTION'}
    strip_solution_markers(cell)
    assert cell['source'] == '#| export\ndef f():\n    return 1'  # the code stays, no newline appended
    assert strip_markers('#| grade: id=a points=1\nassert 1\n### BEGIN HIDDEN TESTS\nassert 2\n### END HIDDEN TESTS\n') == 'assert 1\nassert 2\n'
    md = {'cell_type': 'markdown', 'source': '### BEGIN SOLUTION'}; strip_solution_markers(md)
    assert md['source'] == '### BEGIN SOLUTION'

def test_library_and_docs_carry_no_markers(tmp_path):
    "With the markers in the chapters, the committed modules, a fresh export and the docs' processors carry none."
    from nbdev.export import nb_export
    from nbdev.process import NBProcessor
    from nbdev.processors import FilterDefaults
    for ch, mod in zip(CHAPTERS, MODULES):
        nb = json.loads((ROOT / 'nbs' / f'{ch}.ipynb').read_text())
        assert parse_exercises(nb, ch)  # the markers are in place
        for f in (ROOT / 'swav_lit' / f'{mod}.py', ):
            assert not [l for l in f.read_text().splitlines() if is_marker(l)], f
        nb_export(ROOT / 'nbs' / f'{ch}.ipynb', lib_path=tmp_path / 'with', procs=[strip_solution_markers])
        nb_export(ROOT / 'nbs' / f'{ch}.ipynb', lib_path=tmp_path / 'without')
        fresh, raw = (tmp_path / 'with' / f'{mod}.py').read_text(), (tmp_path / 'without' / f'{mod}.py').read_text()
        assert BEGIN_SOLUTION in raw and BEGIN_SOLUTION not in fresh  # the processor is what removes them
        assert [l for l in raw.splitlines() if not is_marker(l)] == fresh.splitlines()
        docs = NBProcessor(ROOT / 'nbs' / f'{ch}.ipynb', procs=FilterDefaults().xtra_procs(), process=True).nb
        assert not any(is_marker(l) for c in docs.cells for l in c.source.splitlines()), ch
