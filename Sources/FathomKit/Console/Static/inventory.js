// Fathom console: the asset ledger's pages (assets, duplicates, sources and schedule groups, runs).
// Loaded after console.js, whose helpers (api, run, el, fill, T, …) it uses; same /api/v1 routes as any client.
'use strict';

const inventoryBase = '/inventory';
function assetHref(uuid) { return `${inventoryBase}/assets/${encodeURIComponent(uuid)}`; }
function runHref(id) { return `${inventoryBase}/runs/${encodeURIComponent(id)}`; }
function statusBadge(status) { return el('span', { class: 'badge state-' + String(status || '').toLowerCase(), text: I18N['status_' + status] || String(status || '—') }); }
function assetTypeName(type) { return I18N['asset_type_' + type] || type; }
/** Asset-ledger lists answer `data: [...]` with `pagination`. */
function pagerFrom(result, page) {
  const p = (result && result.pagination) || {};
  const pages = Math.max(1, Number(p.totalPages || 1));
  $('#page-info').textContent = T('page_of', { page, pages, total: Number(p.total || 0) });
  $('#prev-page').disabled = page <= 1;
  $('#next-page').disabled = page >= pages;
}
function pager(load, state) {
  $('#next-page').addEventListener('click', () => { state.page++; run(load); });
  $('#prev-page').addEventListener('click', () => { state.page = Math.max(1, state.page - 1); run(load); });
}
/** A leaf value as text: arrays joined, objects as JSON. */
function valueText(value) {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) return value.map(valueText).join(', ');
  if (typeof value === 'object') return Object.entries(value).map(([key, inner]) => key + ': ' + valueText(inner)).join(', ');
  return String(value);
}
function sourceNames(sources, names) {
  return (sources || []).map((s) => (s.sourceId === 'manual' ? T('manual') : (names[s.sourceId] || s.sourceId))).join(', ');
}
async function sourceNameMap() {
  const result = await api('GET', '/api/v1/sources?pageSize=100');
  const names = {};
  for (const source of (result && result.data) || []) names[source.sourceId] = source.name;
  return names;
}

// ---- assets ---------------------------------------------------------------------------------------------------
pages.assets = function () {
  const form = $('#asset-filter');
  const state = { page: 1 };
  const params = new URLSearchParams(location.search);
  for (const name of ['q', 'assetType', 'sourceId', 'status']) if (params.get(name) && form[name]) form[name].value = params.get(name);
  function filters() {
    const q = new URLSearchParams();
    for (const name of ['q', 'assetType', 'sourceId', 'status']) if (form[name].value.trim()) q.set(name, form[name].value.trim());
    return q;
  }
  async function load() {
    const q = filters();
    $('#asset-export').href = '/api/v1/assets/exports' + (q.toString() ? '?' + q : '');
    const [sortBy, sortOrder] = form.sort.value.split(':');
    q.set('sortBy', sortBy); q.set('sortOrder', sortOrder);
    q.set('page', String(state.page)); q.set('pageSize', '20');
    const result = await api('GET', '/api/v1/assets?' + q);
    fill($('#assets-table tbody'), ((result && result.data) || []).map((asset) => el('tr', {}, [
      el('td', {}, el('a', { href: assetHref(asset.assetUuid), text: asset.displayName || asset.assetUuid })),
      el('td', { text: assetTypeName(asset.assetType) }), el('td', {}, statusBadge(asset.status)),
      el('td', { text: (asset.sources || []).map((s) => `${s.sourceName} (${s.externalId})`).join(', ') }),
      el('td', { text: when(asset.updatedAt) }),
    ])), 5);
    pagerFrom(result, state.page);
  }
  form.addEventListener('submit', (event) => { event.preventDefault(); state.page = 1; run(load); });
  pager(load, state);
  run(async () => {
    const names = await sourceNameMap();
    const select = form.sourceId, chosen = select.value || params.get('sourceId') || '';
    for (const [id, name] of Object.entries(names)) select.appendChild(el('option', { value: id, text: name }));
    select.value = chosen;
    await load();
  });
};

