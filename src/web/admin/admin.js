// The admin page: plain DOM, no framework. The key stays in this tab's sessionStorage and goes only to this
// server, in the X-Api-Key header. Text from the API is set as textContent, never as HTML.
const $ = (selector) => document.querySelector(selector);
const status = (text) => ($('#status').textContent = text);

async function api(path, init = {}) {
  // An operator key acts in the workspace chosen in the switcher (workspaces.js).
  const workspace = sessionStorage.getItem('kefu-workspace');
  const response = await fetch(path, { ...init, headers: { 'x-api-key': sessionStorage.getItem('kefu-admin-key') || '', ...(workspace ? { 'x-kefu-workspace': workspace } : {}), ...(init.headers || {}) } });
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
  if ($('#gap-audience')) params.set('audience', $('#gap-audience').value);
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
    // What fixed the gap (an accepted suggestion) and how many of its questions failed since: 0 is a fix that works.
    (r, g) => cell(r, g.fixedBy ? `${g.fixedBy.as} ${g.fixedBy.docId || g.fixedBy.curatedId} · ${g.questionsSinceFix} failed since` : ''),
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
  // A job that ended may have synced a source: its row shows the new numbers.
  else if (jobs[0] && jobs[0].kind === 'sync') await loadSources().catch((error) => status(error.message));
}

// Each source with its last sync (pages, changes, failures, the error of a failed one) and "sync now".
async function loadSources() {
  const { sources } = await api('/v1/admin/sources');
  fill('#sources', sources, [
    (r, s) => cell(r, s.name ? `${s.name} (${s.id})` : s.id),
    (r, s) => cell(r, s.type === 'website' ? `website ${s.startUrls[0]}` : s.type === 'zendesk' || s.type === 'freshdesk' ? `${s.type} ${s.baseUrl}` : 'folder'),
    (r, s) => cell(r, s.enabled ? s.schedule : `${s.schedule} (off)`),
    (r, s) => cell(r, day(s.status && (s.status.lastSyncFinishedAt || s.status.lastSyncStartedAt))),
    (r, s) => cell(r, s.status ? (s.status.lastError ? `${s.status.lastState}: ${s.status.lastError}` : s.status.lastState || 'running') : ''),
    (r, s) => cell(r, s.status && s.status.lastSuccess ? s.status.lastSuccess.report.pages : '', 'num'),
    (r, s) => {
      const report = s.status && s.status.lastReport;
      cell(r, report ? `+${report.pagesAdded} ~${report.pagesChanged} −${report.pagesRemoved}; ${report.pagesFetched} fetched, ${report.pagesNotModified + report.pagesSkipped} unchanged, ${report.bytes} bytes` : '');
    },
    (r, s) => cell(r, s.status && s.status.lastReport ? s.status.lastReport.failures.slice(0, 5).map((f) => `${f.url}: ${f.reason}`) : []),
    (r, s) => {
      if (s.type === 'folder' || !s.enabled) return cell(r, '');
      const button = document.createElement('button');
      button.textContent = 'Sync now';
      button.onclick = async () => {
        try {
          await api(`/v1/admin/sources/${encodeURIComponent(s.id)}/sync`, { method: 'POST' });
          status(`Sync of ${s.id} started.`);
          await loadJobs();
        } catch (error) {
          status(error.message);
        }
      };
      cell(r, button);
    },
  ]);
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
        if (!confirm(`Make version ${v.version} current again? This restores the table only: files still in the knowledge folder come back at the next ingestion.`)) return;
        try {
          const result = await api('/v1/admin/rollback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: v.version }) });
          status(result.note);
          await loadVersions();
          // The uploads section says which files the restored version lacks (uploads.js).
          if (typeof loadUploads === 'function') await loadUploads();
        } catch (error) {
          status(error.message);
        }
      };
      cell(r, button);
    },
  ]);
}

// E-mail review: the list by state, one draft opened with its reply editable, approve (with the edits) or reject.
let openDraft;
const post = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });

