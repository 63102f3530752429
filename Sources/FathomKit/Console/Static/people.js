// Fathom console: accounts, classifications, cache and audit pages. Loaded after console.js, whose helpers it uses.
'use strict';

function yesNo(value) { return value ? T('yes') : T('no'); }
function classBadges(classes) {
  return (classes || []).map((c) => el('span', { class: 'badge risk-' + c.risk_level, title: T('risk_level') + ' ' + c.risk_level, text: c.display_name || c.code }));
}
function offsetPager(data, page) {
  const total = Number((data && data.total) || 0), limit = Number((data && data.limit) || 20);
  const pages = Number((data && data.pages) || Math.max(1, Math.ceil(total / limit)));
  $('#page-info').textContent = T('page_of', { page, pages, total });
  $('#prev-page').disabled = page <= 1;
  $('#next-page').disabled = page >= pages;
}
async function classificationList() {
  const result = await api('GET', '/api/v1/accounts/classifications');
  const data = result && result.data;
  return Array.isArray(data) ? data : itemsOf(data);
}

// ---- account ledger ---------------------------------------------------------------------------------------------
pages.accounts = function () {
  const form = $('#account-filter');
  const state = { page: 1 };
  function filters() {
    const q = new URLSearchParams();
    for (const name of ['search', 'instance_id', 'classification', 'is_superuser', 'is_locked']) if (form[name].value.trim()) q.set(name, form[name].value.trim());
    return q;
  }
  async function load() {
    const q = filters();
    $('#account-export').href = '/api/v1/accounts/ledgers/exports' + (q.toString() ? '?' + q : '');
    q.set('page', String(state.page)); q.set('limit', '20');
    const result = await api('GET', '/api/v1/accounts/ledgers?' + q);
    const data = (result && result.data) || {};
    fill($('#accounts-table tbody'), itemsOf(data).map((account) => el('tr', { 'data-account': account.username }, [
      el('td', {}, el('a', { href: '/accounts/' + encodeURIComponent(account.account_id), text: account.username })),
      el('td', { text: (account.instance && account.instance.name) || '' }), el('td', { text: account.db_type }),
      el('td', { text: [account.is_superuser ? T('superuser') : null, account.is_locked ? T('locked') : null, account.is_deleted ? T('deleted') : null].filter(Boolean).join(', ') || '—' }),
      el('td', { class: 'classes' }, classBadges(account.classifications)), el('td', { text: (account.roles || []).join(', ') || '—' }),
      el('td', { text: when(account.last_seen_at) }),
    ])), 7);
    offsetPager(data, state.page);
  }
  form.addEventListener('submit', (event) => { event.preventDefault(); state.page = 1; run(load); });
  $('#next-page').addEventListener('click', () => { state.page++; run(load); });
  $('#prev-page').addEventListener('click', () => { state.page = Math.max(1, state.page - 1); run(load); });
  $('#sync-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const sync = event.target;
    run(async () => {
      const id = sync.instance_id.value.trim();
      const result = await api('POST', id ? `/api/v1/instances/${encodeURIComponent(id)}/actions/sync-accounts` : '/api/v1/instances/actions/sync-accounts');
      flash(T('sync_started', { run: (result && result.data && result.data.run_id) || '?' }), 'info');
    }, sync.querySelector('button'));
  });
  run(async () => {
    for (const c of await classificationList()) form.classification.appendChild(el('option', { value: c.code, text: c.display_name || c.code }));
    await load();
  });
};

pages.account = function () {
  const id = body.dataset.subjectId;
  run(async () => {
    const data = (await api('GET', `/api/v1/accounts/ledgers/${encodeURIComponent(id)}/permissions`)).data;
    $('#acct-name').textContent = data.username;
    const snapshot = data.snapshot || {}, facts = data.facts || {};
    const attributes = $('#acct-attributes');
    attributes.replaceChildren();
    for (const [key, value] of [['instance_id', String(data.instance_id)], ['db_type', data.db_type], ['state', data.is_active ? T('active') : T('deleted')],
      ['capabilities', (facts.capabilities || []).join(', ') || '—']]) attributes.append(el('dt', { text: T(key) }), el('dd', { text: value }));
    for (const [key, value] of Object.entries(snapshot.attributes || {}).sort()) attributes.append(el('dt', {}, el('code', { text: key })), el('dd', { text: valueText(value) }));
    const roles = Object.entries(snapshot.roles || {}).sort();
    $('#acct-roles').replaceChildren(...(roles.length ? roles.map(([role, admin]) => el('li', {}, [el('code', { text: role }), admin ? ' ' + T('with_admin_option') : ''])) : [el('li', { class: 'muted', text: T('nothing_here') })]));
    const rows = [];
    for (const [scope, objects] of Object.entries(snapshot.privileges || {}).sort()) {
      for (const [object, privileges] of Object.entries(objects).sort()) {
        rows.push(el('tr', {}, [el('td', { text: T('scope_' + scope) }), el('td', {}, el('code', { text: object })), el('td', { text: privileges.join(', ') })]));
      }
    }
    fill($('#acct-privileges tbody'), rows, 3);
    const ledger = await api('GET', '/api/v1/accounts/ledgers?limit=50&search=' + encodeURIComponent(data.username) + '&instance_id=' + encodeURIComponent(data.instance_id));
    const match = itemsOf(ledger && ledger.data).find((a) => String(a.account_id) === String(id));
    if (match) $('#acct-classes').replaceChildren(...classBadges(match.classifications));
    const history = await api('GET', `/api/v1/accounts/ledgers/${encodeURIComponent(id)}/change-history?limit=50`);
    const items = itemsOf(history && history.data);
    $('#acct-history').replaceChildren(...(items.length ? items.map((change) => el('li', { class: 'change-' + change.change_type }, [
      el('strong', { text: I18N['change_' + change.change_type] || change.change_type }), ' ', el('span', { class: 'muted', text: when(change.changed_at) }),
      el('div', { text: change.message || '' }),
    ])) : [el('li', { class: 'muted', text: T('nothing_here') })]));
  });
};