/** The hand-kept leaves (LedgerFields.leaves on the server); lists are edited comma-separated. */
const ledgerLeaves = [
  ['ownership.department'], ['ownership.owner_name'], ['ownership.owner_email'], ['ownership.cc_emails', true],
  ['location.region'], ['location.city'], ['location.cabinet'], ['location.position'],
  ['service.system_name'], ['service.applications', true], ['service.service_level'],
  ['physical.fixed_asset_id'], ['physical.maintenance_period'], ['comments'],
];

function leavesOf(tree, prefix, out) {
  for (const [key, node] of Object.entries(tree || {})) {
    const path = prefix ? prefix + '.' + key : key;
    if (node && typeof node === 'object' && 'value' in node && 'sources' in node) out.push([path, node]);
    else if (node && typeof node === 'object') leavesOf(node, path, out);
  }
  return out;
}

pages.asset = function () {
  const uuid = body.dataset.subjectId;
  const path = `/api/v1/assets/${encodeURIComponent(uuid)}`;
  const history = { page: 1 };
  let names = {};

  function renderDetail(asset) {
    $('#asset-name').textContent = asset.displayName;
    $('#asset-status').replaceWith(Object.assign(statusBadge(asset.status), { id: 'asset-status' }));
    const facts = $('#asset-facts');
    facts.replaceChildren();
    for (const [key, value] of [['type', assetTypeName(asset.assetType)], ['asset_uuid', asset.assetUuid], ['created', when(asset.createdAt)], ['updated', when(asset.updatedAt)]]) {
      facts.append(el('dt', { text: T(key) }), el('dd', {}, el('code', { text: value })));
    }
    const merged = $('#asset-merged');
    merged.hidden = !asset.mergedInto;
    if (asset.mergedInto) merged.replaceChildren(T('merged_into') + ' ', el('a', { href: assetHref(asset.mergedInto), text: asset.mergedInto }));

    const leaves = leavesOf((asset.canonical || {}).fields, '', []);
    fill($('#fields-table tbody'), leaves.map(([field, leaf]) => {
      const alternatives = leaf.alternatives || [];
      const value = el('td', {}, [valueText(leaf.value)]);
      if (leaf.conflict) value.prepend(el('span', { class: 'badge state-failed', text: T('conflict') }), ' ');
      if (alternatives.length) {
        value.appendChild(el('details', { class: 'alternatives' }, [
          el('summary', { text: T('alternatives_count', { count: alternatives.length }) }),
          el('ul', { class: 'plain' }, alternatives.map((alt) => el('li', {}, [el('strong', { text: valueText(alt.value) }), ' — ', sourceNames(alt.sources, names)]))),
        ]));
      }
      return el('tr', { class: leaf.conflict ? 'conflict' : null, 'data-field': field }, [
        el('th', { scope: 'row' }, el('code', { text: field })), value, el('td', { text: sourceNames(leaf.sources, names) }),
      ]);
    }), 3);

    fill($('#links-table tbody'), (asset.sourceLinks || []).map((link) => el('tr', {}, [
      el('td', {}, el('a', { href: `${inventoryBase}/sources#${encodeURIComponent(link.sourceId)}`, text: link.sourceName })),
      el('td', {}, el('code', { text: `${link.externalKind}/${link.externalId}` })),
      el('td', {}, el('span', { class: 'badge presence-' + link.presenceStatus, text: T('presence_' + link.presenceStatus) })),
      el('td', { text: when(link.lastSeenAt) }),
    ])), 4);

    // Hand-kept fields, edited in place: the current hand-kept value, or the collected one as a placeholder.
    const byPath = Object.fromEntries(leaves);
    const form = $('#ledger-fields');
    form.replaceChildren(...ledgerLeaves.map(([field, list]) => {
      const leaf = byPath[field];
      const manual = leaf && (leaf.sources || []).some((s) => s.sourceId === 'manual');
      const id = 'lf-' + field.replace('.', '-');
      const input = el('input', { id, name: field, 'data-list': list ? '1' : null, value: manual ? valueText(leaf.value) : '',
        placeholder: leaf && !manual ? valueText(leaf.value) : '' });
      return el('p', { class: field === 'comments' ? 'wide' : null }, [el('label', { for: id, text: T('lf_' + field.replace('.', '_')) }), input]);
    }), el('p', { class: 'wide' }, el('button', { type: 'submit', text: T('save') })));
    form.dataset.initial = JSON.stringify(values(form));
  }

  function values(form) {
    const out = {};
    for (const input of form.querySelectorAll('input')) out[input.name] = input.value.trim();
    return out;
  }

  $('#ledger-fields').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    const before = JSON.parse(form.dataset.initial || '{}'), now = values(form);
    const payload = {};
    for (const input of form.querySelectorAll('input')) {
      const name = input.name;
      if (now[name] === before[name]) continue;
      // An emptied field is cleared (null): the collected value shows again.
      const value = now[name] === '' ? null : (input.dataset.list ? now[name].split(',').map((s) => s.trim()).filter(Boolean) : now[name]);
      const [group, leaf] = name.split('.');
      if (leaf) { payload[group] = payload[group] || {}; payload[group][leaf] = value; } else payload[group] = value;
    }
    if (!Object.keys(payload).length) { flash(T('nothing_changed'), 'info'); return; }
    run(async () => {
      const result = await api('PUT', `${path}/ledger-fields`, payload);
      renderDetail(result.data);
      await loadHistory();
      flash(T('saved'), 'info');
    }, form.querySelector('button[type=submit]'));
  });

  async function loadHistory() {
    const result = await api('GET', `${path}/history?page=${history.page}&pageSize=20`);
    const entries = (result && result.data) || [];
    const list = $('#asset-history');
    list.replaceChildren(...entries.map((entry) => el('li', {}, [
      el('strong', { text: T('history_' + entry.type) }), ' ', el('span', { class: 'muted', text: when(entry.occurredAt) }),
      entry.actor ? ' · ' + entry.actor : '', entry.sourceId ? ' · ' + (names[entry.sourceId] || entry.sourceId) : '',
      entry.changes && entry.changes.length ? el('ul', {}, entry.changes.map((c) => el('li', {}, [el('code', { text: c.field }), ': ', valueText(c.from), ' → ', valueText(c.to)]))) : null,
      entry.details && !entry.changes ? el('div', { class: 'muted', text: valueText(entry.details) }) : null,
    ])));
    if (!entries.length) list.appendChild(el('li', { class: 'muted', text: T('nothing_here') }));
    pagerFrom(result, history.page);
  }
  pager(loadHistory, history);

  run(async () => {
    names = await sourceNameMap();
    renderDetail((await api('GET', path)).data);
    await loadHistory();
  });
};

