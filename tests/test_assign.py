"""Course assignments (nbs/50_assign.ipynb) and their grading (nbs/50b_grade.ipynb): the real chapters as student and instructor notebooks, wrong answers that
must score 0 (the naive Sinkhorn, a reference loop, the library's own answer, an answer wrong only on extreme
inputs), readable grades, broken submissions, the console scripts, and the markers kept out of the library."""
import json, re, shutil, subprocess, sys
from pathlib import Path
import pytest
from swav_lit.assign import assign, make_notebook, write_notebook, strip_markers, parse_exercises, MARKERS, BEGIN_SOLUTION, _src, _cell_of
from swav_lit.grade import grade, totals, score_table, write_scores
from conftest import NAIVE
from swav_lit.exercises import strip_solution_markers, is_marker

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ['10_npid', '11_nce', '12_pirl', '13_simclr_moco', '14_pretext', '15_cmc', '20_sinkhorn', '21_swav', '22_multicrop', '23_cluster', '24_byol', '25_dino', '26_cpc']
MODULES = ['npid', 'nce', 'pirl', 'contrast', 'pretext', 'cmc', 'sinkhorn', 'swav', 'multicrop', 'cluster', 'byol', 'dino', 'cpc']
TIMEOUT = 900  # per notebook: generous, for a machine shared with training runs
NBG_KEYS = {'grade', 'solution', 'locked', 'grade_id', 'schema_version', 'task', 'checksum'}

def test_assign_real_chapters(course):
    d, man = course
    assert sorted(man['chapters']) == CHAPTERS  # every method chapter has exercises, nothing else does
    for ch in CHAPTERS:
        kinds = [e['kind'] for e in man['chapters'][ch]['exercises']]
        assert kinds.count('code') >= 2 and kinds.count('question') >= 1, ch  # its own exercise + an Exercises section
        stu = json.loads((d / 'student' / f'{ch}.ipynb').read_text())
        src = ''.join(_src(c) for c in stu['cells'])
        assert 'raise NotImplementedError' in src and 'YOUR ANSWER HERE' in src and not any(m in src for m in MARKERS), ch
        assert not re.search(r'\b(sinkhorn_loop|swav_loss_loop|update_loop|nce_loop|nt_xent_loop|byol_loss_loop|dino_loss_loop)\b', src), ch  # no reference left to call
        assert stu['metadata']['swav_lit_assignment'] == {'chapter': ch}
        cells = stu['cells']
        for e in man['chapters'][ch]['exercises']:
            k = _cell_of(stu, re.sub(r'[^\w.-]', '_', e['id']))
            meta = cells[k]['metadata']['nbgrader']
            assert NBG_KEYS <= set(meta), meta
            if e['kind'] == 'code':
                assert re.match(r'### Exercise `.+` \(\d+ points\)', _src(cells[k - 1])), (ch, _src(cells[k - 1])[:80])  # the Exercise cell before the stub
                assert '**Hint:**' in _src(cells[k - 1]) and '**Checks you can run:**' in _src(cells[k - 1])
                assert not re.search(r'^\s*#\|\s*export', _src(cells[k]), re.M)  # the stub is not library code
                assert meta['solution'] and not meta['locked']
                for t in e['tests']:
                    tm = cells[_cell_of(stu, t['id'])]['metadata']['nbgrader']
                    assert tm['grade'] and tm['locked'] and tm['points'] == t['points']
        assert _src(cells[next(i for i, c in enumerate(cells) if c['cell_type'] == 'code' and 'default_exp' not in _src(c))]).startswith('# Locked')
    pub = json.loads((d / 'student/manifest.json').read_text())
    assert pub['points'] == man['points'] > 0 and 'HIDDEN' not in json.dumps(pub) and 'HIDDEN' in json.dumps(man)

