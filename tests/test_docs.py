"""The docs site (`make docs`, `make docs-check`) and the chapters' prose: whole introductions, gated slow cells,
prose numbers that the outputs show."""
import json, re, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = sorted((ROOT / 'nbs').glob('*.ipynb'))
sys.path.insert(0, str(ROOT / 'tools'))
import check_docs, check_prose_numbers

def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']
def _cells(nb): return json.loads(nb.read_text(encoding='utf-8'))['cells']

@pytest.mark.parametrize('nb', NBS, ids=lambda p: p.stem)
def test_title_cell_keeps_nothing_nbdev_drops(nb):
    "nbdev's front matter keeps the title and the first `>` line of the title cell: anything more there is lost."
    c = next(c for c in _cells(nb) if c['cell_type'] == 'markdown')
    lines = [l for l in _src(c).strip().splitlines() if l.strip()]
    assert lines[0].startswith('# ') and len(lines) <= 2 and all(l.startswith('> ') for l in lines[1:]), \
        f'{nb.name}: the title cell must hold only "# title" and one "> description" line; move the rest to the next cell'

@pytest.mark.parametrize('nb', NBS, ids=lambda p: p.stem)
def test_slow_cells_run_only_when_asked(nb):
    "A `#| slow` cell that does more than import starts with `if slow_enabled(...)`, so Run All skips it."
    for c in _cells(nb):
        s = _src(c)
        if c['cell_type'] != 'code' or not re.match(r'#\|\s*slow', s): continue
        body = [l for l in s.splitlines()[1:] if l.strip() and not l.lstrip().startswith(('#', 'import ', 'from '))]
        assert not body or body[0].startswith('if slow_enabled('), f'{nb.name}: ungated slow cell:\n{s[:300]}'

def test_prose_numbers_are_in_the_outputs():
    assert check_prose_numbers.main([str(p) for p in NBS]) == 0

def test_prose_numbers_check_flags_a_stale_number():
    nb = {'cells': [{'cell_type': 'markdown', 'source': 'kNN 0.789 after training, 0.5 before'},
                    {'cell_type': 'code', 'source': '', 'outputs': [{'output_type': 'stream', 'text': 'kNN 0.803\n'}]}]}
    assert check_prose_numbers.stale_numbers(nb) == [(0, '0.789')]
    nb['cells'][0]['source'] += '\n<!-- numbers from outside this notebook: 0.789 -->'
    assert check_prose_numbers.stale_numbers(nb) == []

@pytest.fixture(scope='module')
def site():
    r = subprocess.run([sys.executable, 'tools/build_docs.py'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return ROOT / 'docs'

def test_docs_links_and_network(site):
    "Every internal link resolves (anchors too), none goes to a host that does not exist, nothing loads from the network."
    s = check_docs.check_static(site, check_docs.dead_hosts())
    assert s['counts']['pages'] >= len(NBS) + 1 and s['counts']['internal'] > 1000
    assert not s['broken'] and not s['dead_host'] and not s['network'], (s['broken'][:10], s['dead_host'][:10], s['network'][:10])
    text = ' '.join(p.read_text(encoding='utf-8') for p in site.glob('*.html'))
    for nb in NBS:  # the cell after the title (a chapter's introduction) is on the site, to its last words
        cells = _cells(nb)
        i = next(i for i, c in enumerate(cells) if c['cell_type'] == 'markdown')
        if i + 1 < len(cells) and cells[i + 1]['cell_type'] == 'markdown':
            words = re.findall(r'[A-Za-z]{6,}', _src(cells[i + 1]))[-3:]
            assert all(w in text for w in words), (nb.name, words)

@pytest.mark.skipif(not check_docs.chromium(), reason='no chromium (apt-get install chromium)')
def test_docs_in_a_browser(site, tmp_path):
    "Headless Chromium from file://: screenshots, equations typeset, search lists results, no network request."
    b = check_docs.check_browser(site, tmp_path)
    assert not b['problems'], b['problems']
    assert len(b['screenshots']) == 4 and b['equations'] > 10 and b['search_results'] > 0
