// Fathom console: small scripts over the same /api/v1 and /v1 routes as every other client.
// Payload fields are read defensively: the API may add fields (e.g. `total`/`pages`, nested `instance`).
'use strict';

const I18N = JSON.parse(document.getElementById('i18n').textContent || '{}');
function T(key, vars) {
  let text = I18N[key] || key;
  for (const [name, value] of Object.entries(vars || {})) text = text.split('{' + name + '}').join(String(value));
  return text;
}
const $ = (selector, root) => (root || document).querySelector(selector);
const body = document.body;

/** An API error with what a person needs to report it: the message and the request id. */
class ApiError extends Error {
  constructor(status, message, requestId, code, retryAfter) {
    super(message);
    Object.assign(this, { status, requestId, code, retryAfter });
  }
}

function signInAgain() {
  sessionStorage.removeItem('csrf');
  location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
}

async function csrfToken() {
  let token = sessionStorage.getItem('csrf');
  if (!token) {
    const result = await api('GET', '/api/v1/auth/csrf-token');
    token = result && result.data && result.data.csrfToken;
    if (token) sessionStorage.setItem('csrf', token);
  }
  return token;
}

/** Marks the page busy while calls are in flight (assistive technology, and tests, wait for it). */
let inFlight = 0;
function busy(delta) {
  inFlight += delta;
  const main = document.getElementById('main');
  if (main) main.setAttribute('aria-busy', inFlight > 0 ? 'true' : 'false');
}

/** Calls the API; a 401 sends the browser to sign in and back here, other failures throw ApiError. */
async function api(method, path, payload, options) {
  busy(1);
  try {
    return await call(method, path, payload, options);
  } finally {
    busy(-1);
  }
}

async function call(method, path, payload, options) {
  options = options || {};
  const headers = { Accept: 'application/json' };
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && !options.noSession) headers['X-CSRFToken'] = await csrfToken();
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const text = await response.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
  if (response.ok) return data;
  const error = (data && data.error) || {};
  const failure = new ApiError(
    response.status, error.message || (data && data.message) || response.statusText,
    error.request_id || response.headers.get('X-Request-ID'), error.code, response.headers.get('Retry-After'));
  failure.details = error.details || [];
  if (response.status === 401 && !options.noRedirect) { signInAgain(); }
  // A stale CSRF token (a new session in another tab): fetch a fresh one and try once more.
  if (failure.code === 'AUTH_CSRF_INVALID' && !options.retried) {
    sessionStorage.removeItem('csrf');
    return api(method, path, payload, Object.assign({}, options, { retried: true }));
  }
  throw failure;
}

function flash(message, kind, requestId) {
  const box = $('#flash');
  box.hidden = false;
  box.className = 'flash ' + (kind || 'error');
  box.textContent = message;
  if (requestId) {
    const id = document.createElement('small');
    id.className = 'request-id';
    id.textContent = ' ' + T('request_id') + ': ' + requestId;
    box.appendChild(id);
  }
}
function clearFlash() { const box = $('#flash'); box.hidden = true; box.textContent = ''; }

/** Runs an action, showing any failure with its request id; the control is disabled while it runs. */
async function run(action, control) {
  if (control) control.disabled = true;
  busy(1);
  try {
    clearFlash();
    return await action();
  } catch (error) {
    if (error instanceof ApiError) {
      if (error.status !== 401) flash(error.message, 'error', error.requestId);
    } else {
      flash(String(error && error.message || error), 'error');
    }
  } finally {
    busy(-1);
    if (control) control.disabled = false;
  }
}

// ---- formatting helpers -------------------------------------------------------------------------------------
function el(tag, attributes, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of [].concat(children || [])) {
    if (child !== null && child !== undefined) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}
