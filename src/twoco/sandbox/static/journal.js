// The journal page's script (templates/journal.html): it polls /_twoco/requests and shows each
// request as rows. Everything it shows comes from requests, so it only ever sets textContent.
const source = document.getElementById('journal').dataset.source;
const rows = document.getElementById('journal-rows');
const state = document.getElementById('journal-state');
const opened = new Set();
let shown = [], shownKey = '';
function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}
function body(parent, title, text) {
  const label = document.createElement('div');
  label.className = 'hint';
  label.textContent = title;
  const pre = document.createElement('pre');
  pre.textContent = text || '(empty)';
  parent.append(label, pre);
}
function render() {
  rows.replaceChildren();
  for (const request of shown) {
    const row = rows.insertRow();
    row.className = 'request';
    row.dataset.id = String(request.id);
    cell(row, request.time, 'mono');
    cell(row, request.protocol);
    cell(row, request.operation);
    cell(row, request.merchant);
    const ignored = request.ignored_fields || [];
    cell(row, request.outcome + (ignored.length ? ' (' + ignored.length + ' ignored)' : ''),
         request.outcome === 'ok' ? 'good' : 'bad');
    cell(row, String(request.status), 'num');
    cell(row, Number(request.duration_ms).toFixed(2) + ' ms', 'num');
    row.addEventListener('click', () => {
      opened.has(request.id) ? opened.delete(request.id) : opened.add(request.id);
      render();
    });
    if (opened.has(request.id)) {
      const detail = rows.insertRow();
      detail.className = 'bodies';
      const td = detail.insertCell();
      td.colSpan = 7;
      if (ignored.length) body(td, 'fields ignored (2Checkout ignores them too)', ignored.join('\n'));
      body(td, 'request body', request.request_body);
      body(td, 'response body', request.response_body);
    }
  }
}
async function refresh() {
  try {
    const answer = await fetch(source, {cache: 'no-store'});
    if (!answer.ok) throw new Error('HTTP ' + answer.status);
    const requests = (await answer.json()).requests;
    const key = requests.map((request) => request.id).join(',');
    if (key !== shownKey) { shown = requests; shownKey = key; render(); }
    state.textContent = requests.length + ' requests, updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    state.textContent = 'The journal is not available: ' + error.message;
  }
}
refresh();
setInterval(refresh, 1500);
