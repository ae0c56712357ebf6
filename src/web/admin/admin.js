// The admin page: plain DOM, no framework. The key stays in this tab's sessionStorage and goes only to this
// server, in the X-Api-Key header. Text from the API is set as textContent, never as HTML.
const $ = (selector) => document.querySelector(selector);
const status = (text) => ($('#status').textContent = text);

async function api(path, init = {}) {
  const response = await fetch(path, { ...init, headers: { 'x-api-key': sessionStorage.getItem('kefu-admin-key') || '', ...(init.headers || {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ? `${response.status} ${body.error.message}` : `HTTP ${response.status}`);
  return body;
}

function cell(row, value, className) {
  const td = row.insertCell();
  if (Array.isArray(value)) {
    const list = document.createElement('ul');
    for (const item of value) list.appendChild(document.createElement('li')).textContent = item;
    td.appendChild(list);
  } else if (value instanceof Node) td.appendChild(value);
  else td.textContent = value == null ? '' : String(value);
  if (className) td.className = className;
}

function fill(table, rows, columns) {
  const body = $(table).tBodies[0];
  body.replaceChildren();
  for (const item of rows) {
    const row = body.insertRow();
    for (const column of columns) column(row, item);
  }
}

const day = (value) => (value ? new Date(value).toLocaleString() : '');

async function loadGaps() {
  const params = new URLSearchParams();
  if ($('#since').value) params.set('since', new Date($('#since').value).toISOString());
  if ($('#until').value) params.set('until', new Date(`${$('#until').value}T23:59:59`).toISOString());
  if ($('#line').value.trim()) params.set('productLine', $('#line').value.trim());
  const { gaps } = await api(`/v1/admin/gaps?${params}`);
  fill('#gaps', gaps, [
    (r, g) => cell(r, g.count, 'num'),
    (r, g) => cell(r, g.refused, 'num'),
    (r, g) => cell(r, g.thumbsDown, 'num'),
    (r, g) => cell(r, g.productLine),
    (r, g) => cell(r, g.example),
    (r, g) => cell(r, g.questions),
    (r, g) => cell(r, day(g.firstSeen)),
    (r, g) => cell(r, day(g.lastSeen)),
  ]);
}

async function loadJobs() {
  const { jobs } = await api('/v1/admin/jobs?limit=20');
  fill('#jobs', jobs, [
    (r, j) => cell(r, day(j.startedAt)),
    (r, j) => cell(r, j.reason),
    (r, j) => cell(r, j.error ? `${j.state}: ${j.error}` : j.state),
    (r, j) => cell(r, j.phase),
    (r, j) => cell(r, `${j.files.done}/${j.files.total}`, 'num'),
    (r, j) => cell(r, `${j.chunks.done}/${j.chunks.total} (${j.chunks.perSecond}/s)`, 'num'),
    (r, j) => cell(r, j.failures.map((f) => `${f.path}: ${f.reason}`)),
    (r, j) => cell(r, j.startedBy),
  ]);
  if (jobs[0] && jobs[0].state === 'running') setTimeout(() => loadJobs().catch((error) => status(error.message)), 1000);
}

async function loadVersions() {
  const { current, versions } = await api('/v1/admin/versions');
  fill('#versions', versions.slice().reverse(), [
    (r, v) => cell(r, v.version === current ? `${v.version} (current)` : v.version),
    (r, v) => cell(r, day(v.timestamp)),
    (r, v) => cell(r, v.tag),
    (r, v) => {
      if (!v.tag || v.version === current) return cell(r, '');
      const button = document.createElement('button');
      button.textContent = 'Roll back to this';
      button.onclick = async () => {
        if (!confirm(`Make version ${v.version} current again?`)) return;
        try {
          await api('/v1/admin/rollback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: v.version }) });
          await loadVersions();
        } catch (error) {
          status(error.message);
        }
      };
      cell(r, button);
    },
  ]);
}

async function loadAll() {
  status('');
  try {
    await Promise.all([loadGaps(), loadJobs(), loadVersions()]);
    $('main').hidden = false;
  } catch (error) {
    status(error.message);
  }
}

$('#key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('kefu-admin-key', $('#key').value);
  loadAll();
});
$('#gap-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  loadGaps().catch((error) => status(error.message));
});
$('#ingest').addEventListener('click', async () => {
  try {
    await api('/v1/admin/ingest', { method: 'POST' });
    await loadJobs();
  } catch (error) {
    status(error.message);
  }
});
if (sessionStorage.getItem('kefu-admin-key')) loadAll();
