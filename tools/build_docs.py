"""Build the documentation site into docs/ offline, without Quarto: `make docs` (or `python tools/build_docs.py`).

nbdev's own processors turn each notebook into its docs form (directives removed, hidden cells dropped, a
`show_doc` API entry for every exported function, executed), then nbconvert renders each to HTML with the
committed outputs (figures included). Also writes docs/api.html (every exported symbol, linked to its chapter)
and README.md from nbs/index.ipynb. Where Quarto exists, `nbdev_docs` builds the usual nbdev site instead."""
import re, html, inspect, importlib, shutil
import yaml
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from nbdev.config import get_config
from nbdev.quarto import refresh_quarto_yml, proc_nbs
from nbdev.doclinks import _build_modidx

CSS = """
body{margin:0} .swl-nav{position:fixed;top:0;left:0;bottom:0;width:230px;overflow:auto;background:#f6f7f9;
border-right:1px solid #ddd;padding:16px 10px;font:14px/1.5 system-ui,sans-serif;box-sizing:border-box}
.swl-nav a{display:block;color:#234;text-decoration:none;padding:2px 6px;border-radius:4px}
.swl-nav a.cur{background:#dde6f3;font-weight:600} .swl-nav .brand{font-size:18px;font-weight:700;margin-bottom:10px}
.swl-main{margin-left:240px;max-width:1100px;padding:0 16px}
.jp-InputPrompt,.jp-OutputPrompt{display:none!important} .jp-Cell{padding-left:0!important}
.swl-api{width:100%} .swl-api td:first-child{width:28%} .swl-api td{vertical-align:top;padding:4px 8px;border-bottom:1px solid #eee} .swl-api code{white-space:pre-wrap}
"""

def page_name(nb:Path) -> str: return re.sub(r'^\d+_', '', nb.stem) + '.html'

def title_of(nb) -> str:
    for c in nb.cells:
        if c.cell_type == 'markdown' and (m := re.search(r'^#\s+(.+)$', c.source, re.M)): return m.group(1).strip()
    return 'page'

def prepare(nb):
    "Turn nbdev's Quarto-flavoured notebook into plain Jupyter: front matter -> title, `echo: false` -> no input."
    cells, fm = [], {}
    for c in nb.cells:
        if c.cell_type == 'raw' and c.source.lstrip().startswith('---'):
            fm = yaml.safe_load(c.source.strip().strip('-')) or {}; continue
        if c.cell_type == 'code':
            dirs = re.findall(r'^#\|\s*(.*)$', c.source, re.M)
            c.source = re.sub(r'^#\|.*\n?', '', c.source, flags=re.M)
            if any(d.replace(' ', '') in ('echo:false', 'include:false') for d in dirs):
                c.metadata.setdefault('tags', []).append('remove_input')
            if any(d.replace(' ', '') == 'include:false' for d in dirs): continue
            for o in c.get('outputs', []):
                md = o.get('data', {}).get('text/markdown')
                if md: o['data']['text/markdown'] = re.sub(r'\]\(([^)]*)\)\{[^}]*\}', r'](\1)', ''.join(md))
        cells.append(c)
    title, desc = fm.get('title', ''), fm.get('description', '')
    if title:
        head = f'# {title}' + (f'\n\n> {desc}' if desc else '')
        cells.insert(0, nbformat.v4.new_markdown_cell(head))
    nb.cells = cells
    return nb

def nav(pages, cur) -> str:
    links = ''.join(f'<a class="{"cur" if p == cur else ""}" href="{p}">{html.escape(t)}</a>' for p, t in pages)
    return f'<nav class="swl-nav"><div class="brand">swav_lit</div>{links}</nav>'

