"""Fail if `nbdev_clean` or `nbdev_export` would change any file: notebooks must be committed clean and the
library in sync with them. Works on a dirty working tree too: it compares file contents before and after."""
import hashlib, subprocess, sys
from pathlib import Path

def snapshot():
    files = [p for d in ('nbs', 'swav_lit') for p in Path(d).rglob('*') if p.is_file() and '__pycache__' not in p.parts]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

bad = False
# a bare `nbdev_export` copies the chapters' exercise markers into the library: say so first, with the fix
sys.path.insert(0, '.')
from swav_lit.exercises import is_marker
for p in sorted(Path('swav_lit').glob('*.py')):
    lines = [i + 1 for i, l in enumerate(p.read_text().splitlines()) if is_marker(l)]
    if lines:
        bad = True
        print(f"FAIL: {p} has exercise marker lines ({', '.join(map(str, lines[:5]))}...): a bare `nbdev_export` wrote them; run `make export`.")
# tools/export.py is nbdev_export plus the processor that keeps the assignment markers out of swav_lit/ (nbs/50_assign.ipynb)
for cmd in (['nbdev_clean'], [sys.executable, 'tools/export.py']):
    before = snapshot()
    subprocess.run(cmd, check=True)
    after = snapshot()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        bad = True
        print(f"FAIL: `{' '.join(cmd)}` changed {len(changed)} file(s): {', '.join(changed)}\n"
              f"      run `make export` (python tools/export.py && nbdev_clean) and commit the result.")
    else: print(f"ok: `{' '.join(cmd)}` changed nothing")
sys.exit(1 if bad else 0)
