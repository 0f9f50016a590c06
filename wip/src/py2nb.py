"""Build a notebook from a cell script. Usage: python py2nb.py SRC.txt DEST.ipynb
Cells are separated by lines '#%% md' (markdown, raw text follows) or '#%%' (code)."""
import sys, nbformat
src, dest = sys.argv[1], sys.argv[2]
cells, kind, buf = [], None, []
def flush():
    if kind is None: return
    text = '\n'.join(buf).strip('\n')
    if not text: return
    cells.append(nbformat.v4.new_markdown_cell(text) if kind == 'md' else nbformat.v4.new_code_cell(text))
for line in open(src).read().split('\n'):
    s = line.strip()
    if s in ('#%% md', '#%%'):
        flush(); kind, buf = ('md' if s == '#%% md' else 'code'), []
    else: buf.append(line)
flush()
import hashlib
for i, c in enumerate(cells):  # stable ids: regenerating an unchanged cell keeps its id (and the export's anchors)
    c['id'] = hashlib.sha1(f'{i}:{c.source}'.encode()).hexdigest()[:8]
nb = nbformat.v4.new_notebook(cells=cells)
nb.metadata = {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}}
nbformat.write(nb, dest)
print(f'{dest}: {len(cells)} cells')