# right on every tame input (max subtracted, float64 on request), wrong only where exp underflows: extreme scores, small eps
TAME_ONLY = NAIVE.replace('Q = (scores.to(dtype).T / eps).exp()', 'Q = scores.to(torch.float64 if dtype == torch.float64 else torch.float32).T / eps; Q = (Q - Q.max()).exp()')
SINKHORN_ANSWERS = {'naive': NAIVE, 'tame_only': TAME_ONLY,
                    'loop': 'def sinkhorn(scores, eps=0.05, n_iters=3, dtype=torch.float32):\n    return sinkhorn_loop(scores, eps, n_iters).to(dtype)',
                    'library': 'from swav_lit.sinkhorn import sinkhorn',
                    'library_via_swav': 'from swav_lit.swav import sinkhorn'}
# importing the library's answer in the other chapters (a class method, two functions at once), calling the book's reference loop
OTHER_ANSWERS = {('lib', '10_npid', 'MemoryBank.update'): 'from swav_lit.npid import MemoryBank',
                 ('lib', '21_swav', 'swav_loss'): 'from swav_lit.swav import swav_loss',
                 ('loop', '21_swav', 'swav_loss'): 'def swav_loss(scores, codes, crops_for_assign=(0, 1), tau=0.1):\n'
                                                   '    return torch.tensor(swav_loss_loop(scores, codes, crops_for_assign, tau))',
                 ('lib', '22_multicrop', 'crop_groups_multicrop_forward'): 'from swav_lit.multicrop import crop_groups, multicrop_forward',
                 ('lib', '13_simclr_moco', 'nt_xent'): 'from swav_lit.contrast import nt_xent',
                 # another chapter's library function that answers the exercise (the graded cell's hides=)
                 ('lib', '10_npid', 'nearest_rows'): 'from swav_lit.lens import retrieve as nearest_rows',
                 ('lib', '12_pirl', 'rotation_batch'): 'from swav_lit.pretext import all_rotations as rotation_batch',
                 ('lib', '20_sinkhorn', 'code_entropy'): 'from swav_lit.lens import entropy\ndef code_entropy(q): return entropy(q).mean()',
                 ('lib', '21_swav', 'codes_with_queue'): 'from swav_lit.swav import swav_codes as codes_with_queue'}
# NT-Xent with exp of the raw scores: right at tau 0.1 and above, inf/inf = NaN where a score / tau passes float32's exp range
NAIVE_NT_XENT = '''def nt_xent(z1, z2, tau=0.5, Z1=None, Z2=None, start=0):
    Z1, Z2 = (z1 if Z1 is None else Z1), (z2 if Z2 is None else Z2)
    b, B = len(z1), len(Z1)
    e = (torch.cat([z1, z2]) @ torch.cat([Z1, Z2]).T / tau).exp()
    i = torch.arange(start, start + b)
    me, partner = torch.cat([i, i + B]), torch.cat([i + B, i])
    e = e * (1 - F.one_hot(me, 2 * B))
    return -(e[torch.arange(2 * b), partner] / e.sum(1)).log().mean()'''

def _answer(d, ch, ex_id, source, name, dest):
    "The student's copy of `ch` with exercise `ex_id` answered by `source`."
    nb = json.loads((d / 'student' / f'{ch}.ipynb').read_text())
    nb['cells'][_cell_of(nb, ex_id)]['source'] = source
    return write_notebook(nb, dest / f'{name}_{ch}.ipynb')

@pytest.fixture(scope='module')
def graded(course, tmp_path_factory):
    """Every real-chapter submission of this file, graded in one batch (one warm process imports torch and the chapters'
    modules once; each notebook still runs in its own process): {key: its rows}. Keys: ('student'|'instructor', chapter),
    ('sinkhorn', answer name), and the keys of OTHER_ANSWERS."""
    d, man = course
    t = tmp_path_factory.mktemp('answers')
    ins = json.loads((d / 'instructor/20_sinkhorn.ipynb').read_text())
    right = strip_markers(_src(ins['cells'][_cell_of(ins, 'sinkhorn')]))
    subs = {(w, ch): d / w / f'{ch}.ipynb' for w in ('student', 'instructor') for ch in CHAPTERS}
    subs.update({('sinkhorn', n): _answer(d, '20_sinkhorn', 'sinkhorn', s, n, t) for n, s in {'right': right, **SINKHORN_ANSWERS}.items()})
    subs.update({k: _answer(d, k[1], k[2], s, f'{k[0]}-{k[2]}', t) for k, s in OTHER_ANSWERS.items()})  # one file per answer
    subs['naive', '13_simclr_moco', 'nt_xent'] = _answer(d, '13_simclr_moco', 'nt_xent', NAIVE_NT_XENT, 'naive', t)
    rows = grade(list(subs.values()), man, timeout=TIMEOUT)
    assert sorted({r['submission'] for r in rows}) == sorted(map(str, subs.values()))
    return {k: [r for r in rows if r['submission'] == str(p)] for k, p in subs.items()}

