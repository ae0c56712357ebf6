// The dashboard of the admin page: one Chart.js chart per /v1/admin/analytics/<chart>, each with its own time
// range and a CSV export of exactly the rows it draws. Uses api(), $ and status() from admin.js (loaded first).
const dashboardColours = { answered: '#16a34a', curated: '#0d9488', suggested: '#ca8a04', refused: '#dc2626', handed_off: '#7c3aed', thumbs_up: '#2563eb', thumbs_down: '#f97316' };
const palette = ['#2563eb', '#16a34a', '#dc2626', '#7c3aed', '#ca8a04', '#0d9488', '#f97316', '#db2777', '#4b5563', '#65a30d'];
const percent = (value) => (value == null ? 'n/a' : `${Math.round(value * 1000) / 10}%`);
const isoDay = (time) => new Date(time).toISOString().slice(0, 10);

// How each chart turns the API's rows into Chart.js data (and a one-line summary under it).
const dashboardCharts = {
  outcomes: {
    type: 'bar',
    data: (body) => ({
      labels: body.rows.map((row) => row.day),
      datasets: [
        ...['answered', 'curated', 'suggested', 'refused', 'handed_off'].map((key) => ({ label: key.replace('_', ' '), key, data: body.rows.map((row) => row[key]), backgroundColor: dashboardColours[key], stack: 'outcomes' })),
        ...['thumbs_up', 'thumbs_down'].map((key) => ({ type: 'line', label: key === 'thumbs_up' ? 'thumbs up' : 'thumbs down', key, data: body.rows.map((row) => row[key]), borderColor: dashboardColours[key], backgroundColor: dashboardColours[key] })),
      ],
    }),
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    summary: (body) => `${body.rows.reduce((sum, row) => sum + row.questions, 0)} questions`,
  },
  rates: {
    type: 'line',
    data: (body) => ({
      labels: body.rows.map((row) => row.day),
      datasets: [
        { label: 'answer rate', key: 'answerRate', data: body.rows.map((row) => row.answerRate), borderColor: '#16a34a', backgroundColor: '#16a34a', spanGaps: true },
        { label: 'deflection', key: 'deflection', data: body.rows.map((row) => row.deflection), borderColor: '#2563eb', backgroundColor: '#2563eb', spanGaps: true },
      ],
    }),
    options: { scales: { y: { min: 0, max: 1, ticks: { callback: (value) => percent(value) } } } },
    summary: (body) => `answer rate ${percent(body.total.answerRate)} · deflection ${percent(body.total.deflection)} of ${body.total.questions} questions`,
  },
  csat: {
    type: 'bar',
    data: (body) => ({
      labels: body.rows.map((row) => row.day),
      datasets: [
        { type: 'line', label: 'CSAT (4–5 stars)', key: 'csat', data: body.rows.map((row) => row.csat), borderColor: '#16a34a', backgroundColor: '#16a34a', yAxisID: 'share', spanGaps: true },
        { label: 'ratings', key: 'ratings', data: body.rows.map((row) => row.ratings), backgroundColor: '#cbd5e1', yAxisID: 'count' },
      ],
    }),
    options: { scales: { share: { position: 'left', min: 0, max: 1, ticks: { callback: (value) => percent(value) } }, count: { position: 'right', beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false } } } },
    summary: (body) => `CSAT ${percent(body.total.csat)} of ${body.total.ratings} ratings`,
  },
  topics: {
    type: 'line',
    // One product line at a time (picked below the chart): its largest topics, questions per day.
    data: (body, figure) => {
      const lines = [...new Set(body.rows.map((row) => row.productLine))];
      const select = figure.querySelector('.chart-line');
      const chosen = lines.includes(select.value) ? select.value : lines[0];
      select.replaceChildren(...lines.map((line) => new Option(line, line, false, line === chosen)));
      const days = [];
      for (let time = Date.parse(body.from); time <= Date.parse(body.to); time += 86_400_000) days.push(isoDay(time));
      const rows = body.rows.filter((row) => row.productLine === chosen);
      return {
        labels: days,
        datasets: rows.map((row, index) => ({ label: `${row.topic} (${row.count}, trend ${row.trend >= 0 ? '+' : ''}${row.trend})`, key: row.topic, data: row.daily, borderColor: palette[index % palette.length], backgroundColor: palette[index % palette.length] })),
      };
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { position: 'bottom' } } },
    summary: (body) => `${body.questions} questions clustered`,
  },
  gaps: {
    type: 'bar',
    data: (body) => ({
      labels: body.rows.map((row) => `${row.productLine}: ${row.example}`.slice(0, 60)),
      datasets: [{ label: 'impact (asks, recent weigh more)', key: 'impact', data: body.rows.map((row) => row.impact), backgroundColor: '#dc2626' }],
    }),
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true } } },
    summary: (body) => `${body.rows.length} gaps`,
  },
};

