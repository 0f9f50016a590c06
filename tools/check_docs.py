"""Check the built docs site (`make docs-check`, after `make docs`): links, network loads, and a look in a browser.

1. Links: every internal link of every page (href and src, anchors included) resolves to a file of the site
   and, with an anchor, to an element with that id; no link goes to a host that does not exist (settings.ini's
   `doc_host` and `git_url`, placeholders until the project has a public home; `docs_repo_url` once set is fine).
2. Network loads: no page, stylesheet or script loads anything over http(s): scripts, styles, fonts, images,
   frames, `@import`/`url(...)` in CSS, `fetch`/`importScripts` of an absolute URL in JavaScript.
3. Browser (skipped when no Chromium is installed): headless Chromium opens pages from `file://` with every
   host unresolvable and a network log on; no http(s) request may appear in the log; the pages are saved as
   screenshots (front page, a method chapter, the API page, search results), equations must be typeset and
   the search (`?q=`, Material's query parameter) must list results.

Prints a summary and exits non-zero on any failure. `--out DIR` is where screenshots go (default build/docs-check)."""
import argparse, json, os, re, shutil, subprocess, sys, tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, unquote

ROOT = Path(__file__).resolve().parent.parent
LOADS = {('script', 'src'), ('img', 'src'), ('iframe', 'src'), ('source', 'src'), ('source', 'srcset'), ('img', 'srcset'),
         ('video', 'src'), ('audio', 'src'), ('embed', 'src'), ('object', 'data'), ('input', 'src'), ('track', 'src')}
JS_LOAD = re.compile(r'''(?:fetch|importScripts|import)\s*\(\s*["'](https?://[^"']+)["']|'''
                     r'''\.(?:src|href)\s*=\s*["'](https?://[^"']+)["']|url\(\s*["']?(https?://[^"')]+)''')
CSS_LOAD = re.compile(r'''@import\s+(?:url\()?\s*["']?(https?://[^"')\s]+)|url\(\s*["']?(https?://[^"')]+)''')

class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.loads, self.styles = set(), [], [], []
        self._in_style = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ('id', 'name'):
            if a.get(k) and (k == 'id' or tag == 'a'): self.ids.add(a[k])
        if tag == 'a' and a.get('href'): self.links.append(('a', a['href']))
        if tag == 'link' and a.get('href'):
            rel = (a.get('rel') or '').lower()
            if any(r in rel for r in ('stylesheet', 'icon', 'preload', 'modulepreload', 'manifest', 'prefetch')):
                self.loads.append(('link', a['href']))
            else: self.links.append(('link', a['href']))
        for t, k in LOADS:
            if tag == t and a.get(k): self.loads.append((tag, a[k].split()[0] if k == 'srcset' else a[k]))
        if a.get('style'): self.styles.append(a['style'])
        self._in_style = tag == 'style'
    def handle_endtag(self, tag): self._in_style = False if tag == 'style' else self._in_style
    def handle_data(self, data):
        if self._in_style: self.styles.append(data)

def dead_hosts() -> list:
    "URL prefixes that lead nowhere: doc_host(+baseurl) and git_url, unless the same URL is docs_repo_url."
    from nbdev.config import get_config
    cfg = get_config()
    repo = cfg.get('docs_repo_url', '').strip().rstrip('/')
    out = [cfg.get('doc_host', '').rstrip('/'), cfg.get('git_url', '').rstrip('/')]
    return [u for u in out if u and u != repo]

def check_static(site:Path, dead:list) -> dict:
    pages, problems = {}, {'broken': [], 'dead_host': [], 'network': []}
    n_links = n_internal = 0
    for f in site.rglob('*.html'):
        p = Page(); p.feed(f.read_text(encoding='utf-8', errors='replace')); pages[f.resolve()] = p
    for f, p in pages.items():
        rel = f.relative_to(site.resolve())
        for tag, url in p.loads:
            if url.startswith(('http://', 'https://', '//')): problems['network'].append(f'{rel}: <{tag}> {url}')
        for css in p.styles:
            for m in CSS_LOAD.finditer(css): problems['network'].append(f'{rel}: style loads {m[1] or m[2]}')
        for tag, url in p.links + p.loads:
            n_links += 1
            if any(url.startswith(d) for d in dead): problems['dead_host'].append(f'{rel}: {url}'); continue
            parts = urlsplit(url)
            if parts.scheme or url.startswith('//'): continue  # external: a real host (checked above for loads)
            n_internal += 1
            target = f if not parts.path else (f.parent / unquote(parts.path)).resolve()
            if not target.exists(): problems['broken'].append(f'{rel}: {url} (no file)'); continue
            if target.is_dir(): target = target / 'index.html'
            if parts.fragment and target.suffix == '.html':
                tp = pages.get(target)
                if tp is None or unquote(parts.fragment) not in tp.ids: problems['broken'].append(f'{rel}: {url} (no anchor)')
    for f in list(site.rglob('*.css')) + list(site.rglob('*.js')):
        text = f.read_text(encoding='utf-8', errors='replace')
        for m in (CSS_LOAD if f.suffix == '.css' else JS_LOAD).finditer(text):
            problems['network'].append(f'{f.relative_to(site)}: loads {next(g for g in m.groups() if g)}')
    problems['counts'] = dict(pages=len(pages), links=n_links, internal=n_internal)
    return problems