async function loadDrafts() {
  const state = $('#draft-state').value;
  let drafts;
  try {
    ({ drafts } = await api(`/v1/admin/drafts?limit=200${state ? `&state=${state}` : ''}`));
  } catch (error) {
    // The channel is off: say so in its section instead of failing the page.
    if (/^404 /.test(error.message)) {
      $('#email-off').hidden = false;
      $('#draft-filter').hidden = true;
      return;
    }
    throw error;
  }
  fill('#drafts', drafts, [
    (r, d) => cell(r, day(d.createdAt)),
    (r, d) => cell(r, d.from.name ? `${d.from.name} <${d.from.address}>` : d.from.address),
    (r, d) => cell(r, d.subject),
    (r, d) => cell(r, d.review.reasons.length ? d.review.reasons.map((reason) => (reason.matched ? `${reason.label} (“${reason.matched}”)` : reason.label)) : d.review.required ? 'every draft is reviewed 所有草稿均需审核' : ''),
    (r, d) => cell(r, d.answer.mode),
    (r, d) => cell(r, draftState(d)),
    (r, d) => {
      const button = document.createElement('button');
      button.textContent = 'Open';
      button.onclick = () => showDraft(d);
      cell(r, button);
    },
  ]);
  await loadDeadLetters();
  // The open pane follows the list: a draft sent after a retry must not stay "send_failed" with Approve enabled.
  if (openDraft) {
    const current = drafts.find((d) => d.id === openDraft.id) ?? (await api(`/v1/admin/drafts/${openDraft.id}`).catch(() => undefined));
    if (current?.draft) showDraft(current);
  }
}

/** The state as a reviewer needs it: a send error only while it still matters, and the attempts of a retrying send. */
function draftState(d) {
  if (d.state === 'send_failed') return `send_failed after ${d.sendAttempts} attempt(s): ${d.sendError ?? ''}`;
  if (d.state === 'approved' && d.sendError) return `approved, retrying (${d.sendAttempts} failed attempt(s)): ${d.sendError}`;
  if (d.state === 'not_answered') return `not answered: ${d.notAnswered?.code ?? ''}`;
  return d.state;
}

function showDraft(draft) {
  openDraft = draft;
  const reply = draft.final || draft.draft;
  $('#draft').hidden = false;
  $('#draft-title').textContent = draft.subject || '(no subject)';
  $('#draft-meta').textContent = `${draft.from.address} · ${draft.lang} · line ${draft.answer.productLine} · confidence ${draft.answer.confidence.toFixed(2)} · ${draftState(draft)}${draft.handoff ? ' · needs a person (holding reply)' : ''}`;
  $('#draft-customer').textContent = draft.customerText;
  $('#draft-quoted').textContent = [draft.quoted, draft.signature].filter(Boolean).join('\n\n');
  $('#draft-attachments').textContent = draft.attachments.length ? `Attachments (not read): ${draft.attachments.map((a) => a.filename).join(', ')}` : '';
  $('#draft-subject').value = reply.subject;
  $('#draft-text').value = reply.text;
  const open = draft.state === 'pending_review' || draft.state === 'send_failed';
  for (const id of ['#approve', '#reject', '#draft-subject', '#draft-text']) $(id).disabled = !open;
}

async function loadDeadLetters() {
  const { deadLetters } = await api('/v1/admin/email/dead-letters?limit=50');
  fill('#dead-letters', deadLetters, [
    (r, d) => cell(r, day(d.failedAt)),
    (r, d) => cell(r, d.queue),
    (r, d) => cell(r, d.target),
    (r, d) => cell(r, d.attemptsMade, 'num'),
    (r, d) => cell(r, d.failedReason),
    (r, d) => {
      const button = document.createElement('button');
      button.textContent = 'Retry';
      button.onclick = () => post(`/v1/admin/email/dead-letters/${d.queue}/${encodeURIComponent(d.jobId)}/retry`).then(loadDrafts).catch((error) => status(error.message));
      cell(r, button);
    },
  ]);
}

$('#draft-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  loadDrafts().catch((error) => status(error.message));
});
$('#draft-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const approved = await post(`/v1/admin/drafts/${openDraft.id}/approve`, { subject: $('#draft-subject').value, text: $('#draft-text').value });
    showDraft(approved);
    status('Approved: the reply is being sent. 已批准，正在发送。');
    await loadDrafts();
  } catch (error) {
    status(error.message);
  }
});
$('#reject').addEventListener('click', async () => {
  const reason = prompt('Why reject this draft? (optional) 拒绝原因（可选）');
  if (reason === null) return;
  try {
    showDraft(await post(`/v1/admin/drafts/${openDraft.id}/reject`, reason ? { reason } : {}));
    await loadDrafts();
  } catch (error) {
    status(error.message);
  }
});

async function loadAll() {
  status('');
  try {
    await Promise.all([loadGaps(), loadJobs(), loadVersions(), loadDrafts(), loadSources()]);
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
