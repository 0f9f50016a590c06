"""Flag numbers in a chapter's prose that none of its outputs shows: `python tools/check_prose_numbers.py [notebooks]`.

A measured number in the prose (a decimal with three digits after the point, as the chapters print what they
measure: an accuracy 0.803, a loss 3.912) must appear in some output of the same notebook (printed text, a Markdown or HTML table), so that a
re-run that changes the outputs also shows where the prose went stale. Math and code spans are not prose:
constants and settings ($\eta = 0.001$, `lr=0.001`) live there. Numbers that come from elsewhere (a
run outside the notebook, a paper) are declared in the cell with an HTML comment, which the docs do not show:

    <!-- numbers from outside this notebook: 0.289 0.378 -->

`<!-- numbers from outside this notebook -->` with no list exempts the whole cell. Exits 1 when a number is
unmatched; `make docs-check` and tests/test_docs.py run it on every notebook in nbs/."""
import json, re, sys
from pathlib import Path

NUM = re.compile(r'(?<![\w.])(\d+\.\d{3})(?![\w.])')  # three decimals: how the chapters print what they measure
OUTSIDE = re.compile(r'<!--\s*numbers from outside this notebook:?([^>]*)-->', re.I)

def _text(x) -> str: return ''.join(x) if isinstance(x, list) else (x or '')

def outputs_text(nb:dict) -> str:
    out = []
    for c in nb['cells']:
        for o in c.get('outputs', []):
            out.append(_text(o.get('text')))
            out += [_text(v) for k, v in o.get('data', {}).items() if k.startswith('text/')]
    return '\n'.join(out)

def prose(md:str) -> str:
    "Markdown without its math and code: constants and settings live there ($\\eta = 0.001$, `lr=0.001`), measurements do not."
    md = re.sub(r'```.*?```', ' ', md, flags=re.S)
    md = re.sub(r'\$\$.*?\$\$', ' ', md, flags=re.S)
    md = re.sub(r'\$[^$\n]+\$', ' ', md)
    return re.sub(r'`[^`\n]*`', ' ', md)

def stale_numbers(nb:dict) -> list[tuple[int, str]]:
    "(cell index, number) of every prose number that no output of `nb` contains."
    shown, bad = outputs_text(nb), []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'markdown': continue
        s = _text(c['source'])
        declared = OUTSIDE.findall(s)
        if any(not d.strip() for d in declared): continue
        allowed = {n for d in declared for n in d.split()}
        for n in NUM.findall(prose(OUTSIDE.sub('', s))):
            if n not in allowed and not re.search(rf'(?<![\d.]){re.escape(n)}(?!\d)', shown): bad.append((i, n))
    return bad

def main(paths=None) -> int:
    files = [Path(p) for p in paths] if paths else sorted(Path(__file__).resolve().parent.parent.glob('nbs/*.ipynb'))
    n_bad = 0
    for f in files:
        for i, n in stale_numbers(json.loads(f.read_text(encoding='utf-8'))):
            print(f'{f.name}: cell {i}: the prose cites {n}, which no output of the notebook shows'); n_bad += 1
    print(f'prose numbers: {len(files)} notebooks, {n_bad} number(s) not in any output')
    return 1 if n_bad else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