function fill(tbody, rows, columns) {
  tbody.replaceChildren();
  if (!rows.length) {
    tbody.appendChild(el('tr', {}, el('td', { colspan: String(columns), class: 'muted', text: T('nothing_here') })));
    return;
  }
  for (const row of rows) tbody.appendChild(row);
}
function bytes(value) {
  if (value === null || value === undefined || isNaN(value)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let amount = Number(value), index = 0;
  while (Math.abs(amount) >= 1024 && index < units.length - 1) { amount /= 1024; index++; }
  return (index === 0 ? String(Math.round(amount)) : amount.toFixed(1)) + ' ' + units[index];
}
function when(text) {
  if (!text) return '—';
  const date = new Date(text);
  return isNaN(date) ? String(text) : date.toLocaleString(document.documentElement.lang);
}
function percent(value) { return value === null || value === undefined ? '—' : (value > 0 ? '+' : '') + Number(value).toFixed(2) + '%'; }
function badge(state) { return el('span', { class: 'badge state-' + String(state || '').toLowerCase(), text: state ? (I18N['state_' + state] || String(state)) : '—' }); }
function itemsOf(data) {
  if (!data) return [];
  if (Array.isArray(data)) return data;
  if (Array.isArray(data.items)) return data.items;
  return [];
}
function confirmed(message) { return window.confirm(message); }

// ---- every page -------------------------------------------------------------------------------------------
for (const button of document.querySelectorAll('[data-lang]')) {
  button.addEventListener('click', () => {
    document.cookie = 'lang=' + button.dataset.lang + '; Path=/; Max-Age=31536000; SameSite=Lax';
    location.reload();
  });
}
const signOut = $('#sign-out');
if (signOut) {
  signOut.addEventListener('click', () => run(async () => {
    await api('POST', '/api/v1/auth/logout', undefined, { noRedirect: true });
    sessionStorage.clear();
    location.assign('/login');
  }, signOut));
}

const pages = {};

// ---- sign in ---------------------------------------------------------------------------------------------
pages.login = function () {
  const form = $('#login-form');
  $('#username').focus();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    run(async () => {
      try {
        const result = await api('POST', '/api/v1/auth/login',
          { username: form.username.value, password: form.password.value }, { noSession: true, noRedirect: true });
        sessionStorage.setItem('csrf', result.data.csrfToken);
      } catch (error) {
        if (error.status === 429) throw new ApiError(429, T('login_throttled', { seconds: error.retryAfter || '?' }), error.requestId);
        if (error.status === 401) throw new ApiError(401.1, T('login_failed'), error.requestId);
        throw error;
      }
      const next = new URLSearchParams(location.search).get('next') || '/';
      // Only a path on this server: never an open redirect.
      location.assign(next.startsWith('/') && !next.startsWith('//') ? next : '/');
    }, button);
  });
};

// ---- dashboard -------------------------------------------------------------------------------------------
async function allProjects() {
  const result = await api('GET', '/v1/projects?page_size=100');
  return (result && result.projects) || [];
}

pages.dashboard = function () {
  run(async () => {
    const projects = await allProjects();
    const states = {};
    let operations = [];
    for (const project of projects.slice(0, 20)) {
      const instances = await api('GET', `/v1/projects/${encodeURIComponent(project.id)}/instances?page_size=100`);
      for (const instance of (instances && instances.instances) || []) states[instance.state] = (states[instance.state] || 0) + 1;
      const ops = await api('GET', `/v1/projects/${encodeURIComponent(project.id)}/operations?page_size=10`);
      operations = operations.concat(((ops && ops.operations) || []).map((op) => Object.assign({ project: project }, op)));
    }
    const list = $('#instance-states');
    list.replaceChildren();
    const keys = Object.keys(states).sort();
    if (!keys.length) list.appendChild(el('dt', { class: 'muted', text: T('nothing_here') }));
    for (const key of keys) { list.appendChild(el('dt', {}, badge(key))); list.appendChild(el('dd', { text: String(states[key]) })); }
    operations.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    fill($('#recent-operations tbody'), operations.slice(0, 10).map((op) => el('tr', {}, [
      el('td', { text: op.type }), el('td', {}, badge(op.state)), el('td', { text: (op.progress_percent || 0) + '%' }),
      el('td', {}, el('a', { href: `/projects/${encodeURIComponent(op.project.id)}/instances`, text: op.project.name || op.project.id })),
      el('td', { text: when(op.created_at) }),
    ])), 5);
    const failures = operations.filter((op) => op.state === 'FAILED').map((op) =>
      el('li', {}, [badge('FAILED'), ' ', op.type + ' — ' + ((op.error && op.error.message) || '')]));
    if ($('#database-count')) {
      const ledger = await api('GET', '/api/v1/databases/ledgers?limit=1');
      $('#database-count').textContent = String((ledger && ledger.data && ledger.data.total) || 0);
      const summary = await api('GET', '/api/v1/capacity/instances/summary?period_type=daily&time_range=30');
      const data = (summary && summary.data) || {};
      $('#total-size').textContent = bytes(data.total_size_bytes || 0);
      const change = (data.total_size_bytes || 0) - (data.first_total_size_bytes || 0);
      $('#growth-30d').textContent = T('growth_30d', { change: (change >= 0 ? '+' : '') + bytes(change), percent: percent(data.growth_rate) });
      const runs = await api('GET', '/api/v1/task-runs?limit=10');
      const items = itemsOf(runs && runs.data);
      fill($('#recent-task-runs tbody'), items.map((job) => el('tr', {}, [
        el('td', { text: job.kind }), el('td', {}, badge(job.state)), el('td', { text: when(job.created_at) }),
      ])), 3);
      for (const job of items.filter((job) => job.state === 'failed' || job.state === 'FAILED')) {
        failures.push(el('li', {}, [badge('FAILED'), ' ', T('task_run') + ' ' + job.kind + ' #' + job.id]));
      }
    }
    fill($('#failures'), failures.length ? failures : [el('li', { class: 'muted', text: T('no_failures') })], 1);
  });
};

