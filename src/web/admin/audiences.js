// Audiences on the admin page (docs/audiences.md): which key sees what, and which curated answers are internal.
// Uses admin.js's helpers ($, api, fill, cell, status), loaded before it. Internal entries are marked, never hidden.
function audienceBadges(audiences) {
  const names = audiences && audiences.length ? audiences : ['public'];
  const span = document.createElement('span');
  for (const name of names) {
    const badge = span.appendChild(document.createElement('span'));
    badge.className = name === 'public' ? 'audience' : 'audience internal';
    badge.textContent = name;
  }
  return span;
}

async function loadAudiences() {
  const [{ keys }, { curated }] = await Promise.all([api('/v1/admin/keys'), api('/v1/admin/curated')]);
  fill(
    '#audience-keys',
    keys.filter((k) => !k.revokedAt),
    [(r, k) => cell(r, k.id), (r, k) => cell(r, k.scopes.join(', ')), (r, k) => cell(r, audienceBadges(k.audiences)), (r, k) => cell(r, k.source)],
  );
  fill(
    '#audience-curated',
    curated.filter((c) => c.audiences && !c.audiences.includes('public')),
    [(r, c) => cell(r, c.question), (r, c) => cell(r, audienceBadges(c.audiences)), (r, c) => cell(r, c.lang), (r, c) => cell(r, c.source)],
  );
}

$('#key-form').addEventListener('submit', () => loadAudiences().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadAudiences().catch((error) => status(error.message));