# ---------------------------------------------------------------- the browser
def chromium() -> str|None:
    for name in ('chromium', 'chromium-browser', 'google-chrome', 'chrome'):
        if p := shutil.which(name): return p
    return None

def browse(exe:str, url:str, out:Path, profile:Path, netlog:Path|None=None, size='1400,1000', dom=False) -> str:
    "Open `url` headless (no network: every host unresolvable); screenshot to `out`, or return the DOM after scripts ran."
    cmd = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--no-first-run', '--no-default-browser-check', '--disable-extensions', f'--user-data-dir={profile}',
           '--host-resolver-rules=MAP * ~NOTFOUND', f'--window-size={size}', '--hide-scrollbars', '--virtual-time-budget=15000']
    if netlog: cmd.append(f'--log-net-log={netlog}')
    cmd += ['--dump-dom'] if dom else [f'--screenshot={out}']
    r = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=120)
    return r.stdout

def net_requests(netlog:Path) -> list:
    "http(s) URLs that the pages requested, from the browser's NetLog: the URL requests whose network isolation key is"
    " the file:// site (the browser's own traffic, such as update checks, has another key and is not the site's)."
    if not netlog.exists(): return []
    try: d = json.loads(netlog.read_text(errors='replace'))
    except json.JSONDecodeError:  # a log cut short: close it
        d = json.loads(netlog.read_text(errors='replace').rstrip().rstrip(',') + ']}')
    start = d['constants']['logEventTypes']['URL_REQUEST_START_JOB']
    return sorted({e['params']['url'] for e in d['events'] if e['type'] == start and
                   str(e['params'].get('url', '')).startswith(('http:', 'https:')) and
                   str(e['params'].get('network_isolation_key', '')).startswith('file://')})

def check_browser(site:Path, out:Path) -> dict:
    exe = chromium()
    if not exe: return {'skipped': 'no chromium on PATH (apt-get install chromium)'}
    out.mkdir(parents=True, exist_ok=True)
    base = site.resolve().as_uri()
    method = next((p for p in ('swav.html', 'npid.html') if (site / p).exists()), 'index.html')
    shots = {'front.png': 'index.html', 'method.png': method, 'api.png': 'api.html',
             'search.png': 'index.html?q=sinkhorn'}
    res = {'screenshots': [], 'requests': [], 'problems': []}
    with tempfile.TemporaryDirectory() as tmp:
        for name, page in shots.items():
            log = Path(tmp) / f'{name}.netlog.json'
            browse(exe, f'{base}/{page}', out / name, Path(tmp) / 'profile', netlog=log)
            if not (out / name).exists() or (out / name).stat().st_size < 5000: res['problems'].append(f'no screenshot of {page}')
            else: res['screenshots'].append(str(out / name))
            res['requests'] += net_requests(log)
        dom = browse(exe, f'{base}/{method}', None, Path(tmp) / 'profile', dom=True)
        n_math, n_err = dom.count('<mjx-container'), dom.count('<g data-mml-node="merror"')
        if not n_math or n_err: res['problems'].append(f'{method}: {n_math} equations typeset, {n_err} errors')
        dom = browse(exe, f'{base}/index.html?q=sinkhorn', None, Path(tmp) / 'profile', dom=True)
        n_hits = dom.count('md-search-result__item')
        if not n_hits: res['problems'].append('search for "sinkhorn" listed no result')
        res.update(equations=n_math, search_results=n_hits)
    if res['requests']: res['problems'].append(f'{len(res["requests"])} network requests: {res["requests"][:5]}')
    return res

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--site', default=str(ROOT / 'docs')); ap.add_argument('--out', default=str(ROOT / 'build' / 'docs-check'))
    ap.add_argument('--no-browser', action='store_true')
    a = ap.parse_args(argv)
    site = Path(a.site)
    if not (site / 'index.html').exists(): print(f'FAIL: no site in {site}/: run `make docs` first'); return 1
    s = check_static(site, dead_hosts())
    c = s['counts']
    print(f"links: {c['pages']} pages, {c['links']} links ({c['internal']} internal): {len(s['broken'])} broken, "
          f"{len(s['dead_host'])} to hosts that do not exist; network loads: {len(s['network'])}")
    for k in ('broken', 'dead_host', 'network'):
        for x in s[k][:20]: print(f'  {k}: {x}')
    bad = bool(s['broken'] or s['dead_host'] or s['network'])
    if not a.no_browser:
        b = check_browser(site, Path(a.out))
        if 'skipped' in b: print(f"browser: skipped ({b['skipped']})")
        else:
            print(f"browser: {len(b['screenshots'])} screenshots in {a.out}/ ({', '.join(Path(x).name for x in b['screenshots'])}); "
                  f"{b['equations']} equations typeset on the method page; {b['search_results']} search results for 'sinkhorn'; "
                  f"{len(b['requests'])} network requests")
            for x in b['problems']: print(f'  browser: {x}')
            bad |= bool(b['problems'])
    print('docs-check:', 'FAIL' if bad else 'ok')
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
