// The dashboard's script. Plain ES module, no build step: it reads the JSON API with the key the
// user types (kept in this tab's session storage) and draws with uPlot (loaded before it, global).
/* global uPlot */

const KEY_STORAGE = 'prescale.apiKey';
const REFRESH_MS = 10_000;

const $ = (id) => document.getElementById(id);

/** An element with attributes and children; text always goes in as text, never as markup. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'class') node.className = value;
    else if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children.flat())
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  return node;
}

const badge = (text) => el('span', { class: `badge ${text}` }, text);
const fixed = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(digits));
const percent = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);
const time = (iso) => new Date(iso).toLocaleString();

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${sessionStorage.getItem(KEY_STORAGE) ?? ''}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : undefined;
  if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? 'error', data?.error?.message ?? res.statusText);
  return data;
}

/** Every item of a paged list, following each full page's `next` cursor. */
async function allPages(path) {
  const items = [];
  for (let cursor; ;) {
    const page = await api(
      'GET',
      `${path}${path.includes('?') ? '&' : '?'}limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.next;
    if (!cursor) return items;
  }
}

// ── key ──

function askForKey(message = '') {
  $('main').hidden = true;
  $('forget').hidden = true;
  $('who').textContent = '';
  $('key-form').hidden = false;
  $('key-error').textContent = message;
  $('key').focus();
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, $('key').value.trim());
  $('key').value = '';
  void start();
});

$('forget').addEventListener('click', () => {
  sessionStorage.removeItem(KEY_STORAGE);
  stopRefresh();
  closeSet();
  location.hash = '';
  askForKey();
});

/** A rejected key sends the user back to the key form; anything else is shown where it happened. */
function failed(err, where) {
  if (err instanceof ApiError && err.status === 401) {
    sessionStorage.removeItem(KEY_STORAGE);
    askForKey('The API rejected this key (unknown, revoked or mistyped).');
    return;
  }
  where.textContent = err instanceof Error ? err.message : String(err);
}

// ── resource sets ──

function selectedId() {
  try {
    return decodeURIComponent(location.hash.match(/^#\/sets\/(.+)$/)?.[1] ?? '');
  } catch {
    return ''; // a hand-edited hash that is not valid percent-encoding
  }
}

/** Whether the key may list sets (a scoped one may not): then the page opens on the overview. */
let canList = false;

async function start() {
  if (!sessionStorage.getItem(KEY_STORAGE)) {
    askForKey();
    return;
  }
  $('key-form').hidden = true;
  $('main').hidden = false;
  $('forget').hidden = false;
  try {
    const items = await allPages('/v1/resource-sets');
    $('sets').replaceChildren(
      ...items.map((s) =>
        el('li', {}, el('a', { href: `#/sets/${encodeURIComponent(s.id)}`, 'data-set': s.id }, s.id)),
      ),
    );
    if (items.length === 0) $('sets').replaceChildren(el('li', { class: 'hint' }, 'none yet'));
    $('open-form').hidden = true;
    canList = true;
  } catch (err) {
    // A scoped key may read its sets but not list them.
    canList = false;
    if (err instanceof ApiError && err.status === 403) {
      $('sets').replaceChildren();
      $('open-form').hidden = false;
    } else {
      failed(err, $('key-error'));
      return;
    }
  }
  await showSelected();
}

$('open-form').addEventListener('submit', (event) => {
  event.preventDefault();
  location.hash = `#/sets/${encodeURIComponent($('open-id').value.trim())}`;
});

window.addEventListener('hashchange', () => {
  void showSelected();
});
$('hours').addEventListener('change', () => {
  void showSelected();
});

// ── every set at a glance ──

/** The conditions that are not True, with their reasons; they are what needs a look. */
function conditionSummary(conditions) {
  const off = conditions.filter((c) => c.status !== 'True');
  return off.length
    ? off.map((c) =>
        el('span', { class: 'condition', title: c.message }, `${c.type} `, badge(c.status), ` ${c.reason} `),
      )
    : 'all True';
}