def wrap(body:str, pages, cur, title) -> str:
    body = re.sub(r'<title>.*?</title>', f'<title>{html.escape(title)} – swav_lit</title>', body, count=1, flags=re.S)
    body = body.replace('</head>', f'<style>{CSS}</style></head>', 1)
    body = re.sub(r'<body([^>]*)>', lambda m: f'<body{m.group(1)}>{nav(pages, cur)}<div class="swl-main">', body, count=1)
    return body.replace('</body>', '</div></body>', 1)

def api_page(cfg) -> str:
    idx = importlib.import_module(f'{cfg.lib_name}._modidx').d['syms']
    rows = []
    for mod, syms in idx.items():
        m = importlib.import_module(mod)
        rows.append(f'<h2 id="{mod}">{mod}</h2><table class="swl-api">')
        for name, (link, _) in syms.items():
            short = name[len(mod) + 1:]
            if any(part.startswith('_') for part in short.split('.')): continue  # private helpers and dunders
            obj = m
            for part in short.split('.'): obj = getattr(obj, part, None)
            if obj is None: continue
            try: sig = str(inspect.signature(obj))
            except (TypeError, ValueError): sig = ''
            doc = (inspect.getdoc(obj) or '').split('\n')[0]
            rows.append(f'<tr><td><a href="{link}"><code>{html.escape(short)}</code></a></td>'
                        f'<td><code>{html.escape(short.split(".")[-1] + sig)}</code><br>{html.escape(doc)}</td></tr>')
        rows.append('</table>')
    return ('<html><head><meta charset="utf-8"><title>API</title></head><body><h1>API reference</h1>'
            '<p>Every exported symbol, with its signature and docstring; the link opens its chapter.</p>'
            + ''.join(rows) + '</body></html>')

def write_readme(nb, dest:Path):
    "README.md from the front page: markdown cells as they are, code cells fenced (outputs left to the docs)."
    parts = []
    for c in nb.cells:
        if c.cell_type == 'markdown': parts.append(c.source)
        elif c.cell_type == 'code' and not c.source.startswith('#|'): parts.append(f'```python\n{c.source}\n```')
    dest.write_text('\n\n'.join(parts) + '\n')

def local_mathjax(out:Path):
    "Copy MathJax 2 from the `jupyter_server_mathjax` package into docs/ so equations render offline; else the CDN."
    try: import jupyter_server_mathjax
    except ImportError:
        print('jupyter_server_mathjax is not installed: equations will load MathJax from the CDN'); return None
    src = Path(jupyter_server_mathjax.__file__).parent / 'static'
    if not (out / 'mathjax').exists(): shutil.copytree(src, out / 'mathjax')
    return 'mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe'

def main():
    cfg = get_config()
    nbs, out = cfg.nbs_path, cfg.doc_path
    refresh_quarto_yml(); _build_modidx()
    proc = proc_nbs(nbs, n_workers=0)
    srcs = sorted(nbs.glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.stem))
    books = {p: nbformat.read(proc / p.name, as_version=4) for p in srcs}
    pages = [(page_name(p), title_of(nbformat.read(p, as_version=4))) for p in srcs] + [('api.html', 'API reference')]
    out.mkdir(exist_ok=True)
    for f in out.glob('*.html'): f.unlink()
    exp = HTMLExporter(template_name='lab')
    mj = local_mathjax(out)
    if mj: exp.mathjax_url = mj
    exp.register_preprocessor(TagRemovePreprocessor(remove_input_tags={'remove_input'}), enabled=True)
    for p, nb in books.items():
        body, _ = exp.from_notebook_node(prepare(nb))
        (out / page_name(p)).write_text(wrap(body, pages, page_name(p), title_of(nb)))
    (out / 'api.html').write_text(wrap(api_page(cfg), pages, 'api.html', 'API reference'))
    write_readme(nbformat.read(nbs / 'index.ipynb', as_version=4), cfg.config_path / 'README.md')
    print(f'docs: {len(pages)} pages in {out}/ (open {out}/index.html); README.md written from nbs/index.ipynb')

if __name__ == '__main__': main()