// ---- instances ------------------------------------------------------------------------------------------
pages.instances = function () {
  const projectId = body.dataset.projectId;
  const select = $('#project-select');
  run(async () => {
    const projects = await allProjects();
    if (!projectId) {
      const remembered = localStorage.getItem('project');
      const chosen = projects.find((p) => p.id === remembered) || projects[0];
      if (chosen) { location.replace(`/projects/${encodeURIComponent(chosen.id)}/instances`); return; }
      flash(T('no_projects'), 'info');
      return;
    }
    localStorage.setItem('project', projectId);
    select.replaceChildren(...projects.map((p) => el('option', { value: p.id, selected: p.id === projectId, text: p.name || p.id })));
    select.addEventListener('change', () => location.assign(`/projects/${encodeURIComponent(select.value)}/instances`));
    await load();
  });
  if (!projectId) return;
  const base = `/v1/projects/${encodeURIComponent(projectId)}`;
  const tokens = [''];
  let position = 0;
  async function load() {
    const filter = $('#instance-filter');
    const terms = [];
    if (filter.state.value) terms.push('state=' + filter.state.value);
    if (filter.name.value.trim()) terms.push('name=' + filter.name.value.trim());
    const query = new URLSearchParams({ page_size: '20', sort: filter.sort.value });
    if (terms.length) query.set('filter', terms.join(' AND '));
    if (tokens[position]) query.set('page_token', tokens[position]);
    const result = await api('GET', `${base}/instances?${query}`);
    const instances = (result && result.instances) || [];
    fill($('#instances-table tbody'), instances.map((inst) => el('tr', {}, [
      el('td', {}, el('a', { href: `/projects/${encodeURIComponent(projectId)}/instances/${encodeURIComponent(inst.id)}`, text: inst.name })),
      el('td', {}, badge(inst.state)), el('td', { text: `${inst.engine || ''} ${inst.version || ''}` }),
      el('td', { text: inst.resources ? `${inst.resources.cpu} CPU · ${inst.resources.memory_gb} GB · ${inst.resources.storage_gb} GB` : '—' }),
      el('td', { text: inst.provider || '' }), el('td', { text: when(inst.created_at) }),
    ])), 6);
    tokens[position + 1] = (result && result.next_page_token) || '';
    $('#page-info').textContent = T('total_count', { count: (result && result.total_count) || 0 });
    $('#prev-page').disabled = position === 0;
    $('#next-page').disabled = !tokens[position + 1];
  }
  $('#instance-filter').addEventListener('submit', (event) => { event.preventDefault(); position = 0; run(load); });
  $('#next-page').addEventListener('click', () => { position++; run(load); });
  $('#prev-page').addEventListener('click', () => { position = Math.max(0, position - 1); run(load); });

  const form = $('#create-instance');
  const engines = () => {
    const option = form.provider.selectedOptions[0];
    const pairs = ((option && option.dataset.engines) || '').split(';').filter(Boolean).map((p) => p.split(':'));
    form.engine.replaceChildren(...pairs.map(([engine]) => el('option', { value: engine, text: engine })));
    const versions = () => {
      const pair = pairs.find(([engine]) => engine === form.engine.value);
      const list = pair ? pair[1].split(',') : [];
      form.version.replaceChildren(...list.map((v) => el('option', { value: v, text: v })));
      if (list.length) form.version.value = list[list.length - 1];
    };
    form.engine.onchange = versions;
    versions();
    $('#ci-external').hidden = form.provider.value !== 'external';
  };
  form.provider.addEventListener('change', engines);
  engines();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      const labels = {};
      for (const pair of form.labels.value.split(',')) {
        const [key, ...rest] = pair.split('=');
        if (key.trim()) labels[key.trim()] = rest.join('=').trim();
      }
      const payload = {
        name: form.name.value.trim(), engine: form.engine.value, version: form.version.value, provider: form.provider.value,
        resources: { cpu: Number(form.cpu.value), memory_gb: Number(form.memory_gb.value), storage_gb: Number(form.storage_gb.value) },
        high_availability: form.high_availability.checked, labels,
      };
      if (form.provider.value === 'external') {
        payload.connection = { host: form.host.value, port: Number(form.port.value), database: form.database.value };
        payload.credential = { username: form.username.value, password: form.password.value };
      }
      const result = await api('POST', `${base}/instances`, payload);
      location.assign(`/projects/${encodeURIComponent(projectId)}/instances/${encodeURIComponent(result.instance.id)}`);
    }, form.querySelector('button[type=submit]'));
  });
};

