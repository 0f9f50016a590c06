"""Fix, in place and keeping outputs, the two nbdev-docs rules in executed notebooks:
(1) first markdown cell = '# Title' + one-line '> description' (rest moved to a new markdown cell);
(2) code cells mixing imports with other code: leading/any top-level import lines moved into an import-only cell
    before it (the outputs stay with the code part). Usage: fix_nb.py NB.ipynb..."""
import sys, re, hashlib, nbformat
imp = re.compile(r'^(import |from \S+ import )')
def nid(s): return hashlib.sha1(s.encode()).hexdigest()[:8]
for p in sys.argv[1:]:
    nb = nbformat.read(p, as_version=4); cells = []; fixed_title = False; n = 0
    for c in nb.cells:
        if c.cell_type == 'markdown' and not fixed_title and re.match(r'^#\s', c.source.lstrip()):
            fixed_title = True
            lines = c.source.split('\n'); head, rest, i = [], [], 0
            while i < len(lines) and not lines[i].startswith('> '): head.append(lines[i]); i += 1
            desc = []
            while i < len(lines) and lines[i].startswith('> '): desc.append(lines[i][2:]); i += 1
            rest = '\n'.join(lines[i:]).strip('\n')
            c.source = '\n'.join(head).rstrip('\n') + ('\n\n> ' + ' '.join(desc) if desc else '')
            cells.append(c)
            if rest: cells.append(nbformat.v4.new_markdown_cell(rest, id=nid('md' + rest)))
            continue
        if c.cell_type == 'code':
            lines = c.source.split('\n')
            dirs = [l for l in lines if l.startswith('#|')]
            imps = [l for l in lines if imp.match(l)]
            rest = [l for l in lines if not imp.match(l) and not l.startswith('#|')]
            if imps and not any('export' in d for d in dirs) and any(l.strip() and not l.startswith('#') for l in rest):
                cells.append(nbformat.v4.new_code_cell('\n'.join(imps), id=nid('imp' + c.source)))
                c.source = '\n'.join(dirs + rest).strip('\n'); n += 1
        cells.append(c)
    nb.cells = cells; nbformat.write(nb, p); print(p, 'title fixed' if fixed_title else 'no title', f'imports split in {n} cells')
