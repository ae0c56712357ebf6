// Curated answers on the admin page: the list (from files, read-only here, and from the API), creating one, editing
// and deleting the API's own, each with its product line and language. Uses admin.js's helpers ($, api, cell, fill,
// status); text from the API is set as textContent only.
let editingCurated;

const lines = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

async function loadCurated() {
  const { curated } = await api('/v1/admin/curated');
  fill('#curated', curated, [
    (r, c) => cell(r, c.question),
    (r, c) => cell(r, c.paraphrases),
    (r, c) => cell(r, c.answer),
    (r, c) => cell(r, c.lang),
    (r, c) => cell(r, c.productLine || 'any'),
    (r, c) => cell(r, c.source === 'file' ? `file ${c.file || ''} (edit the file)` : `admin ${c.updatedBy ? `· ${c.updatedBy}` : ''}`),
    (r, c) => {
      if (c.source === 'file') return cell(r, '');
      const edit = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Edit 编辑' });
      edit.onclick = () => editCurated(c);
      const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Delete 删除' });
      remove.onclick = () => deleteCurated(c).catch((error) => status(error.message));
      const both = document.createElement('span');
      both.append(edit, remove);
      cell(r, both);
    },
  ]);
}

function editCurated(entry) {
  editingCurated = entry;
  $('#curated-editor').hidden = false;
  $('#curated-editor-title').textContent = entry ? `Edit: ${entry.question}` : 'New curated answer 新建精选答案';
  $('#curated-question').value = entry ? entry.question : '';
  $('#curated-paraphrases').value = entry ? entry.paraphrases.join('\n') : '';
  $('#curated-answer').value = entry ? entry.answer : '';
  $('#curated-lang').value = entry ? entry.lang : 'en';
  $('#curated-line').value = entry?.productLine ?? '';
  $('#curated-audiences').value = entry?.audiences ? entry.audiences.join(', ') : '';
}

async function deleteCurated(entry) {
  if (!confirm(`Delete the curated answer to “${entry.question}”?`)) return;
  await api(`/v1/admin/curated/${encodeURIComponent(entry.id)}`, { method: 'DELETE' });
  if (editingCurated?.id === entry.id) $('#curated-editor').hidden = true;
  await loadCurated();
  status(`Deleted curated answer ${entry.id}.`);
}

$('#curated-new').addEventListener('click', () => editCurated(undefined));
$('#curated-cancel').addEventListener('click', () => {
  $('#curated-editor').hidden = true;
  editingCurated = undefined;
});
$('#curated-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const line = $('#curated-line').value.trim();
  const audiences = $('#curated-audiences').value.trim();
  const body = {
    question: $('#curated-question').value,
    answer: $('#curated-answer').value,
    lang: $('#curated-lang').value,
    paraphrases: lines($('#curated-paraphrases').value),
    ...(line ? { productLine: line } : {}),
    ...(audiences ? { audiences: audiences.split(',').map((name) => name.trim()).filter(Boolean) } : {}),
  };
  try {
    const saved = editingCurated
      ? await api(`/v1/admin/curated/${encodeURIComponent(editingCurated.id)}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      : await api('/v1/admin/curated', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const done = `${editingCurated ? 'Saved' : 'Created'} curated answer ${saved.id}.`;
    $('#curated-editor').hidden = true;
    editingCurated = undefined;
    await loadCurated();
    status(done);
  } catch (error) {
    status(error.message);
  }
});
$('#key-form').addEventListener('submit', () => loadCurated().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadCurated().catch((error) => status(error.message));