// ---- classifications and rules ----------------------------------------------------------------------------------
pages.classifications = function () {
  const classForm = $('#class-form'), ruleForm = $('#rule-form');
  let classes = [];
  async function load() {
    classes = await classificationList();
    fill($('#classes-table tbody'), classes.map((c) => el('tr', { 'data-class': c.code }, [
      el('td', {}, el('code', { text: c.code })), el('td', { text: c.display_name }), el('td', { text: String(c.risk_level) }),
      el('td', { text: String(c.rule_count) }), el('td', { text: String(c.account_count) }),
      el('td', {}, c.is_system ? el('span', { class: 'muted', text: T('system') }) : el('button', { type: 'button', class: 'link danger', text: T('delete'), onclick: (e) => {
        if (!confirmed(T('confirm_delete_classification', { name: c.display_name }))) return;
        run(async () => { await api('DELETE', `/api/v1/accounts/classifications/${c.classification_id}`); await load(); }, e.target);
      } })),
    ])), 6);
    const chosen = ruleForm.classification_id.value;
    ruleForm.classification_id.replaceChildren(...classes.map((c) => el('option', { value: String(c.classification_id), text: c.display_name })));
    if (chosen) ruleForm.classification_id.value = chosen;
    const result = await api('GET', '/api/v1/accounts/classifications/rules');
    const rules = Array.isArray(result && result.data) ? result.data : itemsOf(result && result.data);
    fill($('#rules-table tbody'), rules.filter((r) => !r.is_deleted && !r.superseded_by).map((rule) => {
      const toggle = el('input', { type: 'checkbox', checked: rule.is_active, 'aria-label': T('enabled') + ' ' + rule.rule_name });
      toggle.addEventListener('change', () => run(async () => { await api('PUT', `/api/v1/accounts/classifications/rules/${rule.rule_id}`, { is_active: toggle.checked }); await load(); }, toggle));
      return el('tr', { 'data-rule': rule.rule_name }, [
        el('td', { text: rule.rule_name }), el('td', { text: rule.classification_code }), el('td', { text: rule.db_type }),
        el('td', { text: String(rule.version) }), el('td', {}, toggle),
        el('td', {}, el('button', { type: 'button', class: 'link danger', text: T('delete'), onclick: (e) => {
          if (!confirmed(T('confirm_delete_rule', { name: rule.rule_name }))) return;
          run(async () => { await api('DELETE', `/api/v1/accounts/classifications/rules/${rule.rule_id}`); await load(); }, e.target);
        } })),
      ]);
    }), 6);
  }
  classForm.addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      await api('POST', '/api/v1/accounts/classifications', { code: classForm.code.value.trim(), display_name: classForm.display_name.value.trim(), risk_level: Number(classForm.risk_level.value) });
      classForm.reset();
      await load();
    }, classForm.querySelector('button'));
  });
  // Live validation: the server's parser names every problem by its path, as it will on save.
  const status = $('#rl-expr-status');
  let pending = null;
  async function validate() {
    let expression;
    try { expression = JSON.parse(ruleForm.rule_expression.value); } catch (e) {
      status.className = 'error-text'; status.textContent = T('expression_not_json', { error: e.message }); return false;
    }
    try {
      await api('POST', '/api/v1/accounts/classifications/rules/actions/validate-expression', { rule_expression: expression });
      status.className = 'ok-text'; status.textContent = T('expression_valid');
      await preview(expression);
      return true;
    } catch (error) {
      status.className = 'error-text';
      status.textContent = error.message + ((error.details || []).length ? ': ' + error.details.map((d) => `${d.field} — ${d.message || d.issue}`).join('; ') : '');
      return false;
    }
  }
  // "Which accounts would match": the same evaluation auto-classify makes, over the stored facts; nothing changes.
  async function preview(expression) {
    const result = await api('POST', '/api/v1/accounts/classifications/rules/actions/preview',
      { rule_expression: expression, db_type: ruleForm.db_type.value });
    const data = (result && result.data) || { matched: 0, scanned: 0, accounts: [] };
    $('#rule-preview-count').textContent = T('preview_count', { matched: data.matched, scanned: data.scanned });
    $('#rule-preview-list').replaceChildren(...data.accounts.map((a) => el('li', { 'data-account': a.username }, [
      el('a', { href: '/accounts/' + encodeURIComponent(a.account_id), text: a.username }), ' ',
      el('span', { class: 'muted', text: T('instance_id') + ' ' + a.instance_id })])));
  }
  ruleForm.db_type.addEventListener('change', () => run(validate));
  ruleForm.rule_expression.addEventListener('input', () => { clearTimeout(pending); pending = setTimeout(validate, 300); });
  ruleForm.addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      if (!(await validate())) { ruleForm.rule_expression.focus(); return; }
      await api('POST', '/api/v1/accounts/classifications/rules', {
        rule_name: ruleForm.rule_name.value.trim(), classification_id: Number(ruleForm.classification_id.value),
        db_type: ruleForm.db_type.value, rule_expression: JSON.parse(ruleForm.rule_expression.value), is_active: true,
      });
      // Apply the rules now, so the ledger shows the new classes at once.
      await api('POST', '/api/v1/accounts/classifications/actions/auto-classify');
      ruleForm.rule_name.value = '';
      flash(T('rule_created'), 'info');
      await load();
    }, ruleForm.querySelector('button[type=submit]'));
  });
  run(async () => { await load(); await validate(); });
};

