// The suggested-answers section of /admin: suggestions from people's replies (and drafts for unanswered gaps),
// opened, edited and accepted as a FAQ entry or a curated answer, or rejected. Loaded after admin.js, whose
// helpers ($, api, cell, fill, status, day, loadGaps, loadJobs) it uses; text from the API is set as textContent.
let openSuggestion;

const origins = { email: 'e-mail reply 邮件回复', handoff: 'handoff resolution 转人工答复', gap: 'gap draft 缺口草稿' };
const answerBy = { human: 'a person', model: 'drafted by the model 模型起草', none: 'needs an author 待撰写' };

async function loadSuggestions() {
  const params = new URLSearchParams();
  if ($('#suggestion-status').value) params.set('status', $('#suggestion-status').value);
  const { suggestions } = await api(`/v1/admin/suggestions?${params}`);
  fill('#suggestions', suggestions, [
    (r, s) => cell(r, s.impact.asked, 'num'),
    (r, s) => cell(r, day(s.impact.lastAsked)),
    (r, s) => cell(r, [s.question, ...s.paraphrases.map((text) => `≈ ${text}`)]),
    (r, s) => cell(r, s.needsAuthor ? answerBy.none : s.answer),
    (r, s) => cell(r, `${origins[s.origin.kind]}${s.answerBy === 'model' ? ` · ${answerBy.model}` : ''}`),
    (r, s) => cell(r, s.sources.map((source) => `${source.title}${source.heading ? ` — ${source.heading}` : ''}`)),
    (r, s) => cell(r, s.decision?.as ? `${s.status} as ${s.decision.as} (${s.decision.docId || s.decision.curatedId})` : s.status),
    (r, s) => {
      const button = document.createElement('button');
      button.textContent = 'Review';
      button.onclick = () => showSuggestion(s);
      cell(r, s.status === 'open' ? button : '');
    },
  ]);
}

function showSuggestion(suggestion) {
  openSuggestion = suggestion;
  $('#suggestion').hidden = false;
  $('#suggestion-title').textContent = suggestion.question;
  const gap = suggestion.gap ? ` · gap of ${suggestion.impact.asked} question(s), first ${day(suggestion.impact.firstAsked)}` : '';
  $('#suggestion-meta').textContent = `${origins[suggestion.origin.kind]} · ${suggestion.lang} · line ${suggestion.productLine || '—'} · answer by ${answerBy[suggestion.answerBy]}${gap}`;
  $('#suggestion-question').value = suggestion.question;
  $('#suggestion-paraphrases').value = suggestion.paraphrases.join('\n');
  $('#suggestion-answer').value = suggestion.answer;
}

async function decide(path, body, done) {
  try {
    const result = await api(`/v1/admin/suggestions/${openSuggestion.id}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    $('#suggestion').hidden = true;
    openSuggestion = undefined;
    status(done(result));
    await Promise.all([loadSuggestions(), loadGaps(), loadJobs()]);
  } catch (error) {
    status(error.message);
  }
}

function accept(as) {
  const paraphrases = $('#suggestion-paraphrases')
    .value.split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return decide('accept', { as, question: $('#suggestion-question').value, answer: $('#suggestion-answer').value, paraphrases }, (result) =>
    result.job ? `Accepted as FAQ entry ${result.suggestion.decision.docId}: ingestion job ${result.job.id} is running.` : `Accepted as curated answer ${result.suggestion.decision.curatedId}.`,
  );
}

$('#suggestion-form').addEventListener('submit', (event) => {
  event.preventDefault();
  accept('faq');
});
$('#accept-curated').addEventListener('click', () => accept('curated'));
$('#reject-suggestion').addEventListener('click', () => decide('reject', {}, () => 'Rejected.'));
$('#suggestion-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  loadSuggestions().catch((error) => status(error.message));
});
$('#suggest-from-gaps').addEventListener('click', async () => {
  try {
    const { suggestions } = await api('/v1/admin/suggestions/from-gaps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    status(`${suggestions.length} new suggestion(s) for unanswered gaps.`);
    await loadSuggestions();
  } catch (error) {
    status(error.message);
  }
});
$('#key-form').addEventListener('submit', () => loadSuggestions().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadSuggestions().catch((error) => status(error.message));
