// Chart.js (from npm, copied into dist/vendor by build.mjs) behind three small functions.
// Charts are decoration over the tables next to them: every number is also in the DOM as text.

const charts = new Map();

function chartLib() {
  return globalThis.Chart || null;
}

const COLORS = { primary: "#1f5fae", secondary: "#b3541e", grid: "#d9dee5", text: "#27313d" };

function draw(key, canvas, config) {
  destroyChart(key);
  const Chart = chartLib();
  if (!Chart || !canvas) return;
  Chart.defaults.color = COLORS.text;
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  const chart = new Chart(canvas, {
    ...config,
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } },
      ...config.options,
    },
  });
  charts.set(key, chart);
}

export function destroyChart(key) {
  const chart = charts.get(key);
  if (chart) chart.destroy();
  charts.delete(key);
}

export function destroyAll() {
  for (const key of [...charts.keys()]) destroyChart(key);
}

export function lineChart(
  key,
  canvas,
  { labels, values, label, color = COLORS.primary, bar = false, format, integer = false },
) {
  draw(key, canvas, {
    type: bar ? "bar" : "line",
    data: {
      labels,
      datasets: [
        {
          label,
          data: values,
          borderColor: color,
          backgroundColor: bar ? color : `${color}22`,
          fill: !bar,
          tension: 0.2,
          pointRadius: values.length > 60 ? 0 : 2,
        },
      ],
    },
    options: {
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        // Counts get whole-number ticks only (no "0.2 sessions").
        y: { beginAtZero: true, grid: { color: COLORS.grid }, ticks: integer ? { precision: 0 } : {} },
      },
      plugins: {
        legend: { display: false },
        tooltip: format ? { callbacks: { label: (ctx) => `${label}: ${format(ctx.parsed.y)}` } } : {},
      },
    },
  });
}

export function barChartHorizontal(key, canvas, { labels, values, label, format }) {
  draw(key, canvas, {
    type: "bar",
    data: { labels, datasets: [{ label, data: values, backgroundColor: COLORS.secondary }] },
    options: {
      indexAxis: "y",
      scales: { x: { beginAtZero: true, grid: { color: COLORS.grid } }, y: { grid: { display: false } } },
      plugins: {
        legend: { display: false },
        tooltip: format ? { callbacks: { label: (ctx) => format(ctx.dataIndex, ctx.parsed.x) } } : {},
      },
    },
  });
}
