// Handoffs on the admin page: requests for a person, open or closed; one opened with the conversation that led to it
// (conversation review's transcript), the resolutions recorded so far, recording how it was answered (which becomes
// a suggested answer) and closing it. Uses admin.js's helpers ($, api, cell, fill, status, day); every field a
// customer wrote (name, e-mail, question) is set as textContent only.
let openHandoff;

const handoffFrom = (h) => `${h.name} <${h.email}>`;

async function loadHandoffs() {
  const selected = $('#handoff-status').value;
  const { handoffs } = await api(`/v1/admin/handoffs?limit=500${selected ? `&status=${selected}` : ''}`);
  fill('#handoffs', handoffs, [
    (r, h) => cell(r, day(h.at)),
    (r, h) => cell(r, handoffFrom(h)),
    (r, h) => cell(r, h.productLine || ''),
    (r, h) => cell(r, h.question),
    (r, h) => cell(r, h.status === 'closed' ? `closed ${day(h.closed.at)}` : 'open'),
    (r, h) => cell(r, h.resolutions.length, 'num'),
    (r, h) => {
      const button = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Open 打开' });
      button.onclick = () => showHandoff(h.id).catch((error) => status(error.message));
      cell(r, button);
    },
  ]);
}

async function handoffConversation(handoff) {
  // A widget conversation has a session; a single answer is a conversation of its own, named by its answer id.
  const id = handoff.sessionId || handoff.answerId;
  if (!id) return [];
  try {
    return (await api(`/v1/admin/conversations/${encodeURIComponent(id)}`)).turns;
  } catch (error) {
    if (/^404 /.test(error.message)) return [];
    throw error;
  }
}

async function showHandoff(id) {
  const handoff = await api(`/v1/admin/handoffs/${encodeURIComponent(id)}`);
  openHandoff = handoff;
  $('#handoff').hidden = false;
  $('#handoff').dataset.handoff = handoff.id;
  $('#handoff-title').textContent = `${handoffFrom(handoff)} · ${handoff.status}`;
  $('#handoff-meta').textContent = `asked ${day(handoff.at)} · line ${handoff.productLine || '—'} · ${handoff.lang || ''}${handoff.closed ? ` · closed by ${handoff.closed.by} ${day(handoff.closed.at)}` : ''}`;
  $('#handoff-question').textContent = handoff.question;
  const turns = await handoffConversation(handoff);
  $('#handoff-no-conversation').hidden = turns.length > 0;
  $('#handoff-conversation').replaceChildren(
    ...turns.map((turn) => {
      const item = document.createElement('li');
      item.className = 'turn';
      item.appendChild(document.createElement('p')).textContent = `${day(turn.at)} · ${turn.channel} · outcome ${turn.final}`;
      const question = item.appendChild(document.createElement('pre'));
      question.textContent = `Q: ${turn.question}`;
      const answer = item.appendChild(document.createElement('pre'));
      answer.textContent = `A: ${turn.answer ?? ''}`;
      return item;
    }),
  );
  $('#handoff-resolutions').replaceChildren(
    ...handoff.resolutions.map((resolution) => {
      const item = document.createElement('li');
      item.textContent = `${day(resolution.at)} · ${resolution.by}: ${resolution.answer}${resolution.note ? ` (${resolution.note})` : ''}`;
      return item;
    }),
  );
  $('#handoff-close').disabled = handoff.status === 'closed';
}

$('#handoff-resolution-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const understood = $('#handoff-understood').value.trim();
  const note = $('#handoff-note').value.trim();
  try {
    const { suggestion } = await api(`/v1/admin/handoffs/${encodeURIComponent(openHandoff.id)}/resolution`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ answer: $('#handoff-answer').value, ...(understood ? { question: understood } : {}), ...(note ? { note } : {}) }),
    });
    $('#handoff-resolution-form').reset();
    await Promise.all([showHandoff(openHandoff.id), loadHandoffs(), typeof loadSuggestions === 'function' ? loadSuggestions() : undefined]);
    // Said once the pane and the list show it.
    status(`Resolution recorded; it is suggested answer ${suggestion.id} now. 已记录答复。`);
  } catch (error) {
    status(error.message);
  }
});
$('#handoff-close').addEventListener('click', async () => {
  try {
    await api(`/v1/admin/handoffs/${encodeURIComponent(openHandoff.id)}/close`, { method: 'POST' });
    await Promise.all([showHandoff(openHandoff.id), loadHandoffs()]);
    status(`Handoff from ${openHandoff.email} closed. 已关闭。`);
  } catch (error) {
    status(error.message);
  }
});
$('#handoff-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  loadHandoffs().catch((error) => status(error.message));
});
$('#key-form').addEventListener('submit', () => loadHandoffs().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadHandoffs().catch((error) => status(error.message));