// ---- duplicates -----------------------------------------------------------------------------------------------
/** Why the merge rules refused, in words a person can act on (the API's code → catalog sentence). */
function mergeRefusal(error) {
  const key = 'refusal_' + error.code;
  return I18N[key] ? new ApiError(error.status, T(key) + ' (' + error.message + ')', error.requestId, error.code) : error;
}

pages.duplicates = function () {
  const form = $('#dup-filter');
  const state = { page: 1 };
  let names = {};
  function sideBySide(details) {
    // Every leaf of either asset; a row whose values differ is highlighted.
    const maps = details.map((d) => Object.fromEntries(leavesOf((d.canonical || {}).fields, '', []).map(([f, leaf]) => [f, valueText(leaf.value)])));
    const fields = [...new Set(maps.flatMap((m) => Object.keys(m)))].sort();
    const rows = fields.map((field) => {
      const differs = maps.some((m) => m[field] !== maps[0][field]);
      return el('tr', { class: differs ? 'diff' : null }, [el('th', { scope: 'row' }, el('code', { text: field })),
        ...maps.map((m) => el('td', { text: m[field] === undefined ? '—' : m[field] }))]);
    });
    rows.unshift(el('tr', {}, [el('th', { scope: 'row', text: T('source_links') }),
      ...details.map((d) => el('td', { text: (d.sourceLinks || []).map((l) => `${l.sourceName}: ${T('presence_' + l.presenceStatus)}`).join(', ') }))]));
    return el('div', { class: 'table-wrap' }, el('table', { class: 'side-by-side-table' }, [
      el('thead', {}, el('tr', {}, [el('th', { text: T('field') }), ...details.map((d) => el('th', {}, [
        el('a', { href: assetHref(d.assetUuid), text: d.displayName }), ' ', statusBadge(d.status)]))])),
      el('tbody', {}, rows)]));
  }
  async function load() {
    const q = new URLSearchParams({ page: String(state.page), pageSize: '10' });
    for (const name of ['status', 'assetType', 'level']) if (form[name].value) q.set(name, form[name].value);
    const result = await api('GET', '/api/v1/duplicate-candidates?' + q);
    const candidates = (result && result.data) || [];
    const list = $('#candidates');
    list.replaceChildren();
    for (const candidate of candidates) {
      const details = [];
      for (const ref of candidate.assets || []) details.push((await api('GET', `/api/v1/assets/${encodeURIComponent(ref.assetUuid)}`)).data);
      const reasons = Array.isArray(candidate.reasons) ? candidate.reasons.map((r) => (typeof r === 'string' ? r : (r.code || r.rule || JSON.stringify(r)))).join(', ') : valueText(candidate.reasons);
      const actions = el('div', { class: 'actions' });
      if (candidate.status === 'open') {
        for (const [index, primary] of details.entries()) {
          const others = details.filter((_, i) => i !== index);
          actions.appendChild(el('button', { type: 'button', class: 'merge', 'data-primary': primary.assetUuid,
            text: T('merge_into', { name: primary.displayName }),
            onclick: (e) => {
              if (!confirmed(T('confirm_merge', { others: others.map((o) => o.displayName).join(', '), name: primary.displayName }))) return;
              run(async () => {
                try {
                  await api('POST', `/api/v1/assets/${encodeURIComponent(primary.assetUuid)}/merge`, { mergedAssetUuids: others.map((o) => o.assetUuid) });
                } catch (error) { throw error instanceof ApiError ? mergeRefusal(error) : error; }
                flash(T('merged_done', { name: primary.displayName }), 'info');
                await load();
              }, e.target);
            } }));
        }
        actions.appendChild(el('button', { type: 'button', class: 'link ignore', text: T('ignore'), onclick: (e) => run(async () => {
          await api('POST', `/api/v1/duplicate-candidates/${encodeURIComponent(candidate.candidateId)}/ignore`);
          flash(T('ignored_done'), 'info');
          await load();
        }, e.target) }));
      }
      list.appendChild(el('li', { class: 'card candidate', 'data-candidate': candidate.candidateId }, [
        el('h3', {}, [T('score', { score: candidate.score }), ' ', el('span', { class: 'badge', text: T('level_' + candidate.level) }), ' ',
          el('span', { class: 'muted', text: assetTypeName(candidate.assetType) + ' · ' + reasons })]),
        sideBySide(details), actions,
      ]));
    }
    if (!candidates.length) list.appendChild(el('li', { class: 'muted', text: T('nothing_here') }));
    pagerFrom(result, state.page);
  }
  form.addEventListener('submit', (event) => { event.preventDefault(); state.page = 1; run(load); });
  pager(load, state);
  run(async () => { names = await sourceNameMap(); await load(); });
};