def test_untouched_students_score_zero_instructor_full(course, graded):
    d, man = course
    for ch in CHAPTERS:
        stu = [r for r in graded['student', ch] if r['kind'] == 'code']
        inst = [r for r in graded['instructor', ch] if r['kind'] == 'code']
        assert len(stu) == len(inst) >= 2, ch
        for r in stu: assert r['points'] == 0 and 'NotImplementedError: exercise' in r['message'], r
        for r in inst: assert r['points'] == r['max_points'] > 0 and r['message'] == '', r
    assert sum(r['points'] for ch in CHAPTERS for r in graded['instructor', ch]) == man['points']

def test_wrong_sinkhorn_answers_score_zero(graded):
    got = {n: next(r for r in graded['sinkhorn', n] if r['exercise'] == 'sinkhorn') for n in ('right', *SINKHORN_ANSWERS)}
    print(score_table(list(got.values())))
    assert got['right']['points'] == 3 and got['right']['message'] == ''
    for n in SINKHORN_ANSWERS: assert got[n]['points'] == 0, (n, got[n]['message'])
    assert "NameError: name 'sinkhorn_loop' is not defined" in got['loop']['message']
    assert 'swav_lit.sinkhorn.sinkhorn is switched off in this notebook' in got['library']['message']
    assert 'switched off' in got['library_via_swav']['message']
    assert 'non-finite' in got['naive']['message'] or 'not finite' in got['naive']['message']
    for r in got.values(): assert '\n' not in r['message']
    # one line per failed test, each with expected and got (the naive answer passes the visible tests only)
    fails = [l for l in score_table([got['tame_only']]).splitlines() if 'FAIL' in l]
    assert len(fails) == 2 and all('expected' in l or 'not finite' in l for l in fails), fails

def test_other_library_answers_are_off(graded):
    "Importing the library's answer scores 0 in the other chapters too (a class method, two functions at once, another chapter's function named by hides=); so does calling the book's reference loop."
    exercise = {'crop_groups_multicrop_forward': 'crop_groups+multicrop_forward'}
    for (how, ch, cell) in OTHER_ANSWERS:
        ex = exercise.get(cell, cell)
        r = next(r for r in graded[how, ch, cell] if r['exercise'] == ex)
        if how == 'lib': assert r['points'] == 0 and 'switched off' in r['message'], r
        else: assert r['points'] == 0 and "NameError: name 'swav_loss_loop' is not defined" in r['message'], r  # the book's reference loop is not in the course notebook

def test_naive_nt_xent_loses_the_extreme_test(graded):
    "The naive NT-Xent (exp of the raw scores) is right on tame inputs and NaN at tau 0.01: partial credit, the failing test named."
    r = next(r for r in graded['naive', '13_simclr_moco', 'nt_xent'] if r['exercise'] == 'nt_xent')
    assert (r['points'], r['max_points']) == (2, 3), r
    assert r['message'].startswith('nt-xent-extreme:') and 'nt-xent-values' not in r['message'], r

