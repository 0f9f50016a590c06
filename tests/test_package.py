"""Packaging: the library imports only runtime dependencies (so `pip install swav_lit` without the dev extra works),
settings.ini carries what nbdev 2 needs, and setup.py builds a wheel holding every module."""
import ast, sys, configparser, subprocess, zipfile, re
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]

def cfg():
    c = configparser.ConfigParser(delimiters=['=']); c.read(ROOT / 'settings.ini'); return c['DEFAULT']

def test_settings_for_nbdev2():
    c = cfg()
    assert c['lib_name'] == 'swav_lit' and c['doc_path'] == 'docs' and c['tst_flags'].split() == ['notest', 'slow']
    assert 'nbdev==2.4.14' in c['dev_requirements'].split()

def test_library_imports_only_runtime_deps():
    dist2mod = {'scikit-learn': 'sklearn', 'pillow': 'PIL'}
    runtime = {dist2mod.get(n, n) for n in (re.split(r'[<>=!~ ,;]', r)[0].lower() for r in cfg()['requirements'].split())}
    allowed = runtime | set(sys.stdlib_module_names) | {'swav_lit'}
    used = set()
    for f in (ROOT / 'swav_lit').glob('*.py'):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import): used |= {a.name.split('.')[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0: used.add(node.module.split('.')[0])
    # optional extras imported lazily inside functions are listed here on purpose
    optional = {'tensorboard', 'skimage'}
    assert used - allowed - optional == set(), f'library imports non-runtime packages: {used - allowed - optional}'

def test_wheel_has_every_module(tmp_path):
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(tmp_path), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    whl = next(tmp_path.glob('swav_lit-*.whl'))
    names = zipfile.ZipFile(whl).namelist()
    for mod in (ROOT / 'swav_lit').glob('*.py'): assert f'swav_lit/{mod.name}' in names
    meta = zipfile.ZipFile(whl).read(next(n for n in names if n.endswith('METADATA'))).decode()
    reqs = [l for l in meta.splitlines() if l.startswith('Requires-Dist')]
    assert any('torch>=2.14' in l for l in reqs)
    assert all('extra ==' in l for l in reqs if 'nbdev' in l)  # nbdev only in the dev extra
