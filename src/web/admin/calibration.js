// The serving version's refusal calibration (GET /v1/admin/calibration), under the knowledge versions: per language
// the two cuts ingestion chose (refuse below the first, answer from the second, suggestions or the model's verdict
// between) and the knowledge base's own trade-off curve, the share of answerable, in-domain unanswerable and
// out-of-domain probes below each cut. The numbers to move REFUSAL_THRESHOLD_* / ANSWER_THRESHOLD_* or the calibration
// targets by (docs/evaluation.md); until now only `npm run ingest` printed them. Uses admin.js's helpers ($, api, cell, fill, status).

const share = (value) => (value == null ? '' : `${Math.round(value * 100)} %`);

async function loadCalibration() {
  const { calibration } = await api('/v1/admin/calibration');
  $('#calibration-none').hidden = Boolean(calibration);
  const languages = calibration ? Object.entries(calibration.languages) : [];
  fill('#calibration-band', languages, [
    (r, [lang]) => cell(r, lang),
    (r, [, entry]) => cell(r, entry.threshold, 'num'),
    (r, [, entry]) => cell(r, entry.answerThreshold ?? '', 'num'),
    (r, [, entry]) => cell(r, `${entry.positives} / ${entry.inDomainNegatives ?? '–'} / ${entry.negatives}`, 'num'),
    (r, [, entry]) => cell(r, share(entry.negativesRefused), 'num'),
    (r, [, entry]) => cell(r, share(entry.inDomainAnsweredConfidently), 'num'),
    (r, [, entry]) => cell(r, entry.auroc, 'num'),
  ]);
  const points = languages.flatMap(([lang, entry]) => (entry.curve ?? []).map((point) => ({ lang, ...point, chosen: point.threshold === entry.threshold || point.threshold === entry.answerThreshold })));
  fill('#calibration-curve', points, [
    (r, p) => cell(r, p.lang),
    (r, p) => cell(r, p.chosen ? `${p.threshold} (chosen)` : p.threshold, 'num'),
    (r, p) => cell(r, share(p.answerableBelow), 'num'),
    (r, p) => cell(r, share(p.inDomainBelow), 'num'),
    (r, p) => cell(r, share(p.outOfDomainBelow), 'num'),
  ]);
}

$('#key-form').addEventListener('submit', () => loadCalibration().catch((error) => status(error.message)));
if (sessionStorage.getItem('kefu-admin-key')) loadCalibration().catch((error) => status(error.message));