TOY = ['#| default_exp toy', 'md: # Toy', 'import math',
       'def double(x):\n    ### BEGIN SOLUTION hint: multiply by two\n    return 2 * x\n    ### END SOLUTION',
       '#| grade: id=double-pos points=1\nassert double(2) == 4',
       '#| grade: id=double-neg points=2\nassert double(-3) == -6',
       'def area(r):\n    ### BEGIN SOLUTION\n    return math.pi * r ** 2\n    ### END SOLUTION',
       '#| grade: id=area-value points=3\nassert abs(area(1) - math.pi) < 1e-12\n### BEGIN HIDDEN TESTS\nassert area(0) == 0\n### END HIDDEN TESTS',
       'print("after the last graded cell: never run")\nwhile True: pass']

@pytest.fixture
def toy(tmp_path):
    write_notebook(make_notebook(*TOY), tmp_path / 'src/07_toy.ipynb')
    man = assign(tmp_path / 'src', tmp_path / 'out')
    return tmp_path, man, json.loads((tmp_path / 'out/student/07_toy.ipynb').read_text())

def test_toy_partial_credit_hidden_tests_and_restored_cells(toy):
    tmp, man, stu = toy
    assert [(e['id'], e['points']) for e in man['chapters']['07_toy']['exercises']] == [('double', 3), ('area', 3)]
    k = {n: _cell_of(stu, n) for n in ('double', 'area', 'area-value')}
    assert 'area(0)' not in json.dumps(stu) and 'YOUR CODE HERE. Hint: multiply by two' in _src(stu['cells'][k['double']])
    one = json.loads(json.dumps(stu)); one['cells'][k['double']]['source'] = 'def double(x): return 2 * abs(x)'
    sly = json.loads(json.dumps(stu)); sly['cells'][k['area']]['source'] = 'def area(r): return math.pi * max(r, 1) ** 2'
    sly['cells'][k['area-value']]['source'] = '#| grade: id=area-value points=3\nassert True  # a test the student weakened'
    subs = [write_notebook(one, tmp / 'one_07_toy.ipynb'), write_notebook(sly, tmp / 'sly_07_toy.ipynb'),
            tmp / 'out/student/07_toy.ipynb', tmp / 'out/instructor/07_toy.ipynb']
    rows = grade(subs, tmp / 'out/instructor/manifest.json', timeout=30)
    got = [(Path(r['submission']).name, r['exercise'], r['points']) for r in rows]
    assert got == [('one_07_toy.ipynb', 'double', 1), ('one_07_toy.ipynb', 'area', 0),  # partial credit across the tests of an exercise
                   ('sly_07_toy.ipynb', 'double', 0), ('sly_07_toy.ipynb', 'area', 0),  # hidden test put back, the edit undone
                   ('07_toy.ipynb', 'double', 0), ('07_toy.ipynb', 'area', 0), ('07_toy.ipynb', 'double', 3), ('07_toy.ipynb', 'area', 3)]
    assert rows[0]['message'] == 'double-neg: line 2: AssertionError'
    assert rows[3]['message'] == 'area-value: line 4: AssertionError' and 'cell area-value was changed: the original ran instead' in rows[3]['notes']
    assert rows[4]['message'].count('NotImplementedError') == 2  # every failing test listed, not just the first

def test_broken_submissions_do_not_stop_the_batch(toy):
    tmp, man, stu = toy
    (tmp / 'empty_07_toy.ipynb').write_text('')
    (tmp / 'corrupt_07_toy.ipynb').write_text('{"cells": [{"cell_type": "code", "source": "x = ')
    (tmp / 'list_07_toy.ipynb').write_text('[1, 2, 3]')
    (tmp / 'essay.pdf').write_bytes(b'%PDF-1.4\n\xff\xfe binary')
    loop = json.loads(json.dumps(stu)); loop['cells'][next(i for i, c in enumerate(stu['cells']) if _src(c) == 'import math')]['source'] = 'import math\nwhile True: pass'
    write_notebook(loop, tmp / 'loop_07_toy.ipynb')
    good = json.loads(json.dumps(stu)); good['cells'][_cell_of(stu, 'double')]['source'] = 'def double(x): return x + x'
    subs = [tmp / n for n in ('empty_07_toy.ipynb', 'corrupt_07_toy.ipynb', 'loop_07_toy.ipynb', 'list_07_toy.ipynb', 'essay.pdf',
                              'missing_07_toy.ipynb')] + [write_notebook(good, tmp / 'good_07_toy.ipynb')]
    rows = grade(subs, man, timeout=6)
    msg = {}
    for r in rows: msg.setdefault(Path(r['submission']).name, r['message'])
    assert msg['empty_07_toy.ipynb'].startswith('double-pos: empty file')
    assert msg['corrupt_07_toy.ipynb'].startswith('double-pos: not a notebook: not valid JSON')
    assert msg['loop_07_toy.ipynb'].startswith('double-pos: not run: time limit of 6 s reached in cell')
    assert msg['list_07_toy.ipynb'].startswith("double-pos: not a Jupyter notebook: no list of 'cells'")
    assert msg['essay.pdf'].startswith('not a notebook: not valid JSON') and msg['missing_07_toy.ipynb'].startswith('double-pos: no such file')
    t = {Path(s).name: v for s, v in totals(rows).items()}
    assert t['good_07_toy.ipynb'] == (3, 6) and t['essay.pdf'] == (0, 0)

