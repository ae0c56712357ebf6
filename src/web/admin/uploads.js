// Uploads on the admin page: the uploads folder's files with whether the serving version holds them, uploading one
// with its progress (XMLHttpRequest: fetch reports no upload progress), and deleting one. A rollback restores the
// table, never the files: the note above the list says so, and a file the serving version lacks is marked as coming
// back at the next ingestion. Uses admin.js's helpers ($, api, cell, fill, status, day, loadJobs, loadVersions).

const sizeText = (bytes) => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`);

async function loadUploads() {
  const { uploads, rollback } = await api('/v1/admin/uploads');
  $('#uploads-rollback').textContent = rollback;
  fill('#uploads', uploads, [
    (r, u) => cell(r, u.name),
    (r, u) => cell(r, sizeText(u.bytes), 'num'),
    (r, u) => cell(r, day(u.modifiedAt)),
    (r, u) => cell(r, u.audiences ? u.audiences.join(', ') : 'everyone'),
    (r, u) => cell(r, u.served ? `yes: ${u.docIds.join(', ')}` : 'no: comes back at the next ingestion unless deleted'),
    (r, u) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Delete 删除';
      button.onclick = () => deleteUpload(u).catch((error) => status(error.message));
      cell(r, button);
    },
  ]);
}

/** Follows an ingestion job to its end, then shows the uploads again (their "in the serving version" changed). */
async function afterUploadJob(job) {
  await loadJobs();
  for (let state = job.state; state === 'running'; ) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    ({ state } = await api(`/v1/admin/jobs/${job.id}`));
  }
  await Promise.all([loadUploads(), loadJobs(), loadVersions()]);
}

async function deleteUpload(upload) {
  if (!confirm(`Delete ${upload.name}? Its documents leave the knowledge base at the ingestion this starts.`)) return;
  const { job } = await api(`/v1/admin/uploads/${encodeURIComponent(upload.name)}`, { method: 'DELETE' });
  status(`Deleting ${upload.name}: ingestion job ${job.id} is running.`);
  await afterUploadJob(job);
}

function sendUpload(file, audiences, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/v1/admin/documents${audiences ? `?audiences=${encodeURIComponent(audiences)}` : ''}`);
    request.setRequestHeader('x-api-key', sessionStorage.getItem('kefu-admin-key') || '');
    const workspace = sessionStorage.getItem('kefu-workspace');
    if (workspace) request.setRequestHeader('x-kefu-workspace', workspace);
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    request.onload = () => {
      let body = {};
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // not JSON: the status says enough
      }
      if (request.status >= 200 && request.status < 300) resolve(body);
      else reject(new Error(body.error ? `${request.status} ${body.error.message}` : `HTTP ${request.status}`));
    };
    request.onerror = () => reject(new Error('The upload failed: the connection was lost.'));
    const form = new FormData();
    form.append('file', file);
    request.send(form);
  });
}

$('#upload-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = $('#upload-file').files[0];
  if (!file) return;
  const progress = $('#upload-progress');
  const progressText = $('#upload-progress-text');
  progress.hidden = false;
  progress.value = 0;
  const shown = (share) => {
    progress.value = Math.round(share * 100);
    progressText.textContent = `${file.name}: ${Math.round(share * 100)} % of ${sizeText(file.size)}`;
  };
  shown(0);
  try {
    const { document: stored, job } = await sendUpload(file, $('#upload-audiences').value.trim(), shown);
    shown(1);
    $('#upload-form').reset();
    status(`Uploaded ${stored.path}: ingestion job ${job.id} is running.`);
    await afterUploadJob(job);
  } catch (error) {
    progressText.textContent = `${file.name}: ${error.message}`;
    status(error.message);
  }
});
$('#key-form').addEventListener('submit', () => loadUploads().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadUploads().catch((error) => status(error.message));
