"""Build the documentation site into docs/ offline, without Quarto: `make docs` (or `python tools/build_docs.py`).

nbdev's own processors turn each notebook into its docs form (directives removed, exported cells dropped, a
`show_doc` entry for every exported function, cross-references linked: `nbdev.quarto.proc_nbs`, the processing
`nbdev_docs` hands to Quarto). This script turns those processed notebooks into Markdown pages and
MkDocs with the Material theme renders them: search, a table of contents per page, previous/next links, and
the `offline` plugin so that the site works from `file://` as from any static host. On top of nbdev's output:

- the chapters' full introductions: the front matter's title and description become the page head;
- an API entry with a heading for every exported name, methods and properties included, with the anchor
  nbdev's index (`swav_lit/_modidx.py`) links to; each entry shows its code, read from the notebook's
  exported cells, with the assignments' solutions (`### BEGIN SOLUTION` ... `### END SOLUTION`) replaced by
  their hints (`--solutions` keeps them, for an instructor's copy);
- links that stay inside the site: nbdev's links to `doc_host` and the chapters' `.ipynb` links become links
  between pages; source links point at the code on the page, or at `docs_repo_url` when settings.ini sets one;
- MathJax 3 from the `django-static-mathjax` package, Material's fonts off: nothing loads from the network;
- docs/api.html, every exported name grouped by chapter.

Pages, navigation and the API follow whatever notebooks `nbs/` holds. README.md is written from
nbs/index.ipynb. Where Quarto exists, `nbdev_docs` builds the usual nbdev site from the same notebooks.
`make docs-check` (tools/check_docs.py) checks the result."""
import argparse, ast, html, importlib, inspect, json, re, shutil, sys
from pathlib import Path
import yaml
from nbdev.config import get_config
from nbdev.quarto import refresh_quarto_yml, proc_nbs
from nbdev.doclinks import _build_modidx
from nbdev.showdoc import BasicMarkdownRenderer

ROOT = Path(__file__).resolve().parent.parent
BASE_CFG = ROOT / 'tools' / 'mkdocs.yml'  # theme, extensions, plugins; the build adds the pages
SECTIONS = {0: 'Foundations', 1: 'Instance discrimination', 2: 'Clustering: SwAV', 3: 'Training and evaluation',
            4: 'Experiments', 5: 'Teaching'}  # by the chapter number's tens digit; others get 'Chapters N0-N9'
ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')

# ---------------------------------------------------------------- notebooks
def src(cell) -> str: return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def directives(code:str) -> dict:
    "The `#| key: value` lines at the top of a code cell."
    out = {}
    for l in code.splitlines():
        if not (m := re.match(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*)$', l)):
            if l.strip(): break
            continue
        out[m[1]] = m[2].strip()
    return out

def strip_directives(code:str) -> str: return re.sub(r'^\s*#\|.*\n?', '', code, flags=re.M).strip('\n')

def front_matter(nb) -> dict:
    for c in nb['cells']:
        if c['cell_type'] == 'raw' and src(c).lstrip().startswith('---'):
            return yaml.safe_load(src(c).strip().strip('-')) or {}
    return {}

def chapter_number(stem:str):
    "'30a_config' -> (30, '30a'); 'index' -> (None, None)."
    m = re.match(r'^(\d+)([a-z]?)_', stem)
    return (int(m[1]), m[1] + m[2]) if m else (None, None)

LIST_ITEM = re.compile(r'^ {0,3}(?:[-*+]|\d+[.)])\s+\S')

def commonmark_blocks(text:str) -> str:
    "A blank line before a list or a table that follows a paragraph line: Jupyter's CommonMark needs none, Python-Markdown does."
    out, fence, prev = [], None, ''
    for l in text.split('\n'):
        if m := re.match(r'^\s*(```|~~~)', l): fence = None if fence == m[1] else (fence or m[1])
        elif fence is None and prev.strip() and not prev[0].isspace():
            starts_list = LIST_ITEM.match(l) and not LIST_ITEM.match(prev)
            starts_table = l.lstrip().startswith('|') and not prev.lstrip().startswith('|')
            if starts_list or starts_table: out.append('')
        out.append(l); prev = l
    return '\n'.join(out)

# ---------------------------------------------------------------- code of the exported names
def exported_code(nb_path:Path, solutions:bool) -> dict:
    "{qualified name: source} of every def and class (and their methods) in the `#| export` cells of a notebook."
    from swav_lit.exercises import BEGIN_SOLUTION, END_SOLUTION, marker_regions, solution_hint, is_marker
    out = {}
    for c in json.loads(nb_path.read_text(encoding='utf-8'))['cells']:
        s = src(c)
        if c['cell_type'] != 'code' or not {'export', 'exports'} & directives(s).keys(): continue
        lines = s.splitlines()
        if not solutions:  # each solution region -> its hint, as the student notebooks have it
            for b, e in reversed(marker_regions(lines, BEGIN_SOLUTION, END_SOLUTION)):
                ind = lines[b][:len(lines[b]) - len(lines[b].lstrip())]
                lines[b:e + 1] = [f'{ind}...  # exercise (solution hidden in the docs): {solution_hint(lines, b, e)}']
        lines = [l for l in lines if not is_marker(l)]
        try: tree = ast.parse('\n'.join(lines))
        except SyntaxError: continue
        def seg(node):
            start = min([d.lineno for d in getattr(node, 'decorator_list', [])] + [node.lineno])
            return '\n'.join(lines[start - 1:node.end_lineno])
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out[node.name] = seg(node)
                if isinstance(node, ast.ClassDef):
                    for sub in node.body:
                        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            out.setdefault(f'{node.name}.{sub.name}', seg(sub))
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name): out.setdefault(n.id, seg(node))
    return out