// ---- sources and schedule groups ------------------------------------------------------------------------------
pages.sources = function () {
  const groupForm = $('#group-form'), sourceForm = $('#source-form');
  let groups = [];
  async function loadGroups() {
    const result = await api('GET', '/api/v1/schedule-groups?pageSize=100');
    groups = (result && result.data) || [];
    fill($('#groups-table tbody'), groups.map((group) => el('tr', { 'data-group': group.groupId }, [
      el('td', { text: group.name }), el('td', { text: T('daily_at', { time: group.runAtHhmm }) + ' ' + group.timezone }),
      el('td', { text: group.enabled ? T('yes') : T('no') }), el('td', { text: String(group.sourceCount || 0) }),
      el('td', { text: group.lastTriggeredOn || '—' }),
      el('td', {}, [
        el('button', { type: 'button', class: 'link', text: T('edit'), onclick: () => {
          groupForm.groupId.value = group.groupId; groupForm.name.value = group.name; groupForm.timezone.value = group.timezone;
          groupForm.runAtHhmm.value = group.runAtHhmm; groupForm.enabled.checked = group.enabled;
          $('#group-form-title').textContent = T('edit_group', { name: group.name }); groupForm.name.focus();
        } }), ' ',
        el('button', { type: 'button', class: 'link', text: T('run_now'), onclick: (e) => run(async () => {
          const result = await api('POST', `/api/v1/schedule-groups/${encodeURIComponent(group.groupId)}/runs`);
          flash(T('group_triggered', { name: group.name }) + ' ' + valueText(result && result.data), 'info');
          await loadSources();
        }, e.target) }), ' ',
        el('button', { type: 'button', class: 'link danger', text: T('delete'), onclick: (e) => {
          if (!confirmed(T('confirm_delete_group', { name: group.name }))) return;
          run(async () => { await api('DELETE', `/api/v1/schedule-groups/${encodeURIComponent(group.groupId)}`); await loadGroups(); }, e.target);
        } }),
      ]),
    ])), 6);
    const select = sourceForm.scheduleGroupId, chosen = select.value;
    select.replaceChildren(el('option', { value: '', text: T('none') }), ...groups.map((g) => el('option', { value: g.groupId, text: g.name })));
    select.value = chosen;
  }
  async function loadSources() {
    const result = await api('GET', '/api/v1/sources?pageSize=100');
    const sources = (result && result.data) || [];
    fill($('#sources-table tbody'), sources.map((source) => el('tr', { 'data-source': source.sourceId, id: source.sourceId }, [
      el('td', { text: source.name }), el('td', { text: source.sourceType }), el('td', { text: source.scheduleGroupName || '—' }),
      el('td', { text: source.enabled ? T('yes') : T('no') }),
      el('td', {}, source.lastRun ? [el('a', { href: runHref(source.lastRun.runId), text: source.lastRun.runId }), ' ', statusBadge(source.lastRun.status)] : '—'),
      el('td', {}, [
        el('button', { type: 'button', class: 'link trigger', text: T('collect_now'), onclick: (e) => run(async () => {
          const response = await api('POST', `/api/v1/sources/${encodeURIComponent(source.sourceId)}/runs`, { mode: 'collect' });
          const data = response.data;
          // A second trigger while one runs is suppressed: the API answers with the active run.
          if (data.message) flash(T('trigger_suppressed', { run: data.runId, status: T('status_' + data.status) }), 'info');
          else flash(T('run_queued', { run: data.runId }), 'info');
          await loadSources();
        }, e.target) }), ' ',
        el('button', { type: 'button', class: 'link', text: T('edit'), onclick: () => {
          sourceForm.sourceId.value = source.sourceId; sourceForm.name.value = source.name; sourceForm.sourceType.value = source.sourceType;
          sourceForm.scheduleGroupId.value = source.scheduleGroupId || ''; sourceForm.enabled.checked = source.enabled;
          sourceForm.config.value = JSON.stringify(source.config || {}, null, 2);
          sourceForm.username.value = ''; sourceForm.password.value = '';
          sourceForm.password.placeholder = source.hasCredential ? T('credential_kept') : '';
          $('#source-form-title').textContent = T('edit_source', { name: source.name }); sourceForm.name.focus();
        } }), ' ',
        el('a', { href: `${inventoryBase}/runs?sourceId=${encodeURIComponent(source.sourceId)}`, text: T('nav_runs') }), ' ',
        el('button', { type: 'button', class: 'link danger', text: T('delete'), onclick: (e) => {
          if (!confirmed(T('confirm_delete_source', { name: source.name }))) return;
          run(async () => { await api('DELETE', `/api/v1/sources/${encodeURIComponent(source.sourceId)}`); await loadSources(); }, e.target);
        } }),
      ]),
    ])), 6);
  }
  groupForm.addEventListener('reset', () => { groupForm.groupId.value = ''; $('#group-form-title').textContent = T('create_group'); });
  groupForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const payload = { name: groupForm.name.value.trim(), timezone: groupForm.timezone.value.trim(), runAtHhmm: groupForm.runAtHhmm.value.trim(), enabled: groupForm.enabled.checked };
    run(async () => {
      const id = groupForm.groupId.value;
      if (id) await api('PUT', `/api/v1/schedule-groups/${encodeURIComponent(id)}`, payload);
      else await api('POST', '/api/v1/schedule-groups', payload);
      groupForm.reset();
      flash(T('saved'), 'info');
      await loadGroups();
    }, groupForm.querySelector('button[type=submit]'));
  });
  sourceForm.addEventListener('reset', () => { sourceForm.sourceId.value = ''; sourceForm.password.placeholder = ''; $('#source-form-title').textContent = T('create_source'); });
  sourceForm.addEventListener('submit', (event) => {
    event.preventDefault();
    let config;
    try { config = JSON.parse(sourceForm.config.value || '{}'); } catch (e) { flash(T('config_not_json', { error: e.message }), 'error'); sourceForm.config.focus(); return; }
    const payload = { name: sourceForm.name.value.trim(), sourceType: sourceForm.sourceType.value, enabled: sourceForm.enabled.checked, config,
      scheduleGroupId: sourceForm.scheduleGroupId.value || null };
    // Credentials are write-only: sent when typed, never read back.
    const credential = sourceForm.username.value || sourceForm.password.value
      ? { username: sourceForm.username.value, password: sourceForm.password.value } : null;
    run(async () => {
      const id = sourceForm.sourceId.value;
      if (id) {
        await api('PUT', `/api/v1/sources/${encodeURIComponent(id)}`, payload);
        if (credential) await api('PUT', `/api/v1/sources/${encodeURIComponent(id)}/credential`, credential);
      } else {
        if (!payload.scheduleGroupId) delete payload.scheduleGroupId;
        if (credential) payload.credential = credential;
        await api('POST', '/api/v1/sources', payload);
      }
      sourceForm.reset();
      flash(T('saved'), 'info');
      await loadGroups();
      await loadSources();
    }, sourceForm.querySelector('button[type=submit]'));
  });
  run(async () => { await loadGroups(); await loadSources(); });
};