async function refreshOverview() {
  try {
    const { items } = await api('GET', '/v1/overview');
    if (selectedId()) return;
    $('overview-error').textContent = '';
    $('overview-table').tBodies[0].replaceChildren(
      ...(items.length
        ? items.map((s) =>
            el(
              'tr',
              { 'data-set': s.id },
              el('td', {}, el('a', { href: `#/sets/${encodeURIComponent(s.id)}` }, s.id)),
              el('td', {}, badge(s.state ?? 'unreachable')),
              el('td', { class: 'num' }, `${s.current ?? '?'} / ${s.desired ?? '?'}`),
              el(
                'td',
                {},
                s.lastDecision
                  ? [time(s.lastDecision.decidedAt), ' ', badge(s.lastDecision.rule), ` → ${s.lastDecision.desired}`]
                  : 'none yet',
              ),
              el('td', {}, conditionSummary(s.conditions)),
            ),
          )
        : [el('tr', {}, el('td', { colspan: 5, class: 'hint' }, 'no resource set yet'))]),
    );
  } catch (err) {
    failed(err, $('overview-error'));
  }
  if (!selectedId() && sessionStorage.getItem(KEY_STORAGE))
    refreshTimer = setTimeout(() => {
      void refreshOverview();
    }, REFRESH_MS);
}

// ── one resource set ──

let refreshTimer;
let chart;
let shownId = '';

function stopRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = undefined;
}

/** Hides the set and clears what it showed, so that nothing of it is left beside another set's error. */
function closeSet() {
  chart?.destroy();
  chart = undefined;
  shownId = '';
  $('set').hidden = true;
  for (const id of ['set-id', 'summary', 'set-error']) $(id).textContent = '';
  for (const id of ['pause', 'resume', 'rollback', 'temporal-link']) $(id).hidden = true;
  for (const id of ['instances', 'decisions']) $(id).tBodies[0].replaceChildren();
  $('rollouts').replaceChildren();
}

async function showSelected() {
  stopRefresh();
  const id = selectedId();
  for (const a of document.querySelectorAll('#sets a')) a.classList.toggle('current', a.dataset.set === id);
  if (id !== shownId) closeSet();
  $('overview').hidden = Boolean(id) || !canList;
  if (!id) {
    if (canList) await refreshOverview();
    return;
  }
  shownId = id;
  await refresh(id);
}

async function refresh(id) {
  const base = `/v1/resource-sets/${encodeURIComponent(id)}`;
  try {
    const [set, access, series, instances, decisions, rollouts] = await Promise.all([
      api('GET', base),
      api('GET', `${base}/access`),
      api('GET', `${base}/series?hours=${$('hours').value}`),
      api('GET', `${base}/instances`),
      api('GET', `${base}/decisions?limit=12`),
      api('GET', `${base}/rollouts?limit=5`),
    ]);
    if (id !== shownId) return;
    $('set-error').textContent = '';
    renderSet(set, access);
    renderChart(series);
    renderInstances(instances.items, set.status.config);
    renderDecisions(decisions.items);
    renderRollouts(rollouts.items);
    $('set').hidden = false;
  } catch (err) {
    if (id !== shownId) return;
    $('set').hidden = false;
    failed(err, $('set-error'));
  }
  if (id === shownId && sessionStorage.getItem(KEY_STORAGE))
    refreshTimer = setTimeout(() => {
      void refresh(id);
    }, REFRESH_MS);
}

