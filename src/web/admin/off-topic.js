// The gaps report's off-topic bucket (GET /v1/admin/gaps → offTopic), under the gaps table: questions that came
// nowhere near the knowledge base and name no product, set apart so they are no product line's gaps. Same filters as
// the gaps table. Uses admin.js's helpers ($, api, cell, fill, status, day).

async function loadOffTopic() {
  const params = new URLSearchParams();
  if ($('#since').value) params.set('since', new Date($('#since').value).toISOString());
  if ($('#until').value) params.set('until', new Date(`${$('#until').value}T23:59:59`).toISOString());
  params.set('audience', $('#gap-audience').value);
  const { offTopic } = await api(`/v1/admin/gaps?${params}`);
  $('#off-topic-count').textContent = String(offTopic.reduce((sum, group) => sum + group.count, 0));
  fill('#off-topic-gaps', offTopic, [
    (r, g) => cell(r, g.count, 'num'),
    (r, g) => cell(r, g.example),
    (r, g) => cell(r, g.questions),
    (r, g) => cell(r, g.languages.join(', ')),
    (r, g) => cell(r, day(g.lastSeen)),
  ]);
}

$('#gap-filter').addEventListener('submit', () => loadOffTopic().catch((error) => status(error.message)));
$('#key-form').addEventListener('submit', () => loadOffTopic().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadOffTopic().catch((error) => status(error.message));