# ---------------------------------------------------------------- the pages
class Site:
    def __init__(self, cfg, solutions=False):
        self.cfg, self.solutions = cfg, solutions
        self.host = (cfg.get('doc_host', '') + cfg.get('doc_baseurl', '')).rstrip('/')
        self.repo = cfg.get('docs_repo_url', '').strip().rstrip('/')  # a real repository, when there is one
        self.dead = [u.rstrip('/') for u in (self.host, cfg.get('git_url', '')) if u]
        idx = importlib.import_module(f'{cfg.lib_name}._modidx').d['syms']
        self.syms = {name: (link, path) for mod in idx.values() for name, (link, path) in mod.items()}
        self.short = {name: name[len(mod) + 1:] for mod, d in idx.items() for name in d}  # 'MemoryBank.update'
        self.figs = 0

    # links ------------------------------------------------------------
    def fix_links(self, text:str, pages:dict) -> str:
        "Links to doc_host, to the chapters' .ipynb and to their .html -> links between the Markdown pages."
        text = re.sub(r'(\]\([^)\s]*\))\{[^}]*\}', r'\1', text)  # Quarto's {target=...} after a link
        def page(target):
            path, _, anchor = target.partition('#')
            for u in self.dead:
                if path.startswith(u + '/'): path = path[len(u) + 1:]
            name = Path(path).name
            if '/' in path.strip('./') or not name: return None
            md = pages.get(name) or pages.get(Path(name).stem + '.html')
            return md and md + (f'#{anchor}' if anchor else '')
        def sub(m):
            new = page(m[2])
            return f'{m[1]}({new})' if new else m[0]
        text = re.sub(r'(\[[^\]]*\])\(([^)\s]+)\)', sub, text)
        text = re.sub(r'(href=")([^"]+)(")', lambda m: f'{m[1]}{(page(m[2]) or m[2]).replace(".md", ".html")}{m[3]}', text)
        return text

    def source_link(self, path:str, qual:str) -> str:
        "The code on this page; and the repository's copy of the module when `docs_repo_url` is set."
        out = f'<a class="swl-srclink" href="#{self.src_id(qual)}">source</a>'
        if self.repo: out += f' <a class="swl-srclink" href="{self.repo}/blob/{self.cfg.get("branch", "main")}/{path}">repository</a>'
        return out

    @staticmethod
    def src_id(qual): return 'src-' + qual.lower()

    # one API entry ----------------------------------------------------
    def entry(self, qual:str, md:str|None, level:int, code:dict) -> str:
        "nbdev's show_doc Markdown for `qual` as a page entry: the anchor nbdev links to, the docstring kept literal, the code."
        short = self.short.get(qual, qual)
        link, path = self.syms.get(qual, (None, None))
        anchor = link.split('#', 1)[1] if link else short.lower()
        obj = self.resolve(qual)
        if md is None: md = self.render(obj, short)  # nbdev's links in it are made relative by the caller's fix_links
        body = re.sub(r'^---\s*$', '', md, flags=re.M)
        body = re.sub(r'^\[source\]\([^)]*\)(\{[^}]*\})?\s*$', '', body, flags=re.M)
        body = re.sub(r'^#+\s+.*$', '', body, count=1, flags=re.M)  # nbdev's heading: ours carries the anchor
        if inspect.isclass(obj): body = re.sub(r'(```python\n)def ', r'\1class ', body, count=1)
        def literal_doc(m):  # nbdev writes the docstring as *...*: a `*` inside (`n_crops*B`) would end the italics
            parts = re.split(r'(`[^`]*`|\]\([^)]*\))', m[1])  # code and link targets stay as they are
            return '<p class="swl-docstring" markdown>' + ''.join(p if p.startswith(('`', '](')) else p.replace('*', r'\*') for p in parts) + '</p>'
        body = re.sub(r'^\*(.+)\*\s*$', literal_doc, body, flags=re.M)
        kind = 'class' if inspect.isclass(obj) else 'property' if isinstance(obj, property) else 'function'
        head = f'{"#" * level} {short.split(".")[-1] if level > 3 else short} {{ #{anchor} .swl-entry .swl-{kind} }}'
        key = short if level == 3 else short.split('.')[0]  # a method's code is in its class's, shown once, with the class
        out = [head, '', f'<div class="swl-entry-links">{self.source_link(path or "", key)}</div>' if key in code else '', body.strip(), '']
        if key in code and level == 3:
            out += [f'<details class="swl-source" id="{self.src_id(short)}" markdown>',
                    f'<summary>Source <code>{html.escape(path or "")}</code></summary>', '',
                    '```python', code[key], '```', '', '</details>', '']
        return '\n'.join(out)

    def resolve(self, qual:str):
        parts = qual.split('.')
        for i in range(len(parts) - 1, 0, -1):
            try: obj = importlib.import_module('.'.join(parts[:i]))
            except ImportError: continue
            for p in parts[i:]:
                obj = inspect.getattr_static(obj, p, None) if inspect.isclass(obj) else getattr(obj, p, None)
            return obj
        return None

    @staticmethod
    def render(obj, short:str) -> str:
        "nbdev's show_doc Markdown for a name no chapter called show_doc on (methods, properties)."
        if isinstance(obj, property):
            doc = inspect.getdoc(obj.fget) or ''
            return f'```python\n{short.split(".")[-1]}  # property\n```\n\n' + (f'*{doc.splitlines()[0]}*' if doc else '')
        if isinstance(obj, (staticmethod, classmethod)): obj = obj.__func__
        try: return BasicMarkdownRenderer(obj, name=short)._repr_markdown_()
        except Exception: return ''

    # a notebook -> Markdown -------------------------------------------
    def output(self, o, fig_dir:Path, page:str) -> str:
        t = o.get('output_type')
        if t == 'stream':
            text = ANSI.sub('', ''.join(o.get('text', ''))).rstrip('\n')
            return f'<pre class="swl-output"><code>{html.escape(text)}</code></pre>' if text.strip() else ''
        if t == 'error':
            return '<pre class="swl-output swl-error"><code>' + html.escape(ANSI.sub('', '\n'.join(o.get('traceback', [])))) + '</code></pre>'
        d = o.get('data', {})
        j = lambda k: ''.join(d[k]) if isinstance(d[k], list) else d[k]
        if 'text/markdown' in d: return commonmark_blocks(j('text/markdown'))
        for mime, ext in (('image/png', 'png'), ('image/jpeg', 'jpg'), ('image/svg+xml', 'svg')):
            if mime in d:
                import base64
                self.figs += 1; f = fig_dir / f'{Path(page).stem}_{self.figs}.{ext}'
                f.write_bytes(j(mime).encode() if ext == 'svg' else base64.b64decode(j(mime)))
                return f'<figure class="swl-figure" markdown>\n![figure](figures/{f.name})\n</figure>'
        if 'text/html' in d: return f'<div class="swl-output-html">\n{j("text/html")}\n</div>'
        if 'text/plain' in d:
            return f'<pre class="swl-output"><code>{html.escape(ANSI.sub("", j("text/plain")))}</code></pre>'
        return ''

    def page_md(self, nb, stem:str, page:str, pages:dict, code:dict, fig_dir:Path) -> tuple[str, set]:
        fm, parts, anchors = front_matter(nb), [], set()
        if fm.get('title'): parts.append(f'# {fm["title"]}')
        if fm.get('description'): parts.append(f'{fm["description"]}\n{{ .swl-lead }}')
        mine = {q for q, (link, _) in self.syms.items() if link.split('#')[0] == page}
        for c in nb['cells']:
            s = src(c)
            if c['cell_type'] == 'markdown':
                if s.startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
                parts.append(commonmark_blocks(self.fix_links(s, pages))); continue
            if c['cell_type'] != 'code': continue
            d = directives(s)
            if 'show_doc(' in s and d.get('output') == 'asis':
                md = self.fix_links(''.join(self.output(o, fig_dir, page) for o in c.get('outputs', [])), pages)
                target = re.search(r'show_doc\(([\w.]+)', s)[1]
                qual = next((q for q in mine if q.endswith('.' + target)), None)
                if not qual: parts.append(self.fix_links(md, pages)); continue
                parts.append(self.fix_links(self.entry(qual, md, 3, code), pages)); anchors.add(qual)
                for m in sorted(q for q in mine if q.startswith(qual + '.') and q not in anchors):  # its methods, properties
                    anchors.add(m); last = m.rsplit('.', 1)[1]
                    if last.startswith('_'): parts.append(f'<a id="{self.syms[m][0].split("#")[1]}"></a>'); continue
                    parts.append(self.fix_links(self.entry(m, None, 4, code), pages))
                continue
            body = strip_directives(s)
            if d.get('echo') != 'false' and body.strip(): parts.append(f'```python\n{body}\n```')
            outs = [self.output(o, fig_dir, page) for o in c.get('outputs', [])]
            parts += [self.fix_links(x, pages) for x in outs if x.strip()]
        rest = sorted(mine - anchors)
        if rest:  # exported names no chapter cell shows: anchors for the private ones, entries for the others
            pub = [q for q in rest if not any(p.startswith('_') for p in self.short[q].split('.'))]
            parts.append(''.join(f'<a id="{self.syms[q][0].split("#")[1]}"></a>' for q in rest if q not in pub))
            if pub: parts.append('## More of the API\n\nExported by this chapter and used by the others, without an entry above.')
            for q in pub: parts.append(self.fix_links(self.entry(q, None, 3, code), pages))
        return '\n\n'.join(p for p in parts if p.strip()) + '\n', anchors

    def api_md(self, chapters) -> str:
        "Every exported name, grouped by chapter, linked to its entry."
        out = ['# API reference', '', 'Every name the library exports, chapter by chapter: its signature and the first line of its '
               'docstring. The name opens its entry in the chapter, with its code.', '']
        for title, page, quals in chapters:
            if not quals: continue
            mods = sorted({self.syms[q][1] for q in quals})
            out += [f'## [{title}]({page})', '', ' · '.join(f'`{m}`' for m in mods), '',
                    '| name | signature and summary |', '|---|---|']
            for q in quals:
                short = self.short[q]
                if any(p.startswith('_') for p in short.split('.')): continue
                obj = self.resolve(q)
                f = obj.fget if isinstance(obj, property) else getattr(obj, '__func__', obj)
                try: sig = str(inspect.signature(f)) if callable(f) else ''
                except (TypeError, ValueError): sig = ''
                if isinstance(obj, property): sig = ' (property)'
                doc = (inspect.getdoc(f) or '').split('\n')[0] if (callable(f) or isinstance(obj, property)) else ''
                anchor = self.syms[q][0].split('#')[1]
                esc = lambda t: html.escape(t).replace('|', '&#124;').replace('*', '&#42;').replace('_', '&#95;')
                md = lambda t: ''.join(p if p.startswith('`') else esc(p) for p in re.split(r'(`[^`]*`)', t))  # tables skip | in code
                out.append(f'| [`{short}`]({page}#{anchor}) | <code>{esc(short.split(".")[-1] + sig)}</code><br>{md(doc)} |')
            out.append('')
        return '\n'.join(out)