function renderSet(set, access) {
  const s = set.status;
  $('set-id').textContent = set.id;
  $('set-state').replaceWith(Object.assign(badge(s.state), { id: 'set-state' }));
  const link = $('temporal-link');
  link.hidden = !set.temporalUiUrl;
  if (set.temporalUiUrl) link.href = set.temporalUiUrl;
  const { principal, actions } = access;
  $('who').textContent = `${principal.role ?? 'no role'} ${principal.kind} ${principal.id}`;
  $('pause').hidden = !actions.pause || s.state !== 'running';
  $('resume').hidden = !actions.resume || s.state !== 'paused';
  $('rollback').hidden = !actions.rollback || (!s.activeRollout && !s.config.previous);
  const spec = s.spec;
  $('summary').textContent =
    `${spec.provider} · ${spec.policy.mode} · instances ${s.currentInstances ?? '?'} now, ${s.desiredInstances ?? '?'} desired` +
    ` (bounds ${spec.minInstances}–${spec.maxInstances}) · running ${describeRelease(s.config.stable)}` +
    (s.override ? ` · pinned to ${s.override.count} until ${time(s.override.expiresAt)}` : '');
  renderConditions(set.conditions);
}

/** One line per condition: its type with a badge for its status, the reason, since when, and why. */
function renderConditions(conditions) {
  $('conditions').replaceChildren(
    ...conditions.map((c) =>
      el(
        'li',
        { class: 'condition', 'data-type': c.type, 'data-status': c.status },
        `${c.type} `,
        badge(c.status),
        ` ${c.reason} since ${time(c.since)}`,
        el('small', {}, ` — ${c.message}`),
      ),
    ),
  );
}

/** Each button posts its action, then the view refreshes to show the loop's answer. */
for (const action of ['pause', 'resume', 'rollback']) {
  $(action).addEventListener('click', async () => {
    const id = shownId;
    $(action).disabled = true;
    try {
      await api(
        'POST',
        `/v1/resource-sets/${encodeURIComponent(id)}/${action}`,
        action === 'rollback' ? {} : undefined,
      );
      stopRefresh();
      await refresh(id);
    } catch (err) {
      failed(err, $('set-error'));
    } finally {
      $(action).disabled = false;
    }
  });
}

const describeRelease = (r) => (r.template === null ? `boot (${r.image})` : `${r.template} v${r.version}`);

// ── chart ──

const SERIES = [
  { key: 'demand', label: 'demand', stroke: '#1f77b4', width: 2 },
  { key: 'p50', label: 'forecast p50', stroke: '#e8710a', width: 1.5, dash: [6, 4] },
  { key: 'p90', label: 'forecast p90', stroke: 'rgba(232,113,10,0.55)', width: 1 },
  { key: 'p99', label: 'forecast p99', stroke: 'rgba(232,113,10,0.3)', width: 1 },
  { key: 'capacity', label: 'capacity (ready)', stroke: '#2ca02c', width: 2, stepped: true },
  { key: 'plannedCapacity', label: 'capacity (desired)', stroke: '#2ca02c', width: 1, dash: [3, 3], stepped: true },
];

function chartData(series) {
  const column = (key) => series[key] ?? series.forecast[key];
  // uPlot's time axis counts seconds.
  return [series.t.map((t) => Date.parse(t) / 1000), ...SERIES.map((s) => column(s.key))];
}

function renderChart(series) {
  const data = chartData(series);
  const container = $('chart');
  container.dataset.steps = String(series.t.length);
  container.dataset.demandPoints = String(series.demand.filter((v) => v !== null).length);
  container.dataset.model = series.model ?? '';
  if (chart) {
    chart.setData(data);
    return;
  }
  const stepped = uPlot.paths.stepped({ align: 1 });
  chart = new uPlot(
    {
      width: Math.max(400, container.clientWidth || 900),
      height: 320,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      series: [
        {},
        ...SERIES.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.width,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.stepped ? { paths: stepped } : {}),
          value: (_u, v) => fixed(v),
        })),
      ],
      // The forecast's intervals: p50–p90 darker, p90–p99 lighter (indexes into `series` above, x at 0).
      bands: [
        { series: [3, 2], fill: 'rgba(232,113,10,0.18)' },
        { series: [4, 3], fill: 'rgba(232,113,10,0.08)' },
      ],
      axes: [{}, { label: 'requests/s' }],
    },
    data,
    container,
  );
}

