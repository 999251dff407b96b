/* Bangfu Atlas: the village vector tiles (bangfu.maps.tiles) drawn on canvas tiles without a long frame.
 *
 * Our own code (not vendored). L.BangfuTiles extends the vendored Leaflet.VectorGrid's protobuf layer but replaces
 * how a tile is parsed and drawn. VectorGrid turned every village of a tile into a Leaflet polygon (points, parts,
 * bounds, a renderer entry) and filled each on its own, all in one task: 100–200 ms for a tile of the lowest zoom
 * levels (up to ~4,000 villages), the longest frame of a zoom. Here:
 *
 *  - a tile's bytes are read by a small MVT 2.1 reader written for the app's own encoder (one layer of polygons;
 *    feature id = the village's index i, which picks its class in the class string);
 *  - the geometry commands go straight into one Path2D per class colour (plus one for the borders), each filled
 *    once (nonzero rule: the encoder orients rings as the spec says): no object per village or per point;
 *  - this runs in a Web Worker (made from a blob: URL of this file's own code, nothing fetched) on an
 *    OffscreenCanvas; the main thread only copies the finished bitmap onto the tile's canvas. Without Worker or
 *    OffscreenCanvas the same drawing runs on the main thread in slices of SLICE_MS, one slice per frame;
 *  - properties are decoded only for the village a click hits (point in polygon over that tile's rings, in the
 *    tile's own pixels, also beyond the last tile level where tiles are scaled up).
 *
 * A click fires "click" on the layer with e.layer = {properties: {...}} (VectorGrid's event shape), which the
 * layer script (bangfu.maps.tiles.VectorTileLayer) turns into the popup and streamlit-folium's
 * last_active_drawing. Leaflet shows a tile only once it is loaded (done), so a half-drawn tile is never seen.
 */