// ---- runs -------------------------------------------------------------------------------------------------------
function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? ms + ' ms' : ms < 120000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms / 60000) + ' min';
}

pages.runs = function () {
  const form = $('#run-filter');
  const state = { page: 1 };
  const params = new URLSearchParams(location.search);
  let timer = null;
  async function load() {
    clearTimeout(timer);
    const q = new URLSearchParams({ page: String(state.page), pageSize: '20' });
    for (const name of ['sourceId', 'status', 'mode', 'triggerType']) if (form[name].value) q.set(name, form[name].value);
    const result = await api('GET', '/api/v1/runs?' + q);
    const runs = (result && result.data) || [];
    fill($('#ledger-runs-table tbody'), runs.map((item) => el('tr', {}, [
      el('td', {}, el('a', { href: runHref(item.runId), text: item.runId })), el('td', { text: item.sourceName }),
      el('td', { text: item.mode }), el('td', { text: T('trigger_' + item.triggerType) }), el('td', {}, statusBadge(item.status)),
      el('td', { text: when(item.startedAt || item.createdAt) }), el('td', { text: duration(item.durationMs) }),
      el('td', { text: item.errorsCount || item.warningsCount ? T('errors_warnings', { errors: item.errorsCount || 0, warnings: item.warningsCount || 0 }) : '—' }),
    ])), 8);
    pagerFrom(result, state.page);
    // Live: while a listed run is active, look again.
    if (runs.some((item) => item.status === 'Queued' || item.status === 'Running')) timer = setTimeout(() => run(load), 1500);
  }
  form.addEventListener('submit', (event) => { event.preventDefault(); state.page = 1; run(load); });
  pager(load, state);
  run(async () => {
    const names = await sourceNameMap();
    for (const [id, name] of Object.entries(names)) form.sourceId.appendChild(el('option', { value: id, text: name }));
    for (const name of ['sourceId', 'status', 'mode', 'triggerType']) if (params.get(name)) form[name].value = params.get(name);
    await load();
  });
};

