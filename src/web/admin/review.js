// Conversation review on the admin page: the recorded conversations with filters, a transcript with each answer's
// sources, confidence and mode, and "mark wrong" with the document (or curated answer) that should have answered.
// Uses api(), cell(), fill(), day(), $ and status() from admin.js (loaded first). Text is set as textContent only.
let reviewDocuments;

async function loadConversations() {
  const params = new URLSearchParams({ limit: '200' });
  const filters = { productLine: $('#review-line').value.trim(), outcome: $('#review-outcome').value, rating: $('#review-rating').value, channel: $('#review-channel').value, from: $('#review-from').value, to: $('#review-to').value };
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  const { conversations } = await api(`/v1/admin/conversations?${params}`);
  fill('#conversations', conversations, [
    (r, c) => cell(r, day(c.lastAt)),
    (r, c) => cell(r, c.channel),
    (r, c) => cell(r, c.productLines.join(', ')),
    (r, c) => cell(r, c.turns, 'num'),
    (r, c) => cell(r, c.outcomes.join(', ')),
    (r, c) => cell(r, `${c.thumbsUp}/${c.thumbsDown}`, 'num'),
    (r, c) => cell(r, c.stars ?? ''),
    (r, c) => cell(r, c.lastQuestion),
    (r, c) => {
      const button = document.createElement('button');
      button.textContent = 'Open';
      button.onclick = () => openTranscript(c.sessionId).catch((error) => status(error.message));
      cell(r, button);
    },
  ]);
}

async function documentChoices() {
  if (!reviewDocuments) {
    const [{ documents }, { curated }] = await Promise.all([api('/v1/admin/documents'), api('/v1/admin/curated')]);
    reviewDocuments = { documents, curated };
  }
  return reviewDocuments;
}

// The picker: this turn's own sources first (often the right document was nearly found), then every document, then curated answers.
async function wrongForm(sessionId, turn) {
  const { documents, curated } = await documentChoices();
  const form = document.createElement('form');
  form.className = 'wrong-form';
  const select = document.createElement('select');
  select.className = 'wrong-target';
  select.required = true;
  select.appendChild(new Option('— what should have answered? —', ''));
  const group = (label, options) => {
    const optgroup = document.createElement('optgroup');
    optgroup.label = label;
    for (const [text, value] of options) optgroup.appendChild(new Option(text, value));
    select.appendChild(optgroup);
  };
  const own = new Set(turn.sources.map((source) => source.docId));
  if (own.size) group('Sources of this answer', [...own].map((docId) => [docId, `doc:${docId}`]));
  group(
    'Documents',
    documents.filter((document) => !own.has(document.docId)).map((document) => [document.docId, `doc:${document.docId}`]),
  );
  if (curated.length) group('Curated answers', curated.map((entry) => [`${entry.id}: ${entry.question}`, `curated:${entry.id}`]));
  const note = document.createElement('input');
  note.className = 'wrong-note';
  note.placeholder = 'note (optional)';
  const submit = document.createElement('button');
  submit.textContent = 'Record correction 记录更正';
  form.append(select, note, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const [kind, ...rest] = select.value.split(':');
    const target = rest.join(':');
    try {
      await api(`/v1/admin/conversations/${encodeURIComponent(sessionId)}/turns/${turn.turn}/wrong`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...(kind === 'doc' ? { docId: target } : { curatedId: target }), ...(note.value.trim() ? { note: note.value.trim() } : {}) }),
      });
      status(`Correction recorded for turn ${turn.turn}: it joins the regression set. 已记录更正。`);
      await openTranscript(sessionId);
    } catch (error) {
      status(error.message);
    }
  });
  return form;
}

async function openTranscript(sessionId) {
  const transcript = await api(`/v1/admin/conversations/${encodeURIComponent(sessionId)}`);
  $('#transcript').hidden = false;
  $('#transcript').dataset.sessionId = sessionId;
  $('#transcript-title').textContent = `Conversation ${sessionId}${transcript.stars ? ` · ${transcript.stars}★` : ''}`;
  const list = $('#transcript-turns');
  list.replaceChildren();
  for (const turn of transcript.turns) {
    const item = document.createElement('li');
    item.className = 'turn';
    item.dataset.turn = String(turn.turn);
    const add = (tag, text, className) => {
      const element = document.createElement(tag);
      element.textContent = text;
      if (className) element.className = className;
      item.appendChild(element);
      return element;
    };
    add('p', `${day(turn.at)} · ${turn.channel} · ${turn.productLine} · ${turn.lang}`, 'meta');
    add('pre', `Q: ${turn.question}`, 'turn-question');
    add('pre', `A: ${turn.answer ?? ''}`, 'turn-answer');
    add('p', `outcome ${turn.final} · mode ${turn.mode} · confidence ${Number(turn.confidence).toFixed(2)}${turn.rating ? ` · rated ${turn.rating === 'up' ? 'thumbs up' : 'thumbs down'}` : ''}`, 'turn-meta');
    const sources = document.createElement('ul');
    sources.className = 'turn-sources';
    for (const source of turn.sources) sources.appendChild(document.createElement('li')).textContent = `${source.title} (${source.docId})`;
    item.appendChild(sources);
    for (const correction of turn.corrections) add('p', `Marked wrong by ${correction.by}: should be ${correction.expected.docId ?? `curated ${correction.expected.curatedId}`}${correction.note ? ` (${correction.note})` : ''}`, 'correction');
    const mark = document.createElement('button');
    mark.className = 'mark-wrong';
    mark.textContent = 'Mark wrong 标记错误';
    mark.onclick = async () => {
      try {
        mark.replaceWith(await wrongForm(sessionId, turn));
      } catch (error) {
        status(error.message);
      }
    };
    item.appendChild(mark);
    list.appendChild(item);
  }
}

$('#conversation-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  loadConversations().catch((error) => status(error.message));
});
$('#key-form').addEventListener('submit', () => loadConversations().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadConversations().catch((error) => status(error.message));
