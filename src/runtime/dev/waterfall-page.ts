/**
 * The waterfall page's shell: inline style, the search script, and a Content-Security-Policy that forbids every
 * network request and any script but this one (pinned by its hash). The spans are escaped before they get here
 * (`html`); the policy is a second line of defence, and the reason the page can be opened from anywhere.
 */
import { createHash } from 'node:crypto';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in quoted attribute values. */
export function html(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Shared by the summary rows and the ruler so the bars line up with the ticks. */
const COLUMNS = 'minmax(14rem, 32%) 1fr 5.5rem';

const STYLE = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bar: #4c8bf5;
  --err: #cf222e; --err-bg: #ffebe9; --hit: #fff8c5; --hover: rgba(127, 127, 127, .1); }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #8d96a0; --line: #30363d;
  --err: #f85149; --err-bg: #3c1618; --hit: #3b2e00; } }
[hidden] { display: none !important; }
body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
code, .tags, .logs { font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
body > header { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center;
  padding: .6rem 1rem; background: var(--bg); border-bottom: 1px solid var(--line); }
h1 { font-size: 15px; margin: 0; font-weight: 600; }
#search { flex: 0 1 26rem; padding: .35rem .6rem; font: inherit; color: inherit; background: transparent;
  border: 1px solid var(--line); border-radius: 6px; }
#count, .meta, .dur, .ruler, .none, .at, .k { color: var(--muted); }
main { padding: .25rem 1rem 2rem; }
.empty { padding: 2rem 0; color: var(--muted); }
.trace { margin: 1rem 0; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.trace > header { padding: .5rem .75rem .35rem; }
.trace h2 { font-size: 14px; margin: 0; overflow-wrap: anywhere; }
.meta { margin: .1rem 0 0; font-size: 12px; }
.errors { color: var(--err); font-weight: 600; }
.ruler { display: grid; grid-template-columns: ${COLUMNS}; padding: 0 .75rem; font-size: 11px; border-bottom: 1px solid var(--line); }
.ticks { position: relative; height: 1.3rem; margin: 0 .5rem; }
.ticks span { position: absolute; top: .15rem; transform: translateX(-50%); white-space: nowrap; }
.ticks span:first-child { transform: none; }
.ticks span:last-child { transform: translateX(-100%); }
ol.spans { list-style: none; margin: 0; padding: .25rem 0; }
.span summary { display: grid; grid-template-columns: ${COLUMNS}; align-items: center; padding: 1px .75rem; cursor: pointer; list-style: none; }
.span summary::-webkit-details-marker { display: none; }
.span summary:hover, .span summary:focus-visible { background: var(--hover); outline: none; }
.label { padding-left: calc(var(--depth) * 14px); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.label::before { content: "▸"; display: inline-block; width: 1.1em; color: var(--muted); }
details[open] > summary .label::before { content: "▾"; }
.track { position: relative; height: 16px; margin: 0 .5rem; }
.bar { position: absolute; top: 3px; bottom: 3px; min-width: 2px; border-radius: 2px; background: var(--bar); }
.dur { text-align: right; font-variant-numeric: tabular-nums; }
.span.error > details > summary { background: var(--err-bg); }
.span.error .bar { background: var(--err); }
.span.error .name, .mark { color: var(--err); font-weight: 600; }
.mark { margin-right: .3rem; }
.span.orphan .name { font-style: italic; }
.span.match > details > summary { background: var(--hit); }
.span.context { opacity: .5; }
.detail { margin: .2rem .75rem .6rem calc(.75rem + 1.1em + var(--depth) * 14px); padding: .4rem .6rem;
  border-left: 2px solid var(--line); }
.ids { margin: 0 0 .35rem; color: var(--muted); }
.tags { border-collapse: collapse; }
.tags th { padding: 1px 1rem 1px 0; text-align: left; vertical-align: top; font-weight: normal; color: var(--muted); white-space: nowrap; }
.tags td, .logs .v { white-space: pre-wrap; overflow-wrap: anywhere; }
.logs { margin: .4rem 0 0; padding-left: 1.2rem; }
.logs li { margin-bottom: .3rem; }
.at { display: block; }
`;

/** Filters rows by name or tag value; keeps the ancestors of a match visible (dimmed) so it shows in context. */
const SCRIPT = `
(function () {
  var input = document.getElementById('search');
  var count = document.getElementById('count');
  var summary = count.textContent;
  var sections = Array.prototype.slice.call(document.querySelectorAll('section.trace'));
  function apply() {
    var q = input.value.trim().toLowerCase();
    var total = 0, hits = 0;
    sections.forEach(function (section) {
      var rows = section.querySelectorAll('li.span');
      var state = [];
      for (var i = 0; i < rows.length; i++) {
        if (q !== '' && rows[i].getAttribute('data-search').indexOf(q) === -1) continue;
        state[i] = 'hit';
        for (var p = Number(rows[i].getAttribute('data-parent')); p >= 0 && !state[p]; p = Number(rows[p].getAttribute('data-parent'))) {
          state[p] = 'context';
        }
      }
      var any = false;
      for (var j = 0; j < rows.length; j++) {
        total++;
        if (state[j] === 'hit') { hits++; any = true; }
        rows[j].hidden = !state[j];
        rows[j].classList.toggle('match', q !== '' && state[j] === 'hit');
        rows[j].classList.toggle('context', state[j] === 'context');
      }
      section.hidden = !any;
    });
    count.textContent = q === '' ? summary : hits + ' of ' + total + ' spans match';
  }
  input.addEventListener('input', apply);
  document.addEventListener('keydown', function (event) {
    if (event.key === '/' && document.activeElement !== input) { event.preventDefault(); input.focus(); }
    else if (event.key === 'Escape' && document.activeElement === input) { input.value = ''; apply(); }
  });
  if (input.value) apply();
})();
`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');
const POLICY = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'`;

export interface PageParts {
  /** Plain text. */
  readonly title: string;
  /** Plain text. */
  readonly summary: string;
  /** HTML, already escaped. */
  readonly body: string;
}

export function renderPage(parts: PageParts): string {
  const title = html(parts.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ts-traced</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${title}</h1><input id="search" type="search" placeholder="Filter by span name or tag value  ( / )" aria-label="Filter spans by name or tag value" autocomplete="off"><span id="count">${html(parts.summary)}</span></header>
<main>
${parts.body}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