// ---- one instance ---------------------------------------------------------------------------------------
pages.instance = function () {
  const projectId = body.dataset.projectId, instanceId = body.dataset.instanceId;
  const base = `/v1/projects/${encodeURIComponent(projectId)}`;
  const path = `${base}/instances/${encodeURIComponent(instanceId)}`;
  let instance = null, timer = null;
  const active = (state) => ['PENDING', 'RUNNING', 'CANCELLING'].includes(state);

  async function loadInstance() {
    const result = await api('GET', path);
    instance = result.instance;
    $('#inst-name').textContent = instance.name;
    $('#inst-state').replaceWith(Object.assign(badge(instance.state), { id: 'inst-state' }));
    const facts = $('#inst-facts');
    facts.replaceChildren();
    const storage = instance.storage || {};
    const rows = [
      [T('engine'), `${instance.engine} ${instance.version}`], [T('provider'), instance.provider],
      [T('resources'), instance.resources ? `${instance.resources.cpu} CPU · ${instance.resources.memory_gb} GB` : '—'],
      [T('storage'), `${bytes(storage.used_bytes)} / ${storage.limit_gb || (instance.resources || {}).storage_gb || '?'} GB`],
      [T('high_availability'), instance.high_availability ? T('yes') : T('no')],
      [T('labels'), Object.entries(instance.labels || {}).map(([k, v]) => `${k}=${v}`).join(', ') || '—'],
      [T('instance_id'), String(instance.instance_id || '—')], [T('created'), when(instance.created_at)],
    ];
    for (const [key, value] of rows) { facts.appendChild(el('dt', { text: key })); facts.appendChild(el('dd', { text: value })); }
    const endpoints = $('#inst-endpoints');
    endpoints.replaceChildren();
    for (const endpoint of instance.endpoints || []) {
      // The connection string never carries a password.
      const uri = `postgresql://USER@${endpoint.host}:${endpoint.port}/postgres`;
      const code = el('code', { text: uri });
      endpoints.appendChild(el('li', {}, [el('span', { class: 'badge', text: endpoint.role || '' }), ' ', code, ' ',
        el('button', { type: 'button', class: 'link', text: T('copy'), onclick: () => copy(uri) })]));
    }
    if (!(instance.endpoints || []).length) endpoints.appendChild(el('li', { class: 'muted', text: T('no_endpoints') }));
    const form = $('#resize-form');
    if (instance.resources && !form.dataset.filled) {
      form.cpu.value = instance.resources.cpu; form.memory_gb.value = instance.resources.memory_gb;
      form.storage_gb.value = instance.resources.storage_gb; form.dataset.filled = '1';
    }
  }

  async function copy(text) {
    try { await navigator.clipboard.writeText(text); flash(T('copied'), 'info'); } catch (e) { flash(text, 'info'); }
  }

  async function loadOperations() {
    const query = new URLSearchParams({ page_size: '20', filter: 'instance_id=' + instanceId });
    const result = await api('GET', `${base}/operations?${query}`);
    const operations = (result && result.operations) || [];
    const list = $('#operations');
    list.replaceChildren(...operations.map((op) => el('li', { class: 'op state-' + String(op.state).toLowerCase(), 'data-operation-id': op.id }, [
      el('div', {}, [el('strong', { text: op.type }), ' ', badge(op.state), ' ', el('small', { class: 'muted', text: when(op.created_at) })]),
      el('progress', { max: '100', value: String(op.progress_percent || 0), 'aria-label': T('progress') + ' ' + op.type }),
      el('span', { text: ` ${op.progress_percent || 0}% ${op.progress_message || ''}` }),
      op.error ? el('p', { class: 'error-text', text: op.error.message || '' }) : null,
      active(op.state) && op.state !== 'CANCELLING'
        ? el('button', { type: 'button', class: 'link', text: T('cancel'), onclick: (e) => run(async () => {
          await api('POST', `${base}/operations/${encodeURIComponent(op.id)}/cancel`); await refresh();
        }, e.target) }) : null,
    ])));
    if (!operations.length) list.appendChild(el('li', { class: 'muted', text: T('nothing_here') }));
    await redrawTimeline(operations.map((op) => `${op.id}:${op.state}:${op.progress_percent}`).join(','));
    return operations.some((op) => active(op.state));
  }

  // The timeline is drawn by the server: when the operations change, fetch this page again and take its drawing.
  let drawn = null;
  async function redrawTimeline(signature) {
    if (drawn === null) { drawn = signature; return; }
    if (signature === drawn) return;
    drawn = signature;
    const response = await fetch(location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.getElementById('ops-timeline');
    if (fresh) $('#ops-timeline').replaceChildren(...fresh.childNodes);
  }

  async function loadBackups() {
    const result = await api('GET', `${path}/backups?page_size=50`);
    const backups = (result && result.backups) || [];
    fill($('#backups-table tbody'), backups.map((backup) => el('tr', { 'data-backup-id': backup.id }, [
      el('td', {}, el('code', { text: backup.id })), el('td', {}, badge(backup.state)), el('td', { text: bytes(backup.size_bytes) }),
      el('td', { text: when(backup.created_at) }),
      el('td', {}, [
        el('button', { type: 'button', class: 'link', text: T('restore'), disabled: backup.state !== 'SUCCEEDED' && backup.state !== 'AVAILABLE',
          onclick: (e) => { if (confirmed(T('confirm_restore', { id: backup.id }))) run(async () => { await api('POST', `${path}/restore`, { backup_id: backup.id }); await refresh(); }, e.target); } }),
        ' ',
        el('button', { type: 'button', class: 'link danger', text: T('delete'),
          onclick: (e) => { if (confirmed(T('confirm_delete_backup', { id: backup.id }))) run(async () => { await api('DELETE', `${base}/backups/${encodeURIComponent(backup.id)}`); await refresh(); }, e.target); } }),
      ]),
    ])), 5);
  }

  async function loadUsers() {
    const result = await api('GET', `${path}/users`);
    const users = (result && result.users) || [];
    fill($('#users-table tbody'), users.map((user) => el('tr', { 'data-user': user.name }, [
      el('td', { text: user.name }), el('td', {}, badge(user.state)), el('td', { text: when(user.created_at) }),
      el('td', {}, [
        el('button', { type: 'button', class: 'link', text: T('new_password'),
          onclick: (e) => run(async () => {
            const changed = await api('PATCH', `${path}/users/${encodeURIComponent(user.id)}`, { generate_password: true });
            showSecret(changed && changed.user); await refresh();
          }, e.target) }),
        ' ',
        el('button', { type: 'button', class: 'link danger', text: T('drop'),
          onclick: (e) => { if (confirmed(T('confirm_drop_user', { name: user.name }))) run(async () => { await api('DELETE', `${path}/users/${encodeURIComponent(user.id)}`); await refresh(); }, e.target); } }),
      ]),
    ])), 4);
  }

  function showSecret(user) {
    const password = user && (user.password || user.generated_password);
    if (!password) return;
    const box = $('#user-secret');
    box.hidden = false;
    box.replaceChildren(T('password_once', { name: user.name }), ' ', el('code', { id: 'user-password', text: password }));
  }

  async function refresh() {
    await loadInstance();
    const busy = await loadOperations();
    await loadBackups();
    await loadUsers();
    // Poll while something is in flight (or the instance is between states); stop when all is settled.
    clearTimeout(timer);
    const transitional = instance && !['RUNNING', 'STOPPED', 'FAILED', 'DELETED'].includes(instance.state);
    if (busy || transitional) timer = setTimeout(() => run(refresh), 1000);
  }

  const action = (button, verb) => button.addEventListener('click', () => run(async () => { await api('POST', `${path}/${verb}`); await refresh(); }, button));
  action($('#act-restart'), 'restart');
  action($('#act-failover'), 'failover');
  $('#create-backup').addEventListener('click', (e) => run(async () => { await api('POST', `${path}/backups`, {}); await refresh(); }, e.target));
  $('#create-user').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    run(async () => {
      const result = await api('POST', `${path}/users`, { name: form.name.value.trim() });
      showSecret(result && result.user);
      form.reset();
      await refresh();
    }, form.querySelector('button'));
  });
  $('#resize-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    run(async () => {
      await api('PATCH', path, { resources: { cpu: Number(form.cpu.value), memory_gb: Number(form.memory_gb.value), storage_gb: Number(form.storage_gb.value) } });
      await refresh();
    }, form.querySelector('button'));
  });
  $('#delete-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    if (!instance || form.confirm.value !== instance.name) { flash(T('type_name_mismatch'), 'error'); return; }
    run(async () => {
      await api('DELETE', path);
      location.assign(`/projects/${encodeURIComponent(projectId)}/instances`);
    }, form.querySelector('button'));
  });
  run(refresh);
};

