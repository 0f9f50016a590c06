"""Inverse of py2nb: dump a notebook's sources as a cell script (outputs dropped). Usage: nb2py.py NB [OUT]"""
import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
out = []
for c in nb.cells:
    out.append('#%% md' if c.cell_type == 'markdown' else '#%%'); out.append(c.source); out.append('')
txt = '\n'.join(out)
(open(sys.argv[2], 'w').write(txt) if len(sys.argv) > 2 else print(txt))
