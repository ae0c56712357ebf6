// A created workspace's messaging accounts and hand-off webhook (docs/workspaces.md), for an operator acting in it:
// the account ids are its settings (PATCH /v1/admin/workspaces/:id); the secrets are never entered here, they are
// the deployment's WORKSPACE_SECRETS, and the form shows which of them are missing. Text from the API is set as
// textContent, never as HTML.
(() => {
  const byId = (id) => document.getElementById(id);
  const section = byId('workspace-channels');
  const form = byId('workspace-channels-form');
  const status = byId('workspace-channels-status');
  /** The workspace as loaded: its other settings are sent back unchanged (a PATCH replaces the settings whole). */
  let loaded;

  async function call(path, init = {}) {
    const response = await fetch(path, { ...init, headers: { 'x-api-key': sessionStorage.getItem('kefu-admin-key') || '', 'content-type': 'application/json', ...(init.headers || {}) } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
    return body;
  }

  const fieldsets = () => [...form.querySelectorAll('fieldset[data-channel]')];

  function showMissing(missing = {}) {
    for (const line of form.querySelectorAll('[data-missing]')) {
      const names = missing[line.dataset.missing] || [];
      line.textContent = names.length ? `Missing in WORKSPACE_SECRETS: ${names.join(', ')}` : 'Its secrets are in WORKSPACE_SECRETS.';
      line.classList.toggle('missing', names.length > 0);
    }
  }

  async function load() {
    const id = sessionStorage.getItem('kefu-workspace');
    // The default workspace's channels are the deployment's settings; only an operator may change a workspace's.
    if (!id) return void (section.hidden = true);
    try {
      loaded = await call(`/v1/admin/workspaces/${encodeURIComponent(id)}`);
    } catch {
      return void (section.hidden = true);
    }
    section.hidden = false;
    status.textContent = '';
    byId('workspace-channels-name').textContent = loaded.name;
    const channels = loaded.settings.channels || {};
    for (const fieldset of fieldsets()) {
      for (const input of fieldset.querySelectorAll('input[data-field]')) input.value = (channels[fieldset.dataset.channel] || {})[input.dataset.field] || '';
    }
    byId('workspace-webhook-url').value = (loaded.settings.handoffWebhook || {}).url || '';
    showMissing(loaded.missingSecrets);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!loaded) return;
    const channels = {};
    for (const fieldset of fieldsets()) {
      const channel = fieldset.dataset.channel;
      const ids = {};
      for (const input of fieldset.querySelectorAll('input[data-field]')) if (input.value.trim()) ids[input.dataset.field] = input.value.trim();
      // A channel left empty is removed; one kept keeps its other settings (plaintext mode, event mode...).
      if (Object.keys(ids).length) channels[channel] = { ...(loaded.settings.channels || {})[channel], ...ids };
    }
    const url = byId('workspace-webhook-url').value.trim();
    const { channels: _channels, handoffWebhook: _webhook, ...rest } = loaded.settings;
    const settings = { ...rest, ...(Object.keys(channels).length ? { channels } : {}), ...(url ? { handoffWebhook: { url } } : {}) };
    try {
      await call(`/v1/admin/workspaces/${encodeURIComponent(loaded.id)}`, { method: 'PATCH', body: JSON.stringify({ settings }) });
      await load();
      status.textContent = 'Saved.';
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
    }
  });
  byId('key-form').addEventListener('submit', () => void load());
  if (sessionStorage.getItem('kefu-admin-key')) void load();
})();