// ---- database ledger ------------------------------------------------------------------------------------
pages.ledger = function () {
  const form = $('#ledger-filter');
  let page = 1;
  function query() {
    const q = new URLSearchParams();
    if (form.search.value.trim()) q.set('search', form.search.value.trim());
    if (form.db_type.value && form.db_type.value !== 'all') q.set('db_type', form.db_type.value);
    if (form.instance_id.value) q.set('instance_id', form.instance_id.value);
    for (const tag of form.tags.value.split(',').map((t) => t.trim()).filter(Boolean)) q.append('tags', tag);
    return q;
  }
  async function load() {
    const q = query();
    $('#ledger-export').href = '/api/v1/databases/ledgers/exports' + (q.toString() ? '?' + q : '');
    q.set('page', String(page));
    q.set('limit', '20');
    const result = await api('GET', '/api/v1/databases/ledgers?' + q);
    const data = (result && result.data) || {};
    const items = itemsOf(data);
    fill($('#ledger-table tbody'), items.map((item) => {
      const instance = item.instance || {};
      const capacity = item.capacity || {};
      return el('tr', {}, [
        el('td', {}, el('a', { href: '/databases/' + encodeURIComponent(item.database_id || item.id), text: item.database_name || item.name || '' })),
        el('td', { text: instance.name || item.instance_name || '' }), el('td', { text: instance.db_type || item.db_type || '' }),
        el('td', { text: capacity.size_bytes !== undefined ? bytes(capacity.size_bytes) : (capacity.label || '—') }),
        el('td', { text: (item.tags || []).map((t) => (typeof t === 'string' ? t : t.name || t.display_name || '')).join(', ') }),
        el('td', { text: item.last_seen_date || '' }),
      ]);
    }), 6);
    const total = Number(data.total || 0), limit = Number(data.limit || 20);
    const pages = Number(data.pages || Math.max(1, Math.ceil(total / limit)));
    $('#page-info').textContent = T('page_of', { page, pages, total });
    $('#prev-page').disabled = page <= 1;
    $('#next-page').disabled = page >= pages;
  }
  form.addEventListener('submit', (event) => { event.preventDefault(); page = 1; run(load); });
  $('#next-page').addEventListener('click', () => { page++; run(load); });
  $('#prev-page').addEventListener('click', () => { page = Math.max(1, page - 1); run(load); });
  run(load);
};

