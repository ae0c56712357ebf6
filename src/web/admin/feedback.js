// Ratings on the admin page: thumbs up and down with the question, the answer and the customer's comment, filtered
// by rating (server side), product line and text; and the conversations' star ratings in one line. Uses admin.js's
// helpers ($, api, cell, fill, status, day); customers' words are set as textContent only.

async function loadFeedback() {
  const rating = $('#feedback-rating').value;
  const line = $('#feedback-line').value.trim();
  const text = $('#feedback-text').value.trim().toLowerCase();
  const [{ feedback }, ratings] = await Promise.all([api(`/v1/admin/feedback?limit=1000${rating ? `&rating=${rating}` : ''}`), api('/v1/admin/ratings?limit=1000')]);
  const shown = feedback
    .filter((f) => (!line || f.productLine === line) && (!text || [f.question, f.answer, f.comment].some((field) => typeof field === 'string' && field.toLowerCase().includes(text))))
    .reverse();
  fill('#feedback', shown, [
    (r, f) => cell(r, day(f.at)),
    (r, f) => cell(r, f.rating === 'up' ? '👍 up' : '👎 down', f.rating === 'up' ? 'rating-up' : 'rating-down'),
    (r, f) => cell(r, f.question ?? '(answer no longer known)'),
    (r, f) => cell(r, f.answer ?? ''),
    (r, f) => cell(r, f.comment ?? ''),
    (r, f) => cell(r, f.productLine ?? ''),
    (r, f) => cell(r, f.lang ?? ''),
    (r, f) => cell(r, f.channel ?? ''),
  ]);
  const up = feedback.filter((f) => f.rating === 'up').length;
  $('#ratings-summary').textContent = `${shown.length} shown · ${rating ? '' : `${up} up, ${feedback.length - up} down · `}conversations rated ${ratings.count}${ratings.averageStars === null ? '' : `, ${ratings.averageStars}★ on average`}`;
}

$('#feedback-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  loadFeedback().catch((error) => status(error.message));
});
$('#key-form').addEventListener('submit', () => loadFeedback().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadFeedback().catch((error) => status(error.message));
