// Charts on /agents/:id: each <figure data-paths> is drawn with uPlot from
// GET /api/v1/agents/:id/metrics/series, over the range picked in #range.
// Counters (data-rate) are drawn as per-second rates between buckets.
(function () {
  'use strict';
  var root = document.querySelector('.charts');
  var select = document.getElementById('range');

  document.querySelectorAll('[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var source = document.getElementById(button.dataset.copy);
      // An <input> (the token) or a <pre> (a config snippet).
      var text = 'value' in source ? source.value : source.textContent;
      if (source.select) source.select();
      var done = function () {
        button.textContent = 'Copied';
      };
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, done);
      else done();
    });
  });

  if (!root || !select || !window.uPlot) return;
  var agentId = root.dataset.agentId;
  var charts = [];

  function fetchSeries(path, from, to, step) {
    var query = new URLSearchParams({ path: path, from: String(from), to: String(to), step: String(step) });
    var url = '/api/v1/agents/' + encodeURIComponent(agentId) + '/metrics/series?' + query.toString();
    return fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (res) {
      return res.ok ? res.json() : { points: [] };
    });
  }

  /** Aligns several series on one time axis (uPlot's data layout). */
  function align(results, rate) {
    var times = new Set();
    results.forEach(function (r) {
      r.points.forEach(function (p) {
        times.add(Date.parse(p.t) / 1000);
      });
    });
    var xs = Array.from(times).sort(function (a, b) {
      return a - b;
    });
    var data = [xs];
    results.forEach(function (r) {
      var byTime = new Map();
      r.points.forEach(function (p) {
        byTime.set(Date.parse(p.t) / 1000, p.avg);
      });
      var ys = xs.map(function (x) {
        return byTime.has(x) ? byTime.get(x) : null;
      });
      if (rate) {
        ys = ys.map(function (y, i) {
          var prev = ys[i - 1];
          if (i === 0 || y === null || prev === null || prev === undefined) return null;
          var dt = xs[i] - xs[i - 1];
          return dt > 0 && y >= prev ? (y - prev) / dt : null;
        });
      }
      data.push(ys);
    });
    return data;
  }

  /** 1.2k, 3.4M: byte rates fit the axis without being cut off. */
  function compactTicks(_chart, values) {
    return values.map(function (v) {
      var abs = Math.abs(v);
      if (abs >= 1e9) return (v / 1e9).toFixed(1) + 'G';
      if (abs >= 1e6) return (v / 1e6).toFixed(1) + 'M';
      if (abs >= 1e3) return (v / 1e3).toFixed(1) + 'k';
      return String(Math.round(v * 100) / 100);
    });
  }

  function draw() {
    var option = select.options[select.selectedIndex];
    var seconds = Number(option.dataset.seconds);
    var step = Number(option.dataset.step);
    // `to` is exclusive: a minute ahead keeps the newest sample (and agents whose clocks run a little fast).
    var to = Math.floor(Date.now() / 1000) + 60;
    var from = to - seconds;
    charts.forEach(function (c) {
      c.destroy();
    });
    charts = [];
    root.querySelectorAll('figure.chart').forEach(function (figure) {
      var paths = figure.dataset.paths.split(' ');
      var rate = figure.dataset.rate === 'true';
      Promise.all(
        paths.map(function (path) {
          return fetchSeries(path, from, to, step);
        }),
      ).then(function (results) {
        var data = align(results, rate);
        var points = data[0].length;
        figure.dataset.points = String(points);
        var empty = figure.querySelector('.chart-empty');
        var old = figure.querySelector('.uplot');
        if (old) old.remove();
        if (points === 0) {
          empty.textContent = 'No data in this range.';
          empty.hidden = false;
          return;
        }
        empty.hidden = true;
        var width = Math.max(240, figure.clientWidth - 8);
        var series = [{}].concat(
          paths.map(function (path, i) {
            return { label: path, stroke: ['#1f5fd1', '#b3261e', '#1b7a3d'][i % 3], width: 2, spanGaps: true };
          }),
        );
        var axes = [{}, { size: 56, values: compactTicks }];
        var options = { width: width, height: 180, series: series, axes: axes, scales: { x: { time: true } } };
        charts.push(new window.uPlot(options, data, figure));
      });
    });
  }

  select.addEventListener('change', draw);
  draw();
})();