pages.database = function () {
  const id = body.dataset.databaseId;
  async function render(result) {
    const data = (result && result.data) || {};
    if (data.database_name) $('#db-name').textContent = data.database_name;
    fill($('#tables-table tbody'), itemsOf(data).map((table) => el('tr', {}, [
      el('td', { text: table.schema_name }), el('td', { text: table.table_name }), el('td', { text: bytes(table.total_bytes) }),
      el('td', { text: String(table.row_estimate === undefined ? '—' : table.row_estimate) }),
    ])), 4);
  }
  run(async () => render(await api('GET', `/api/v1/databases/${encodeURIComponent(id)}/tables/sizes`)));
  $('#refresh-tables').addEventListener('click', (e) => run(async () => {
    await render(await api('POST', `/api/v1/databases/${encodeURIComponent(id)}/tables/sizes/actions/refresh`));
    flash(T('refreshed'), 'info');
  }, e.target));
};

// ---- capacity -------------------------------------------------------------------------------------------
pages.capacity = function () {
  const section = $('#capacity-summary');
  const subject = section.dataset.subject, period = section.dataset.period;
  let page = 1;
  async function load() {
    const q = new URLSearchParams({ period_type: period, page: String(page), limit: '20' });
    const result = await api('GET', `/api/v1/capacity/${subject}?${q}`);
    const data = (result && result.data) || {};
    fill($('#capacity-table tbody'), itemsOf(data).map((row) => el('tr', {}, [
      el('td', { text: subject === 'databases' ? `${row.instance_name || ''}/${row.database_name || ''}` : (row.instance_name || row.instance || '') }),
      el('td', { text: row.period_start === row.period_end ? row.period_start : `${row.period_start} – ${row.period_end}` }),
      el('td', { text: bytes(row.avg_size_bytes) }),
      el('td', { text: row.size_change_bytes === null || row.size_change_bytes === undefined ? '—' : `${row.size_change_bytes >= 0 ? '+' : ''}${bytes(row.size_change_bytes)} (${percent(row.size_change_percent)})` }),
      el('td', { text: I18N['trend_' + row.trend_direction] || row.trend_direction || '—' }),
    ])), 5);
    const total = Number(data.total || 0), limit = Number(data.limit || 20);
    const pages = Number(data.pages || Math.max(1, Math.ceil(total / limit)));
    $('#page-info').textContent = T('page_of', { page, pages, total });
    $('#prev-page').disabled = page <= 1;
    $('#next-page').disabled = page >= pages;
  }
  async function forecast() {
    const days = $('#fc-days').value;
    const result = await api('GET', `/api/v1/capacity/forecast?subject=${subject}&days=${encodeURIComponent(days)}&limit=20`);
    fill($('#forecast-table tbody'), itemsOf(result && result.data).map((row) => el('tr', {}, [
      el('td', { text: row.database_name ? `${row.instance_name || ''}/${row.database_name}` : (row.instance_name || '') }),
      el('td', { text: bytes(row.current_size_bytes) }),
      el('td', { text: row.growth_bytes_per_day === null || row.growth_bytes_per_day === undefined ? '—' : (row.growth_bytes_per_day >= 0 ? '+' : '') + bytes(row.growth_bytes_per_day) }),
      el('td', { text: row.storage_limit_bytes ? `${bytes(row.storage_limit_bytes)} (${row.usage_percent}%)` : '—' }),
      el('td', { text: row.reaches_limit_on ? T('limit_in_days', { date: row.reaches_limit_on, days: row.days_to_limit }) : T('not_at_this_rate') }),
    ])), 5);
  }
  $('#fc-days').addEventListener('change', () => run(forecast));
  run(async () => {
    const summary = await api('GET', `/api/v1/capacity/${subject}/summary?period_type=${period}`);
    const data = (summary && summary.data) || {};
    $('#sum-count').textContent = String(data.total_count || 0);
    $('#sum-total').textContent = bytes(data.total_size_bytes || 0);
    $('#sum-growth').textContent = percent(data.growth_rate);
    await load();
    await forecast();
  });
  $('#next-page').addEventListener('click', () => { page++; run(load); });
  $('#prev-page').addEventListener('click', () => { page = Math.max(1, page - 1); run(load); });
};

