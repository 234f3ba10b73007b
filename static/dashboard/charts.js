// Charts over the dashboards' tables: an enhancement. Each table (templates/dashboard/_table.html) stays the
// accessible version and works without JavaScript; where a table has a chart, its data is in a JSON data island
// (`json_script`), never in an inline script, so a Content Security Policy can forbid inline scripts.
//
// Every chart uses the Analysis Function's accessible categorical palette, and never relies on colour alone:
// each series also has its own pattern (bars) or point shape and dash (lines), and a legend. The canvas is
// reachable by keyboard: Tab to it, then the arrow keys move through the values, read out in the tooltip and
// in a live region.

// Analysis Function (Government Analysis Function) accessible categorical palette, in its order.
const PALETTE = ["#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1", "#2073BC"];
const POINT_STYLES = ["circle", "rect", "triangle", "rectRot", "star", "crossRot", "cross"];
const DASHES = [[], [6, 3], [2, 2], [10, 4, 2, 4], [1, 3], [8, 2], [4, 4]];

// A small tile for each series: stripes, dots, cross-hatching... drawn over the series' colour.
function pattern(index, colour) {
  const size = 10;
  const tile = document.createElement("canvas");
  tile.width = tile.height = size;
  const context = tile.getContext("2d");
  context.fillStyle = colour;
  context.fillRect(0, 0, size, size);
  context.strokeStyle = "rgba(255, 255, 255, 0.85)";
  context.fillStyle = "rgba(255, 255, 255, 0.85)";
  context.lineWidth = 2;
  const shape = index % 7;
  context.beginPath();
  if (shape === 1) { context.moveTo(0, size); context.lineTo(size, 0); }
  else if (shape === 2) { context.arc(size / 2, size / 2, 2, 0, 2 * Math.PI); context.fill(); }
  else if (shape === 3) { context.moveTo(0, size / 2); context.lineTo(size, size / 2); }
  else if (shape === 4) { context.moveTo(size / 2, 0); context.lineTo(size / 2, size); }
  else if (shape === 5) { context.moveTo(0, 0); context.lineTo(size, size); context.moveTo(0, size); context.lineTo(size, 0); }
  else if (shape === 6) { context.rect(2, 2, size - 4, size - 4); }
  context.stroke();
  return context.createPattern(tile, "repeat");
}

function datasets(data) {
  return data.series.map((series, index) => {
    const colour = PALETTE[index % PALETTE.length];
    const common = { label: series.label, data: series.data, borderColor: colour };
    if (data.kind === "line") {
      return {
        ...common,
        backgroundColor: colour,
        borderWidth: 3,
        borderDash: DASHES[index % DASHES.length],
        pointStyle: POINT_STYLES[index % POINT_STYLES.length],
        pointRadius: 5,
        spanGaps: false,
      };
    }
    return { ...common, backgroundColor: pattern(index, colour), borderWidth: 1 };
  });
}

function draw(figure) {
  const island = document.getElementById(figure.dataset.chart);
  if (!island || !window.Chart) return;
  const data = JSON.parse(island.textContent);
  const canvas = figure.querySelector("canvas");
  const live = document.createElement("p");
  live.className = "govuk-visually-hidden";
  live.setAttribute("aria-live", "polite");
  figure.appendChild(live);
  figure.hidden = false;
  const suffix = data.percent ? "%" : "";
  const chart = new window.Chart(canvas, {
    type: data.kind,
    data: { labels: data.labels, datasets: datasets(data) },
    options: {
      animation: false,
      maintainAspectRatio: false,
      font: { family: "arial, sans-serif" },
      scales: {
        x: { stacked: data.stacked, ticks: { color: "#0b0c0c" } },
        y: {
          stacked: data.stacked,
          beginAtZero: true,
          max: data.percent ? 100 : undefined,
          ticks: { color: "#0b0c0c", callback: (value) => `${value}${suffix}` },
        },
      },
      plugins: {
        legend: { labels: { color: "#0b0c0c", usePointStyle: data.kind === "line" } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.formattedValue}${suffix}` } },
      },
    },
  });
  figure.dataset.drawn = "true";
  keyboard(canvas, chart, data, live, suffix);
}

// Arrow keys move through every value (left/right along the labels, up/down between the series).
function keyboard(canvas, chart, data, live, suffix) {
  let label = -1;
  let series = 0;
  canvas.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const [across, down] = moves[event.key];
    label = Math.min(Math.max(label + across, 0), data.labels.length - 1);
    series = Math.min(Math.max(series + down, 0), data.series.length - 1);
    const active = [{ datasetIndex: series, index: label }];
    chart.setActiveElements(active);
    chart.tooltip.setActiveElements(active, { x: 0, y: 0 });
    chart.update();
    const value = data.series[series].data[label];
    live.textContent = `${data.labels[label]}, ${data.series[series].label}: ${value === null ? "no value shown" : value + suffix}`;
  });
  canvas.addEventListener("blur", () => {
    chart.setActiveElements([]);
    chart.tooltip.setActiveElements([], { x: 0, y: 0 });
    chart.update();
  });
}

document.querySelectorAll("figure[data-chart]").forEach(draw);