pages.run = function () {
  const id = body.dataset.subjectId;
  const path = `/api/v1/runs/${encodeURIComponent(id)}`;
  let timer = null;
  const cancel = $('#run-cancel');
  async function load() {
    const detail = (await api('GET', path)).data;
    $('#run-status').replaceWith(Object.assign(statusBadge(detail.status), { id: 'run-status' }));
    const facts = $('#run-facts');
    facts.replaceChildren();
    for (const [key, value] of [['source', detail.sourceName], ['mode', detail.mode], ['trigger', T('trigger_' + detail.triggerType)],
      ['created', when(detail.createdAt)], ['started', when(detail.startedAt)], ['finished', when(detail.finishedAt)], ['duration', duration(detail.durationMs)]]) {
      facts.append(el('dt', { text: T(key) }), el('dd', { text: value || '—' }));
    }
    const stats = $('#run-stats');
    stats.replaceChildren();
    for (const [key, value] of Object.entries(Object.assign({}, detail.stats || {}, detail.detectResult || {}))) {
      stats.append(el('dt', { text: I18N['stat_' + key] || key }), el('dd', { text: valueText(value) }));
    }
    if (!stats.children.length) stats.append(el('dt', { class: 'muted', text: T('nothing_here') }));
    const problems = [].concat((detail.errors || []).map((p) => ['error', p]), (detail.warnings || []).map((p) => ['warning', p]));
    fill($('#run-problems tbody'), problems.map(([level, problem]) => {
      const item = typeof problem === 'string' ? { message: problem } : problem;
      return el('tr', { class: level }, [el('td', {}, el('span', { class: 'badge ' + (level === 'error' ? 'state-failed' : ''), text: T('level_' + level) })),
        el('td', {}, el('code', { text: item.code || '—' })), el('td', { text: item.message || '' }),
        el('td', { text: I18N['hint_' + item.code] || (item.retryable ? T('hint_retryable') : T('hint_generic')) })]);
    }), 4);
    const active = detail.status === 'Queued' || detail.status === 'Running';
    cancel.hidden = !active || detail.cancelRequested;
    clearTimeout(timer);
    if (active) timer = setTimeout(() => run(load), 1000);
  }
  cancel.addEventListener('click', () => {
    if (!confirmed(T('confirm_cancel_ledger_run', { id }))) return;
    run(async () => { await api('POST', `${path}/cancel`); await load(); }, cancel);
  });
  run(load);
};