def test_console_scripts_and_feedback(toy):
    tmp, man, stu = toy
    bindir = Path(sys.executable).parent
    r = subprocess.run([bindir / 'swav_lit_assign', tmp / 'src', tmp / 'cli'], capture_output=True, text=True)
    assert r.returncode == 0 and '6 points graded automatically' in r.stdout, r.stderr
    r = subprocess.run([bindir / 'swav_lit_grade', tmp / 'cli/student', tmp / 'cli/instructor/07_toy.ipynb', '-m',
                        tmp / 'cli/instructor/manifest.json', '--out', tmp / 'grades', '--timeout', '30'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert [l.split()[-1] for l in r.stdout.splitlines() if 'TOTAL' in l] == ['0/6', '6/6']
    csv = (tmp / 'grades/grades.csv').read_text().splitlines()
    assert csv[0] == 'submission,chapter,exercise,points,max_points,message' and len(csv) == 5
    assert sorted(p.name for p in (tmp / 'grades/feedback').iterdir()) == ['instructor_07_toy.html', 'student_07_toy.html']
    assert 'NotImplementedError' in (tmp / 'grades/feedback/student_07_toy.html').read_text()

def test_library_carries_no_markers():
    "No marker line in any module: a bare `nbdev_export` (which would copy them) fails here at once."
    for f in sorted((ROOT / 'swav_lit').glob('*.py')):
        bad = [i + 1 for i, l in enumerate(f.read_text().splitlines()) if is_marker(l)]
        assert not bad, f'{f.name}: marker lines {bad}: run `make export`, not a bare nbdev_export'

def test_export_and_docs_processor(tmp_path):
    "The processor removes the markers from a fresh export; the docs show exercises without their solutions."
    from nbdev.export import nb_export
    from nbdev.process import NBProcessor
    from nbdev.processors import FilterDefaults
    for ch, mod in zip(CHAPTERS, MODULES):
        nb_export(ROOT / 'nbs' / f'{ch}.ipynb', lib_path=tmp_path / 'with', procs=[strip_solution_markers])
        nb_export(ROOT / 'nbs' / f'{ch}.ipynb', lib_path=tmp_path / 'without')
        fresh, raw = (tmp_path / 'with' / f'{mod}.py').read_text(), (tmp_path / 'without' / f'{mod}.py').read_text()
        assert BEGIN_SOLUTION in raw and BEGIN_SOLUTION not in fresh
        assert [l for l in raw.splitlines() if not is_marker(l)] == fresh.splitlines()
        docs = NBProcessor(ROOT / 'nbs' / f'{ch}.ipynb', procs=FilterDefaults().xtra_procs(), process=True).nb
        text = '\n'.join(c.source for c in docs.cells)
        assert not any(is_marker(l) for l in text.splitlines()), ch
        assert '## Exercises' in text and 'YOUR ANSWER HERE' in text and "raise NotImplementedError('exercise " in text, ch
        assert 'BEGIN HIDDEN' not in text and '### END SOLUTION' not in text