// ---- cache --------------------------------------------------------------------------------------------------
pages['admin-cache'] = function () {
  async function load() {
    const result = (await api('GET', '/api/v1/cache/stats')).data || {};
    const data = result.stats || result;
    $('#cache-entries').textContent = String(data.entries || 0);
    $('#cache-ratio').textContent = ((data.hit_ratio || 0) * 100).toFixed(1) + '%';
    $('#cache-memory').textContent = bytes(data.memory_bytes || 0);
    fill($('#cache-table tbody'), Object.entries(data.namespaces || {}).sort().map(([name, ns]) => el('tr', { 'data-namespace': name }, [
      el('td', {}, el('code', { text: name })), el('td', { class: 'entries', text: String(ns.entries) }), el('td', { text: String(ns.hits) }),
      el('td', { text: String(ns.misses) }), el('td', { text: ((ns.hit_ratio || 0) * 100).toFixed(1) + '%' }),
      el('td', { text: String(ns.evictions) }), el('td', { text: bytes(ns.memory_bytes) }),
    ])), 7);
  }
  function clear(button, message, path, payload) {
    if (!confirmed(message)) return;
    run(async () => {
      const result = await api('POST', path, payload);
      const count = result && result.data && (result.data.cleared_count ?? result.data.cleared);
      flash(T('cache_cleared', { count: count === undefined ? '?' : count }), 'info');
      await load();
    }, button);
  }
  $('#clear-instance').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = Number(event.target.instance_id.value);
    clear(event.target.querySelector('button'), T('confirm_clear_instance', { id }), '/api/v1/cache/actions/clear-instance', { instance_id: id });
  });
  $('#clear-user').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    clear(form.querySelector('button'), T('confirm_clear_user', { name: form.username.value }), '/api/v1/cache/actions/clear-user',
      { instance_id: Number(form.instance_id.value), username: form.username.value.trim() });
  });
  $('#clear-classification').addEventListener('click', (e) => clear(e.target, T('confirm_clear_classification'), '/api/v1/cache/actions/clear-classification', {}));
  $('#clear-all').addEventListener('click', (e) => clear(e.target, T('confirm_clear_all'), '/api/v1/cache/actions/clear-all'));
  run(load);
};

// ---- audit log ----------------------------------------------------------------------------------------------
pages['admin-audit'] = function () {
  const form = $('#audit-filter');
  const state = { page: 1 };
  async function load() {
    const q = new URLSearchParams({ page: String(state.page), pageSize: '20' });
    for (const name of ['type', 'actor', 'target']) if (form[name].value.trim()) q.set(name, form[name].value.trim());
    if (form.since.value) q.set('since', form.since.value + 'T00:00:00Z');
    const result = await api('GET', '/api/v1/audit-events?' + q);
    fill($('#audit-table tbody'), ((result && result.data) || []).map((event) => el('tr', {}, [
      el('td', { text: when(event.occurredAt) }), el('td', {}, el('code', { text: event.type })), el('td', { text: event.actor }),
      el('td', { text: `${event.targetType} ${event.targetId}` }), el('td', {}, el('code', { text: JSON.stringify(event.details || {}) })),
    ])), 5);
    const p = (result && result.pagination) || {};
    const pages = Math.max(1, Number(p.totalPages || 1));
    $('#page-info').textContent = T('page_of', { page: state.page, pages, total: Number(p.total || 0) });
    $('#prev-page').disabled = state.page <= 1;
    $('#next-page').disabled = state.page >= pages;
  }
  form.addEventListener('submit', (event) => { event.preventDefault(); state.page = 1; run(load); });
  $('#next-page').addEventListener('click', () => { state.page++; run(load); });
  $('#prev-page').addEventListener('click', () => { state.page = Math.max(1, state.page - 1); run(load); });
  run(load);
};