// ---- profile and tokens ---------------------------------------------------------------------------------
pages.profile = function () {
  const form = $('#password-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      await api('PUT', '/api/v1/auth/password', { currentPassword: form.currentPassword.value, newPassword: form.newPassword.value });
      form.reset();
      flash(T('password_changed'), 'info');
    }, form.querySelector('button'));
  });
};

pages.tokens = function () {
  const form = $('#token-form');
  async function load() {
    const result = await api('GET', '/api/v1/auth/tokens?pageSize=100');
    const tokens = Array.isArray(result && result.data) ? result.data : itemsOf(result && result.data);
    fill($('#tokens-table tbody'), tokens.filter((t) => !t.revokedAt).map((token) => el('tr', {}, [
      el('td', { text: token.name }), el('td', { text: token.role }), el('td', { text: when(token.createdAt) }),
      el('td', { text: when(token.lastUsedAt) }),
      el('td', {}, el('button', { type: 'button', class: 'link danger', text: T('revoke'),
        onclick: (e) => { if (confirmed(T('confirm_revoke', { name: token.name }))) run(async () => { await api('DELETE', `/api/v1/auth/tokens/${encodeURIComponent(token.tokenId)}`); await load(); }, e.target); } })),
    ])), 5);
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      const payload = { name: form.name.value.trim() };
      if (form.role.value) payload.role = form.role.value;
      const result = await api('POST', '/api/v1/auth/tokens', payload);
      const box = $('#token-secret');
      box.hidden = false;
      box.replaceChildren(T('token_once'), ' ', el('code', { id: 'token-value', text: result.data.secret }));
      form.reset();
      await load();
    }, form.querySelector('button'));
  });
  run(load);
};