window.addEventListener('resize', () => chart?.setSize({ width: Math.max(400, $('chart').clientWidth), height: 320 }));

// ── tables ──

function renderInstances(items, config) {
  const releases = [config.stable, config.desired, config.previous].filter(Boolean);
  const versionOf = (revision) => {
    const release = releases.find((r) => r.revision === revision);
    return release ? describeRelease(release) : revision === null ? 'not reported' : `revision ${revision}`;
  };
  const now = Date.now();
  $('instances').tBodies[0].replaceChildren(
    ...(items.length
      ? items.map((i) =>
          el(
            'tr',
            {},
            el('td', {}, i.instanceId),
            el('td', {}, versionOf(i.configRevision)),
            el('td', {}, badge(i.health)),
            el('td', { class: 'num' }, `${Math.max(0, Math.round((now - Date.parse(i.lastSampleAt)) / 1000))} s ago`),
            el('td', { class: 'num' }, fixed(i.requestsPerSecond)),
            el('td', { class: 'num' }, fixed(i.latencyP95Ms, 0)),
            el('td', { class: 'num' }, percent(i.errorRate)),
            el('td', { class: 'num' }, percent(i.poolUtilization)),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 8, class: 'hint' }, 'no instance reported in the last five minutes'))]),
  );
}

function renderDecisions(items) {
  $('decisions').tBodies[0].replaceChildren(
    ...(items.length
      ? items.map((d) =>
          el(
            'tr',
            { class: 'decision' },
            el('td', {}, time(d.decidedAt)),
            el('td', {}, badge(d.rule), d.paused ? ' (paused)' : ''),
            el('td', { class: 'num' }, `${d.currentInstances} → ${d.desiredInstances}`),
            el(
              'td',
              {},
              el(
                'ul',
                {},
                d.reasons.map((r) => el('li', {}, r)),
              ),
            ),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 4, class: 'hint' }, 'no decision yet'))]),
  );
}

function stepLabel(step) {
  return 'instances' in step ? `${step.instances} instance${step.instances === 1 ? '' : 's'}` : `${step.percent}%`;
}

function renderAnalysis(a) {
  return el(
    'li',
    {},
    badge(a.verdict),
    ` score ${fixed(a.score, 0)} — ${a.reason}`,
    el(
      'ul',
      {},
      a.metrics.map((m) => el('li', {}, `${m.name}: `, badge(m.classification), ` ${m.reason}`)),
    ),
  );
}

function renderRollouts(items) {
  $('rollouts').replaceChildren(
    ...(items.length
      ? items.map((r) => {
          const forward = r.steps.filter((s) => s.phase === 'forward' && !s.error).length;
          return el(
            'div',
            { class: 'rollout' },
            el(
              'div',
              {},
              el('strong', {}, `${r.kind} ${describeRelease(r.from)} → ${describeRelease(r.to)}`),
              ' ',
              badge(r.status),
              ` started ${time(r.startedAt)}`,
              r.finishedAt ? `, finished ${time(r.finishedAt)}` : '',
            ),
            el(
              'div',
              {},
              el('progress', { max: r.options.steps.length, value: forward }),
              ` step ${forward} of ${r.options.steps.length}`,
              r.reason ? ` — ${r.reason}` : '',
            ),
            el(
              'ul',
              {},
              r.steps.map((s) =>
                el(
                  'li',
                  {},
                  `${s.phase} ${stepLabel(s.step)}: ${s.target} of ${s.fleet} instances`,
                  s.error ? ` — ${s.error}` : '',
                  el('ul', {}, s.analyses.map(renderAnalysis)),
                ),
              ),
            ),
          );
        })
      : [el('p', { class: 'hint' }, 'no rollout yet')]),
  );
}

void start();