# ---------------------------------------------------------------- README, MathJax, the build
def write_readme(nb, dest:Path):
    "README.md from the front page: markdown cells as they are, code cells fenced (outputs left to the docs)."
    parts = []
    for c in nb['cells']:
        s = src(c)
        if c['cell_type'] == 'markdown': parts.append(s)
        elif c['cell_type'] == 'code' and not s.startswith('#|'): parts.append(f'```python\n{s}\n```')
    dest.write_text('\n\n'.join(parts) + '\n')

def local_mathjax(dest:Path):
    """MathJax 3 (one file, SVG output) from the `django-static-mathjax` package, a plain copy of MathJax's release.
    SVG output needs no web fonts: browsers refuse fonts from `file://` (the MathJax 2 of `jupyter_server_mathjax`
    rendered no equation there)."""
    from importlib.metadata import files
    js = next(f for f in files('django-static-mathjax') if str(f).endswith('es5/tex-svg-full.js')).locate()
    (dest / 'javascripts').mkdir(exist_ok=True)
    shutil.copy(js, dest / 'javascripts' / 'tex-svg-full.js')
    (dest / 'javascripts' / 'mathjax-config.js').write_text(
        'window.MathJax = {tex: {inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]],\n'
        '                        processEscapes: true, processEnvironments: true},\n'
        '  options: {ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex", enableMenu: false},\n'
        '  svg: {fontCache: "global"}};\n')

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--solutions', action='store_true', help="show the assignments' solutions in the code (an instructor's copy)")
    ap.add_argument('--md-only', action='store_true', help='write the Markdown pages, do not run MkDocs')
    args = ap.parse_args(argv)
    cfg = get_config()
    nbs, out = cfg.nbs_path, cfg.doc_path
    refresh_quarto_yml(); _build_modidx()
    importlib.invalidate_caches()
    proc = proc_nbs(nbs, n_workers=0)  # nbdev's processing: the notebooks as nbdev_docs hands them to Quarto
    site = Site(cfg, args.solutions)
    srcs = sorted((p for p in proc.glob('*.ipynb') if not p.name.startswith(('_', '.'))),
                  key=lambda p: (p.stem != 'index', p.stem))
    books = {p.stem: json.loads(p.read_text(encoding='utf-8')) for p in srcs}
    html_of = {stem: front_matter(nb).get('output-file') or re.sub(r'^\d+_', '', stem) + '.html' for stem, nb in books.items()}
    pages = {}  # every name a link may use -> the page's .md
    for stem, h in html_of.items():
        md = h[:-5] + '.md'
        pages.update({h: md, stem + '.ipynb': md, md: md})
    work = ROOT / 'build' / 'docs_md'
    shutil.rmtree(work, ignore_errors=True); (work / 'figures').mkdir(parents=True)
    nav, groups, chapters = [], {}, []
    for stem, nb in books.items():
        code = exported_code(nbs / f'{stem}.ipynb', args.solutions)
        md, _ = site.page_md(nb, stem, html_of[stem], pages, code, work / 'figures')
        page = html_of[stem][:-5] + '.md'
        (work / page).write_text(md, encoding='utf-8')
        title = front_matter(nb).get('title', stem)
        n, label = chapter_number(stem)
        if n is None: nav.append({'Start here' if stem == 'index' else title: page})
        else: groups.setdefault(SECTIONS.get(n // 10, f'Chapters {n // 10}0-{n // 10}9'), []).append({f'{label} {title}': page})
        quals = [q for q, (link, _) in site.syms.items() if link.split('#')[0] == html_of[stem]]
        chapters.append((f'{label} {title}' if n is not None else title, page, quals))
    (work / 'api.md').write_text(site.api_md(chapters), encoding='utf-8')
    nav += [{k: v} for k, v in groups.items()] + [{'API reference': 'api.md'}]
    shutil.copytree(ROOT / 'tools' / 'docs_assets', work, dirs_exist_ok=True)
    local_mathjax(work)
    for p in (nbs / 'experiments').glob('*.csv') if (nbs / 'experiments').exists() else []:
        (work / 'experiments').mkdir(exist_ok=True); shutil.copy(p, work / 'experiments' / p.name)
    mk = yaml.safe_load(BASE_CFG.read_text())
    mk.update(site_name=cfg.get('title', cfg.lib_name), site_description=cfg.get('description', ''),
              docs_dir=str(work), site_dir=str(ROOT / 'build' / 'site'), nav=nav)
    if site.repo: mk.update(repo_url=site.repo, edit_uri='')
    (ROOT / 'build' / 'mkdocs.yml').write_text(yaml.safe_dump(mk, sort_keys=False, allow_unicode=True))
    write_readme(json.loads((nbs / 'index.ipynb').read_text(encoding='utf-8')), cfg.config_path / 'README.md')
    if args.md_only: print(f'docs: Markdown pages in {work}/'); return
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    build(load_config(str(ROOT / 'build' / 'mkdocs.yml')))
    out.mkdir(exist_ok=True)  # docs/ gets the site; docs/README.md (committed) stays
    for f in out.iterdir():
        if f.name != 'README.md': shutil.rmtree(f) if f.is_dir() else f.unlink()
    shutil.copytree(ROOT / 'build' / 'site', out, dirs_exist_ok=True)
    (out / '404.html').unlink(missing_ok=True)  # its links are absolute, right only at a known site_url; no use from file://
    n_html = len(list(out.glob('*.html')))
    print(f'docs: {n_html} pages in {out}/ (open {out}/index.html, or serve the folder); README.md written from nbs/index.ipynb')

if __name__ == '__main__': main()