// ---- administration -------------------------------------------------------------------------------------
pages['admin-users'] = function () {
  const form = $('#user-form');
  async function load() {
    const result = await api('GET', '/api/v1/users?pageSize=100');
    const users = Array.isArray(result && result.data) ? result.data : itemsOf(result && result.data);
    fill($('#users-admin-table tbody'), users.map((user) => {
      const role = el('select', { 'aria-label': T('change_role') + ' ' + user.username },
        ['member', 'viewer', 'operator', 'admin'].map((r) => el('option', { value: r, selected: r === user.role, text: r })));
      role.addEventListener('change', () => run(async () => { await api('PATCH', `/api/v1/users/${encodeURIComponent(user.userId)}`, { role: role.value }); await load(); }, role));
      return el('tr', { 'data-user': user.username }, [
        el('td', { text: user.username }), el('td', {}, role),
        el('td', { text: user.disabled ? T('disabled') : T('active') }), el('td', { text: when(user.createdAt) }),
        el('td', {}, el('button', { type: 'button', class: 'link' + (user.disabled ? '' : ' danger'), text: user.disabled ? T('enable') : T('disable'),
          onclick: (e) => run(async () => { await api('PATCH', `/api/v1/users/${encodeURIComponent(user.userId)}`, { disabled: !user.disabled }); await load(); }, e.target) })),
      ]);
    }), 5);
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      const name = form.username.value.trim();
      await api('POST', '/api/v1/users', { username: name, password: form.password.value, role: form.role.value });
      form.reset();
      flash(T('user_created', { name }), 'info');
      await load();
    }, form.querySelector('button'));
  });
  run(load);
};

pages['admin-task-runs'] = function () {
  const form = $('#runs-filter');
  let page = 1;
  async function load() {
    const q = new URLSearchParams({ page: String(page), limit: '20' });
    if (form.kind.value.trim()) q.set('kind', form.kind.value.trim());
    if (form.state.value) q.set('state', form.state.value);
    const result = await api('GET', '/api/v1/task-runs?' + q);
    const data = (result && result.data) || {};
    fill($('#runs-table tbody'), itemsOf(data).map((job) => el('tr', {}, [
      el('td', { text: String(job.id) }), el('td', { text: job.kind }), el('td', {}, badge(job.state)),
      el('td', { text: (job.progress_percent || 0) + '%' + (job.error && job.error.message ? ' — ' + job.error.message : '') }),
      el('td', { text: when(job.created_at) }),
      el('td', {}, (job.state === 'queued' || job.state === 'running') && !job.cancel_requested
        ? el('button', { type: 'button', class: 'link danger', text: T('cancel'),
          onclick: (e) => { if (confirmed(T('confirm_cancel_run', { id: job.id }))) run(async () => { await api('POST', `/api/v1/task-runs/${job.id}/actions/cancel`); await load(); }, e.target); } })
        : null),
    ])), 6);
    const total = Number(data.total || 0), limit = Number(data.limit || 20);
    const pages = Number(data.pages || Math.max(1, Math.ceil(total / limit)));
    $('#page-info').textContent = T('page_of', { page, pages, total });
    $('#prev-page').disabled = page <= 1;
    $('#next-page').disabled = page >= pages;
  }
  form.addEventListener('submit', (event) => { event.preventDefault(); page = 1; run(load); });
  $('#next-page').addEventListener('click', () => { page++; run(load); });
  $('#prev-page').addEventListener('click', () => { page = Math.max(1, page - 1); run(load); });
  run(load);
};

pages['admin-schedules'] = function () {
  async function load() {
    const result = await api('GET', '/api/v1/schedules');
    const schedules = itemsOf(result && result.data);
    fill($('#schedules-table tbody'), schedules.map((schedule) => {
      const path = `/api/v1/schedules/${encodeURIComponent(schedule.name)}`;
      const toggle = el('input', { type: 'checkbox', checked: schedule.enabled, 'aria-label': T('enabled') + ' ' + schedule.name });
      toggle.addEventListener('change', () => run(async () => { await api('PUT', path, { enabled: toggle.checked }); await load(); }, toggle));
      return el('tr', { 'data-schedule': schedule.name }, [
        el('td', { text: schedule.name }), el('td', { text: schedule.kind }),
        el('td', { text: schedule.time ? T('daily_at', { time: schedule.time }) + ' ' + (schedule.timezone || '') : T('every_minutes', { minutes: schedule.interval_minutes }) }),
        el('td', { text: when(schedule.next_run_at) }), el('td', {}, toggle),
        el('td', {}, el('button', { type: 'button', class: 'link', text: T('retime'), onclick: (e) => {
          const answer = window.prompt(T('retime_prompt', { name: schedule.name }), schedule.time || String(schedule.interval_minutes || ''));
          if (!answer) return;
          const payload = /^\d+$/.test(answer.trim()) ? { interval_minutes: Number(answer.trim()) } : { time: answer.trim() };
          run(async () => { await api('PUT', path, payload); await load(); }, e.target);
        } })),
      ]);
    }), 6);
  }
  run(load);
};

// Pages of the other scripts (deferred, so they have run by now) register here too.
document.addEventListener('DOMContentLoaded', () => { if (pages[body.dataset.page]) pages[body.dataset.page](); });