function chartQuery(figure) {
  const params = new URLSearchParams();
  for (const name of ['from', 'to']) {
    const value = figure.querySelector(`.chart-${name}`).value;
    if (value) params.set(name, value);
  }
  return params;
}

async function drawChart(figure) {
  const name = figure.dataset.chart;
  const spec = dashboardCharts[name];
  const body = await api(`/v1/admin/analytics/${name}?${chartQuery(figure)}`);
  const canvas = figure.querySelector('canvas');
  Chart.getChart(canvas)?.destroy();
  new Chart(canvas, { type: spec.type, data: spec.data(body, figure), options: { animation: false, responsive: true, maintainAspectRatio: false, ...spec.options } });
  figure.querySelector('.chart-summary').textContent = `${body.from} – ${body.to}: ${spec.summary(body)}`;
  figure.dataset.loaded = `${body.from}/${body.to}`;
}

// The CSV comes with the admin key in a header, so it is fetched here and handed to the browser as a download.
async function exportCsv(figure) {
  const name = figure.dataset.chart;
  const params = chartQuery(figure);
  params.set('format', 'csv');
  const response = await fetch(`/v1/admin/analytics/${name}?${params}`, { headers: { 'x-api-key': sessionStorage.getItem('kefu-admin-key') || '' } });
  if (!response.ok) throw new Error(`CSV export: HTTP ${response.status}`);
  const filename = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') || '')?.[1] || `kefu-${name}.csv`;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function setUpChart(figure) {
  const controls = document.createElement('form');
  controls.className = 'chart-controls';
  const today = Date.now();
  const field = (label, className, value) => {
    const wrapper = document.createElement('label');
    wrapper.textContent = `${label} `;
    const input = document.createElement('input');
    input.type = 'date';
    input.className = className;
    input.value = value;
    wrapper.appendChild(input);
    return wrapper;
  };
  controls.append(field('From', 'chart-from', isoDay(today - 29 * 86_400_000)), field('To', 'chart-to', isoDay(today)));
  if (figure.dataset.chart === 'topics') {
    const label = document.createElement('label');
    label.textContent = 'Line ';
    const select = document.createElement('select');
    select.className = 'chart-line';
    select.addEventListener('change', () => drawChart(figure).catch((error) => status(error.message)));
    label.appendChild(select);
    controls.appendChild(label);
  }
  const apply = document.createElement('button');
  apply.textContent = 'Apply';
  const csv = document.createElement('button');
  csv.type = 'button';
  csv.className = 'chart-csv';
  csv.textContent = 'CSV';
  csv.addEventListener('click', () => exportCsv(figure).catch((error) => status(error.message)));
  controls.append(apply, csv);
  controls.addEventListener('submit', (event) => {
    event.preventDefault();
    drawChart(figure).catch((error) => status(error.message));
  });
  figure.querySelector('figcaption').after(controls);
  const summary = document.createElement('p');
  summary.className = 'chart-summary';
  figure.appendChild(summary);
}

function loadDashboard() {
  for (const figure of document.querySelectorAll('#dashboard .chart')) drawChart(figure).catch((error) => status(error.message));
}

for (const figure of document.querySelectorAll('#dashboard .chart')) setUpChart(figure);
$('#key-form').addEventListener('submit', () => loadDashboard());
if (sessionStorage.getItem('kefu-admin-key')) loadDashboard();
