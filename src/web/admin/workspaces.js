// The workspace switcher (docs/workspaces.md): shown only to an operator key. The chosen workspace is kept in
// this tab's sessionStorage; admin.js sends it as X-Kefu-Workspace on every call, so every section of the page
// shows and changes that workspace. Text from the API is set as textContent, never as HTML.
(() => {
  const byId = (id) => document.getElementById(id);
  const section = byId('workspaces');

  async function call(path, init = {}) {
    const response = await fetch(path, { ...init, headers: { 'x-api-key': sessionStorage.getItem('kefu-admin-key') || '', 'content-type': 'application/json', ...(init.headers || {}) } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error ? `${response.status} ${body.error.message}` : `HTTP ${response.status}`);
    return body;
  }

  /** Reloads the rest of the page in the chosen workspace (admin.js loads everything on the key form's submit). */
  const reloadPage = () => byId('key-form').requestSubmit();

  async function load() {
    let workspaces;
    try {
      ({ workspaces } = await call('/v1/admin/workspaces'));
    } catch {
      // Not an operator key: one workspace, no switcher.
      section.hidden = true;
      return;
    }
    section.hidden = false;
    const current = sessionStorage.getItem('kefu-workspace') || 'default';
    const select = byId('workspace-select');
    select.replaceChildren(
      ...workspaces.map((workspace) => {
        const option = document.createElement('option');
        option.value = workspace.id;
        option.textContent = `${workspace.name} (${workspace.id})`;
        option.selected = workspace.id === current;
        return option;
      }),
    );
    const body = byId('workspace-list').tBodies[0];
    body.replaceChildren();
    for (const workspace of workspaces) {
      const row = body.insertRow();
      for (const value of [workspace.id, workspace.name, workspace.createdAt ? new Date(workspace.createdAt).toLocaleString() : '']) row.insertCell().textContent = value;
      const actions = row.insertCell();
      if (workspace.id === 'default') continue;
      const remove = document.createElement('button');
      remove.textContent = 'Delete';
      remove.addEventListener('click', async () => {
        if (!confirm(`Delete workspace ${workspace.id}: its knowledge table, files and data? This cannot be undone.`)) return;
        await call(`/v1/admin/workspaces/${encodeURIComponent(workspace.id)}`, { method: 'DELETE' }).catch((error) => alert(error.message));
        if (sessionStorage.getItem('kefu-workspace') === workspace.id) sessionStorage.removeItem('kefu-workspace');
        await load();
      });
      actions.appendChild(remove);
    }
  }

  byId('workspace-select').addEventListener('change', (event) => {
    const id = event.target.value;
    if (id === 'default') sessionStorage.removeItem('kefu-workspace');
    else sessionStorage.setItem('kefu-workspace', id);
    reloadPage();
  });
  byId('workspace-create').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await call('/v1/admin/workspaces', { method: 'POST', body: JSON.stringify({ id: byId('workspace-id').value, name: byId('workspace-name').value }) });
      event.target.reset();
      await load();
    } catch (error) {
      alert(error.message);
    }
  });
  byId('key-form').addEventListener('submit', () => void load());
  if (sessionStorage.getItem('kefu-admin-key')) void load();
})();
