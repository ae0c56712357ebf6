// The regression gate and contradictions on the admin page: held ingestion jobs with the answers that changed
// (approve or discard), and near-duplicate chunks that disagree, with both sources. Uses admin.js's helpers
// (api, cell, fill, status, day: classic scripts share their top-level names), loaded after it.

const answerText = (answer) => (answer.outcome === 'refused' ? 'refusal 拒答' : `${answer.docId ?? '?'}${answer.title ? ` (${answer.title})` : ''}${answer.right ? '' : ' ✗'}`);

function heldJob(job) {
  const article = document.createElement('article');
  article.className = 'held-job';
  article.dataset.job = job.id;
  const gate = job.summary.gate;
  const title = article.appendChild(document.createElement('h3'));
  title.textContent = `Version ${job.summary.version} held (${job.reason}, ${day(job.finishedAt)})`;
  article.appendChild(document.createElement('p')).textContent = `${gate.reason}. Version ${gate.baselineVersion} keeps serving. Score ${gate.score} (${gate.right}/${gate.cases}).`;
  const table = article.appendChild(document.createElement('table'));
  table.className = 'changed-answers';
  table.createTHead().insertRow().append(...['Change', 'Question', 'Expected', 'Before', 'Now'].map((name) => Object.assign(document.createElement('th'), { textContent: name })));
  const body = table.createTBody();
  for (const change of gate.changed) {
    const row = body.insertRow();
    cell(row, `${change.change === 'broke' ? 'broke 变差' : 'fixed 变好'}${change.pinned ? ' · pinned' : ''}`, change.change);
    cell(row, change.question);
    cell(row, change.expected.join(' / '));
    cell(row, answerText(change.old));
    cell(row, answerText(change.new));
  }
  const decide = (action) => async () => {
    try {
      await api(`/v1/admin/jobs/${job.id}/${action}`, { method: 'POST' });
      await Promise.all([loadRegression(), loadJobs(), loadVersions()]);
      status(`Job ${job.id} ${action === 'approve' ? 'approved: its version serves now' : 'discarded: the published version keeps serving'}.`);
    } catch (error) {
      status(error.message);
    }
  };
  const approve = article.appendChild(Object.assign(document.createElement('button'), { type: 'button', className: 'approve', textContent: 'Approve 批准发布' }));
  approve.addEventListener('click', decide('approve'));
  const discard = article.appendChild(Object.assign(document.createElement('button'), { type: 'button', className: 'discard', textContent: 'Discard 丢弃' }));
  discard.addEventListener('click', decide('discard'));
  return article;
}

const sourceText = (side) => `${side.title} (${side.docId}): “${side.clause}”`;

async function loadRegression() {
  const [{ jobs }, { contradictions, version }] = await Promise.all([api('/v1/admin/jobs?limit=50'), api('/v1/admin/contradictions')]);
  const held = jobs.filter((job) => job.state === 'held' && job.summary && job.summary.gate);
  $('#held-jobs').replaceChildren(...held.map(heldJob));
  $('#held-none').hidden = held.length > 0;
  $('#contradictions-version').textContent = String(version);
  fill('#contradictions', contradictions, [
    (r, c) => cell(r, c.kind),
    (r, c) => cell(r, c.productLine),
    (r, c) => cell(r, sourceText(c.a)),
    (r, c) => cell(r, sourceText(c.b)),
    (r, c) => cell(r, c.similarity, 'num'),
  ]);
}

$('#key-form').addEventListener('submit', () => loadRegression().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadRegression().catch((error) => status(error.message));