(function () {
  "use strict";
  if (!window.L || !L.VectorGrid || !L.VectorGrid.Protobuf || L.BangfuTiles) { return; }

  /* Time one slice of main-thread drawing may take before the browser gets to draw a frame (fallback only). */
  var SLICE_MS = 8;

  /* The tile reader and painter: one function, run on the main thread and (from its source text) in the worker. */
  function tileCode() {
    function varint(r) {  /* r = {b: Uint8Array, p: position}; values < 2^53 */
      var b = r.b, p = r.p, x = b[p++], v = x & 0x7f;
      if (x >= 0x80) {
        x = b[p++]; v |= (x & 0x7f) << 7;
        if (x >= 0x80) {
          x = b[p++]; v |= (x & 0x7f) << 14;
          if (x >= 0x80) {
            x = b[p++]; v |= (x & 0x7f) << 21;
            if (x >= 0x80) {
              var m = 268435456, hi = 0;  /* beyond 28 bits: plain arithmetic */
              v = v >>> 0;
              do { x = b[p++]; hi += (x & 0x7f) * m; m *= 128; } while (x >= 0x80);
              v += hi;
            }
          }
        }
      }
      r.p = p;
      return v;
    }

    function skip(r, wire) {
      if (wire === 0) { varint(r); } else if (wire === 1) { r.p += 8; }
      else if (wire === 2) { var n = varint(r); r.p += n; } else if (wire === 5) { r.p += 4; }
      else { throw new Error("bad wire type " + wire); }
    }

    var utf8 = new TextDecoder("utf-8");

    /* A reader of one tile, resumable: read(until) reads fields until performance.now() passes `until` and answers
       undefined while not done, then the tile's first non-empty layer ({b, extent, keys[], values: [start, end) of
       each Value, feats: [start, end) of each Feature}) or null. */
    function tileReader(buf) {
      var b = new Uint8Array(buf), r = {b: b, p: 0}, layer = null, end = 0, out = null;
      return function (until) {
        var k = 0;
        while (layer || r.p < b.length) {
          if (!layer) {
            var tag = varint(r);
            if (tag >> 3 === 3 && (tag & 7) === 2) {
              var len = varint(r);
              end = r.p + len;
              layer = {b: b, extent: 4096, keys: [], values: [], feats: []};
            } else { skip(r, tag & 7); }
            continue;
          }
          if (r.p >= end) {
            if (!out && layer.feats.length) { out = layer; }
            r.p = end;
            layer = null;
            continue;
          }
          var t = varint(r), f = t >> 3, w = t & 7, n;
          if (f === 2 && w === 2) { n = varint(r); layer.feats.push(r.p, r.p + n); r.p += n; }
          else if (f === 3 && w === 2) { n = varint(r); layer.keys.push(utf8.decode(b.subarray(r.p, r.p + n))); r.p += n; }
          else if (f === 4 && w === 2) { n = varint(r); layer.values.push(r.p, r.p + n); r.p += n; }
          else if (f === 5 && w === 0) { layer.extent = varint(r); }
          else { skip(r, w); }
          if (!(++k & 255) && performance.now() > until) { return undefined; }
        }
        return out;
      };
    }

    function readTile(buf) { return tileReader(buf)(Infinity); }

    function readValue(b, start, end) {
      var r = {b: b, p: start}, v = null;
      while (r.p < end) {
        var tag = varint(r), f = tag >> 3, w = tag & 7, n;
        if (f === 1 && w === 2) { n = varint(r); v = utf8.decode(b.subarray(r.p, r.p + n)); r.p += n; }
        else if (f === 2 && w === 5) { v = new DataView(b.buffer, b.byteOffset + r.p, 4).getFloat32(0, true); r.p += 4; }
        else if (f === 3 && w === 1) { v = new DataView(b.buffer, b.byteOffset + r.p, 8).getFloat64(0, true); r.p += 8; }
        else if ((f === 4 || f === 5) && w === 0) { v = varint(r); }
        else if (f === 6 && w === 0) { n = varint(r); v = (n % 2) ? -(n + 1) / 2 : n / 2; }
        else if (f === 7 && w === 0) { v = varint(r) !== 0; }
        else { skip(r, w); }
      }
      return v;
    }

    /* Feature k of a tile: {id, ts/te: its tags, gs/ge: its geometry} (byte positions in t.b). */
    function readFeature(t, k, r) {
      var end = t.feats[2 * k + 1], out = {id: 0, ts: 0, te: 0, gs: 0, ge: 0}, n;
      r.p = t.feats[2 * k];
      while (r.p < end) {
        var tag = varint(r), f = tag >> 3, w = tag & 7;
        if (f === 1 && w === 0) { out.id = varint(r); }
        else if (f === 2 && w === 2) { n = varint(r); out.ts = r.p; out.te = r.p + n; r.p = out.te; }
        else if (f === 4 && w === 2) { n = varint(r); out.gs = r.p; out.ge = r.p + n; r.p = out.ge; }
        else { skip(r, w); }
      }
      return out;
    }

    function properties(t, feat) {
      var r = {b: t.b, p: feat.ts}, out = {};
      while (r.p < feat.te) {
        var k = varint(r), v = varint(r);
        out[t.keys[k]] = readValue(t.b, t.values[2 * v], t.values[2 * v + 1]);
      }
      return out;
    }

    /* The geometry commands of a feature in tile units: moveTo / lineTo per point, close() per ClosePath. */
    function rings(t, feat, moveTo, lineTo, close) {
      var r = {b: t.b, p: feat.gs}, x = 0, y = 0, cmd = 0, count = 0, dx, dy;
      while (r.p < feat.ge) {
        if (!count) {
          var c = varint(r);
          cmd = c & 7; count = c >> 3;
          if (cmd === 7) { close(); count = 0; continue; }
        }
        count--;
        dx = varint(r); dy = varint(r);
        x += (dx >>> 1) ^ -(dx & 1);
        y += (dy >>> 1) ^ -(dy & 1);
        if (cmd === 1) { moveTo(x, y); } else { lineTo(x, y); }
      }
    }

    /* Draw features [from, …) of tile t on ctx (size px wide) in style st ({classes, colors, noData, fillOpacity,
       edge, width: border width, 0 for none}) until performance.now() passes `until`: the next feature to draw. */
    function paint(ctx, size, t, st, from, until) {
      var n = t.feats.length / 2, s = size / t.extent, r = {b: t.b, p: 0}, k = from, edges = st.width > 0;
      var paths = {}, edgePath = edges ? new Path2D() : null, path = null, x0 = 0, y0 = 0;
      /* A fill closes its rings itself; a border goes back to its ring's first point (Path2D.closePath is slow) */
      function moveTo(x, y) { x0 = x * s; y0 = y * s; path.moveTo(x0, y0); if (edges) { edgePath.moveTo(x0, y0); } }
      function lineTo(x, y) { path.lineTo(x * s, y * s); if (edges) { edgePath.lineTo(x * s, y * s); } }
      function close() { if (edges) { edgePath.lineTo(x0, y0); } }
      for (; k < n && (k - from < 16 || (k & 15) || performance.now() < until); k++) {
        var f = readFeature(t, k, r), c = st.classes.charCodeAt(f.id) - 48;
        var colour = (c >= 0 && c < st.colors.length) ? st.colors[c] : st.noData;
        path = paths[colour] || (paths[colour] = new Path2D());
        rings(t, f, moveTo, lineTo, close);
      }
      ctx.globalAlpha = st.fillOpacity;
      for (var key in paths) { ctx.fillStyle = key; ctx.fill(paths[key], "nonzero"); }
      if (edges) {
        ctx.globalAlpha = 1;
        ctx.strokeStyle = st.edge;
        ctx.lineWidth = st.width;
        ctx.lineJoin = "round";
        ctx.lineCap = "round";
        ctx.stroke(edgePath);
      }
      return k;
    }

    return {tileReader: tileReader, readTile: readTile, readFeature: readFeature, properties: properties, rings: rings, paint: paint};
  }

  /* The worker: {style: id, st} sets a layer's style; {job, style, buf, size} draws a tile and answers
     {job, bitmap} (or {job, error}); {cancel: job} drops a job not started yet. */
  function workerMain(T) {
    var styles = {}, queue = [], cancelled = {}, running = false;
    function run() {
      running = false;
      var m = queue.shift();
      if (m && cancelled[m.job]) { delete cancelled[m.job]; m = null; }
      if (m) {
        try {
          var t = T.readTile(m.buf), canvas = new OffscreenCanvas(m.size, m.size);
          if (t) { T.paint(canvas.getContext("2d"), m.size, t, styles[m.style], 0, Infinity); }
          var bitmap = canvas.transferToImageBitmap();
          self.postMessage({job: m.job, bitmap: bitmap}, [bitmap]);
        } catch (err) {
          self.postMessage({job: m.job, error: String(err)});
        }
      }
      if (queue.length && !running) { running = true; setTimeout(run, 0); }
    }
    self.onmessage = function (e) {
      var m = e.data;
      if (m.cancel !== undefined) { cancelled[m.cancel] = true; return; }
      if (m.style !== undefined && m.st) { styles[m.style] = m.st; return; }
      queue.push(m);
      if (!running) { running = true; setTimeout(run, 0); }
    };
  }

  var T = tileCode();

  /* One worker for every layer of the page, made on first use; null where workers or OffscreenCanvas are missing
     or refused (then tiles are drawn on the main thread in slices). */
  var worker, jobs = {}, nextJob = 1, sentStyles = {};
  function getWorker() {
    if (worker !== undefined) { return worker; }
    worker = null;
    try {
      if (typeof Worker !== "undefined" && typeof OffscreenCanvas !== "undefined" && window.URL && URL.createObjectURL) {
        var src = "\"use strict\";(" + workerMain + ")((" + tileCode + ")());";
        worker = new Worker(URL.createObjectURL(new Blob([src], {type: "text/javascript"})));
        worker.onmessage = function (e) {
          var m = e.data, cb = jobs[m.job];
          delete jobs[m.job];
          if (cb) { cb(m); } else if (m.bitmap) { m.bitmap.close(); }
        };
        worker.onerror = function () {  /* e.g. refused by a content security policy: draw on the main thread */
          worker = null;
          var pending = jobs; jobs = {};
          for (var id in pending) { pending[id]({error: "worker"}); }
        };
      }
    } catch (err) { worker = null; }
    return worker;
  }

  /* Main-thread fallback: one queue of drawing jobs, SLICE_MS of it per frame. */
  var queue = [], posted = false, channel = new MessageChannel();
  channel.port1.onmessage = function () {
    posted = false;
    var until = performance.now() + SLICE_MS;
    while (queue.length && performance.now() < until) {
      if (queue[0](until)) { queue.shift(); }
    }
    if (queue.length) {
      posted = true;
      L.Util.requestAnimFrame(function () { channel.port2.postMessage(0); });  /* the next slice after a frame */
    }
  };
  function enqueue(job) {
    queue.push(job);
    if (!posted) { posted = true; channel.port2.postMessage(0); }
  }

  L.BangfuTiles = L.VectorGrid.Protobuf.extend({
    options: {
      classes: "",        /* one character per village index i: '0' + class, anything else: no value */
      colors: [],         /* class → fill colour */
      noData: "#cccccc",  /* fill of a village without a value */
      fillOpacity: 0.85,
      edge: "#ffffff",    /* border colour, drawn from edgeZoom on: edgeWidth px, edgeWidthHigh from edgeHighZoom */
      edgeZoom: 9,
      edgeWidth: 0.4,
      edgeHighZoom: 12,
      edgeWidthHigh: 0.8,
      useWorker: true
    },

    /* The style of tiles of zoom z as the painter takes it. */
    _style: function (z) {
      var o = this.options;
      return {classes: o.classes, colors: o.colors, noData: o.noData, fillOpacity: o.fillOpacity, edge: o.edge,
              width: z < o.edgeZoom ? 0 : (z >= o.edgeHighZoom ? o.edgeWidthHigh : o.edgeWidth)};
    },

    createTile: function (coords, done) {
      var size = this.getTileSize(), canvas = document.createElement("canvas"), self = this;
      canvas.width = size.x;
      canvas.height = size.y;
      if (this.options.interactive) {
        canvas.style.pointerEvents = "auto";
        L.DomUtil.addClass(canvas, "leaflet-interactive");
        L.DomEvent.on(canvas, "click", function (e) { self._click(canvas, e); });
      }
      canvas._bangfu = {coords: coords, buf: null, tile: null, job: 0};
      var url = L.Util.template(this._url, L.extend({s: this._getSubdomain(coords), x: coords.x, y: coords.y,
                                                         z: coords.z}, this.options));
      fetch(url, this.options.fetchOptions).then(function (res) {
        return res.ok ? res.arrayBuffer() : null;  /* no tile (404): nothing of the workspace there */
      }).then(function (buf) {
        if (!canvas._bangfu) { return; }  /* unloaded meanwhile */
        if (!buf || !buf.byteLength) { done(null, canvas); return; }
        canvas._bangfu.buf = buf;
        self._draw(canvas, buf, coords.z, done);
      }).catch(function (err) { done(err, canvas); });
      return canvas;
    },

    _draw: function (canvas, buf, z, done) {
      var w = this.options.useWorker ? getWorker() : null, self = this, st = this._style(z);
      if (w) {
        var key = L.stamp(this) + "/" + st.width;
        if (!sentStyles[key]) {  /* the class string etc. go to the worker once per layer and border width */
          sentStyles[key] = true;
          w.postMessage({style: key, st: st});
        }
        var job = nextJob++;
        canvas._bangfu.job = job;
        jobs[job] = function (m) {
          if (!canvas._bangfu) { if (m.bitmap) { m.bitmap.close(); } return; }
          canvas._bangfu.job = 0;
          if (m.bitmap) {
            canvas.getContext("2d").drawImage(m.bitmap, 0, 0);
            m.bitmap.close();
            done(null, canvas);
          } else {
            self.options.useWorker = false;  /* the worker failed: this layer draws on the main thread */
            self._draw(canvas, buf, z, done);
          }
        };
        var copy = buf.slice(0);  /* the tile keeps its bytes for clicks; the worker gets its own copy */
        w.postMessage({job: job, style: key, buf: copy, size: canvas.width}, [copy]);
        return;
      }
      var read = T.tileReader(buf), t, at = 0, ctx = canvas.getContext("2d");
      enqueue(function (until) {  /* the tile is read, then painted, a slice at a time */
        if (!canvas._bangfu) { return true; }  /* unloaded meanwhile */
        if (t === undefined) {
          t = read(until);
          if (t === undefined) { return false; }
          if (!t) { done(null, canvas); return true; }
          canvas._bangfu.tile = t;
          if (performance.now() >= until) { return false; }
        }
        at = T.paint(ctx, canvas.width, t, st, at, until);
        if (at < t.feats.length / 2) { return false; }
        done(null, canvas);
        return true;
      });
    },

    /* The village under a click on a tile: point in polygon (even-odd over its rings) in the tile's pixels. */
    _hit: function (canvas, e) {
      var info = canvas._bangfu, map = this._map;
      if (!info || !info.buf || !map) { return null; }
      var t = info.tile || (info.tile = T.readTile(info.buf));
      if (!t) { return null; }
      var scale = map.getZoomScale(map.getZoom(), info.coords.z);
      var pt = map.mouseEventToLayerPoint(e).add(map.getPixelOrigin()).divideBy(scale)
        .subtract(info.coords.scaleBy(this.getTileSize()));
      var s = canvas.width / t.extent, px = pt.x / s, py = pt.y / s, r = {b: t.b, p: 0};
      var inside = false, hit = null, x0 = 0, y0 = 0, xp = 0, yp = 0;
      function moveTo(x, y) { x0 = xp = x; y0 = yp = y; }
      function edge(x, y) {
        if ((y > py) !== (yp > py) && px < (xp - x) * (py - y) / (yp - y) + x) { inside = !inside; }
        xp = x; yp = y;
      }
      function close() { edge(x0, y0); }
      for (var k = 0; k < t.feats.length / 2; k++) {
        var f = T.readFeature(t, k, r);
        inside = false;
        T.rings(t, f, moveTo, edge, close);
        if (inside) { hit = f; }
      }
      return hit && {id: hit.id, properties: T.properties(t, hit)};
    },

    _click: function (canvas, e) {
      var map = this._map;
      if (!map || (map.dragging && map.dragging.moved())) { return; }
      var found = this._hit(canvas, e);
      if (!found) { return; }
      var target = new L.Evented();
      target.options = {};
      target.properties = found.properties;
      target.addEventParent(this);
      e._stopped = true;  /* as VectorGrid: the layer gets the click, not the map's own click handlers */
      map._fireDOMEvent(e, e.type, [target]);
    },

    _removeTile: function (key) {
      var tile = this._tiles[key], info = tile && tile.el && tile.el._bangfu;
      if (info) {
        if (info.job && worker) { worker.postMessage({cancel: info.job}); delete jobs[info.job]; }
        tile.el._bangfu = null;  /* a drawing job of the fallback stops at its next slice */
      }
      L.VectorGrid.Protobuf.prototype._removeTile.call(this, key);
    }
  });

  /* Whether tiles are drawn by the worker (true once one was made; for tests and the bench). */
  L.BangfuTiles.usesWorker = function () { return !!worker; };
  L.bangfuTiles = function (url, options) { return new L.BangfuTiles(url, options); };
})();
