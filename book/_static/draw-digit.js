/* scratchnet "Draw a digit" demo: plain JavaScript, no framework, no outside request.
 *
 * Jupyter Book links every .js file of book/_static into every page, so this script does nothing
 * visible unless the page holds <div id="scratchnet-demo">. It always defines window.scratchnet:
 *
 *   scratchnet.ready              Promise, resolves (to the model) once the weights are loaded
 *   scratchnet.predict(pixels)    784 numbers in [0, 1], row-major 28x28 -> Promise of 10 probabilities
 *   scratchnet.preprocess(gray)   {width, height, data: gray levels in [0, 1]} -> Float32Array(784),
 *                                 or null when the picture has no ink
 *   scratchnet.canvasGray()       the drawing canvas as {width, height, data} (gray levels in [0, 1])
 *   scratchnet.lastInput, .lastProbabilities   what the page showed last
 *
 * preprocess() repeats code/scratchnet/data/preprocess.py step by step (mnist_style), including the
 * arithmetic of Pillow's BOX resize and NumPy's pairwise summation, so that both give the same
 * 784 numbers for the same picture. predict() is the forward pass of code/scratchnet/model.py:
 * z1 = x W1 + b1, a1 = ReLU(z1), z2 = a1 W2 + b2, p = softmax(z2), with W1 (784, H) row-major.
 */
(function () {
  "use strict";

  var INK_THRESHOLD = 0.1; // preprocess.INK_THRESHOLD
  var BOX = 20;            // preprocess.BOX
  var FIELD = 28;          // preprocess.FIELD
  var MAGIC = "SCRNTWEB";  // scratchnet.export.MAGIC
  var MODEL_FILE = "models/mnist-demo.bin"; // relative to this script (written by book/demo.md)

  var scriptUrl = document.currentScript ? document.currentScript.src : document.baseURI;

  // ---- numerics that must match Python ---------------------------------------------------------

  /* Python's round(): halves go to the even neighbour (round(2.5) == 2). */
  function roundHalfEven(x) {
    var f = Math.floor(x), d = x - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return f % 2 === 0 ? f : f + 1;
  }

  /* NumPy's pairwise summation of a[lo .. lo+n) (numpy/_core/src/umath/loops_utils.h), so that
     sums of floats round exactly as ndarray.sum() does. */
  function pairwise(a, lo, n) {
    var i, res;
    if (n < 8) {
      res = 0.0;
      for (i = 0; i < n; i++) res += a[lo + i];
      return res;
    }
    if (n <= 128) {
      var r = [a[lo], a[lo + 1], a[lo + 2], a[lo + 3], a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]];
      for (i = 8; i < n - (n % 8); i += 8) {
        for (var j = 0; j < 8; j++) r[j] += a[lo + i + j];
      }
      res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) res += a[lo + i];
      return res;
    }
    var n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return pairwise(a, lo, n2) + pairwise(a, lo + n2, n - n2);
  }
  function npSum(a) { return 0.0 + pairwise(a, 0, a.length); }

  // ---- preprocessing: preprocess.mnist_style ----------------------------------------------------

  /* ink_bright: invert when the border (the paper) is light, so ink is bright on dark. */
  function inkBright(img) {
    var w = img.width, h = img.height, d = img.data, border = [], x, y;
    for (x = 0; x < w; x++) border.push(d[x]);
    for (x = 0; x < w; x++) border.push(d[(h - 1) * w + x]);
    for (y = 0; y < h; y++) border.push(d[y * w]);
    for (y = 0; y < h; y++) border.push(d[y * w + w - 1]);
    if (npSum(border) / border.length <= 0.5) return img;
    var out = new Float64Array(d.length);
    for (var i = 0; i < d.length; i++) out[i] = 1.0 - d[i];
    return { width: w, height: h, data: out };
  }

  /* paper_to_black: stretch so the paper (the border's median) is 0 and the brightest ink is 1;
     a picture whose brightest pixel is within INK_THRESHOLD of the paper becomes all zeros. */
  function paperToBlack(img) {
    var w = img.width, h = img.height, d = img.data, border = [], x, y, i;
    for (x = 0; x < w; x++) border.push(d[x]);
    for (x = 0; x < w; x++) border.push(d[(h - 1) * w + x]);
    for (y = 0; y < h; y++) border.push(d[y * w]);
    for (y = 0; y < h; y++) border.push(d[y * w + w - 1]);
    border.sort(function (a, b) { return a - b; });
    var mid = border.length >> 1;                  // np.median: the mean of the middle values
    var paper = border.length % 2 ? border[mid] : (border[mid - 1] + border[mid]) / 2;
    var ink = -Infinity;
    for (i = 0; i < d.length; i++) if (d[i] > ink) ink = d[i];
    var out = new Float64Array(d.length);
    if (ink - paper <= INK_THRESHOLD) return { width: w, height: h, data: out };
    for (i = 0; i < d.length; i++) {
      var v = (d[i] - paper) / (ink - paper);
      out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    return { width: w, height: h, data: out };
  }

  /* crop_to_ink: the smallest rectangle holding every pixel brighter than INK_THRESHOLD. */
  function cropToInk(img) {
    var w = img.width, h = img.height, d = img.data;
    var top = h, bottom = -1, left = w, right = -1;
    for (var y = 0; y < h; y++) {
      for (var x = 0; x < w; x++) {
        if (d[y * w + x] > INK_THRESHOLD) {
          if (y < top) top = y;
          if (y > bottom) bottom = y;
          if (x < left) left = x;
          if (x > right) right = x;
        }
      }
    }
    if (bottom < 0) return null; // no ink
    var cw = right - left + 1, ch = bottom - top + 1, out = new Float64Array(cw * ch);
    for (var yy = 0; yy < ch; yy++) {
      for (var xx = 0; xx < cw; xx++) out[yy * cw + xx] = d[(top + yy) * w + left + xx];
    }
    return { width: cw, height: ch, data: out };
  }

  /* Pillow's resampling coefficients for the BOX filter (Resample.c: precompute_coeffs followed
     by normalize_coeffs_8bpc): for each output pixel, the first input pixel and fixed-point
     weights with 22 fraction bits. */
  var PRECISION_BITS = 22, ONE = 1 << PRECISION_BITS;
  function boxCoefficients(inSize, outSize) {
    var scale = inSize / outSize, filterscale = Math.max(scale, 1.0);
    var support = 0.5 * filterscale, ss = 1.0 / filterscale, result = [];
    for (var xx = 0; xx < outSize; xx++) {
      var center = (xx + 0.5) * scale;
      var xmin = Math.max(0, Math.trunc(center - support + 0.5));
      var xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
      var k = [], ww = 0.0, x, t;
      for (x = 0; x < xmax; x++) {
        t = (x + xmin - center + 0.5) * ss;
        k.push(t > -0.5 && t <= 0.5 ? 1.0 : 0.0);
        ww += k[x];
      }
      for (x = 0; x < xmax; x++) {
        if (ww !== 0.0) k[x] /= ww;
        k[x] = k[x] < 0 ? Math.trunc(-0.5 + k[x] * ONE) : Math.trunc(0.5 + k[x] * ONE);
      }
      result.push({ start: xmin, weights: k });
    }
    return result;
  }
  function clip8(v) { // Pillow's clip8: v >> 22, clipped to 0..255
    var q = Math.floor(v / ONE);
    return q < 0 ? 0 : q > 255 ? 255 : q;
  }

  /* One pass of Pillow's 8-bit resampling along x (horizontal) or y: each output pixel is
     (2^21 + sum of pixel * weight) >> 22, clipped to 0..255. */
  function resamplePass(src, w, h, horizontal, outSize) {
    var coeffs = boxCoefficients(horizontal ? w : h, outSize);
    var ow = horizontal ? outSize : w, oh = horizontal ? h : outSize;
    var out = new Uint8Array(ow * oh), x, y, i, c, acc;
    for (y = 0; y < oh; y++) {
      for (x = 0; x < ow; x++) {
        c = coeffs[horizontal ? x : y];
        acc = 1 << (PRECISION_BITS - 1);
        for (i = 0; i < c.weights.length; i++) {
          acc += (horizontal ? src[y * w + c.start + i] : src[(c.start + i) * w + x]) * c.weights[i];
        }
        out[y * ow + x] = clip8(acc);
      }
    }
    return out;
  }

  /* Image.fromarray(u8).resize((outW, outH), Image.Resampling.BOX) for a mode "L" image: two
     passes, each rounding to 8 bits. Like Pillow 13 (ImagingResampleInner), the vertical pass
     goes first when the height shrinks by more than twice as many pixels as the width. */
  function pilResizeBox(u8, w, h, outW, outH) {
    var verticalFirst = (h - outH) > 0 && (h - outH) > (w - outW) * 2;
    var img = u8;
    if (verticalFirst) {
      if (outH !== h) img = resamplePass(img, w, h, false, outH);
      if (outW !== w) img = resamplePass(img, w, outH, true, outW);
    } else {
      if (outW !== w) img = resamplePass(img, w, h, true, outW);
      if (outH !== h) img = resamplePass(img, outW, h, false, outH);
    }
    return img === u8 ? Uint8Array.from(u8) : img;
  }

  /* fit_box: scale so the longer side is BOX pixels, keeping the aspect ratio. */
  function fitBox(img) {
    var w = img.width, h = img.height, scale = BOX / Math.max(h, w);
    var outW = Math.max(1, roundHalfEven(w * scale)), outH = Math.max(1, roundHalfEven(h * scale));
    var u8 = new Uint8Array(w * h);
    for (var i = 0; i < u8.length; i++) u8[i] = Math.trunc(img.data[i] * 255); // astype(np.uint8)
    var r = pilResizeBox(u8, w, h, outW, outH), out = new Float64Array(r.length);
    for (var j = 0; j < r.length; j++) out[j] = r[j] / 255.0;
    return { width: outW, height: outH, data: out };
  }

  /* centre_by_mass: place the image in FIELD x FIELD with its centre of mass at the centre. */
  function centreByMass(img) {
    var w = img.width, h = img.height, d = img.data, n = w * h;
    var wy = new Float64Array(n), wx = new Float64Array(n);
    for (var y = 0; y < h; y++) {
      for (var x = 0; x < w; x++) { wy[y * w + x] = y * d[y * w + x]; wx[y * w + x] = x * d[y * w + x]; }
    }
    var mass = npSum(d), cy = npSum(wy) / mass, cx = npSum(wx) / mass;
    var top = Math.min(Math.max(roundHalfEven(FIELD / 2 - cy), 0), FIELD - h);
    var left = Math.min(Math.max(roundHalfEven(FIELD / 2 - cx), 0), FIELD - w);
    var out = new Float32Array(FIELD * FIELD);
    for (var yy = 0; yy < h; yy++) {
      for (var xx = 0; xx < w; xx++) out[(top + yy) * FIELD + left + xx] = d[yy * w + xx];
    }
    return out;
  }

  /* mnist_style: gray picture (ink dark or bright) -> 784 numbers in [0, 1], or null if blank. */
  function preprocess(gray) {
    var img = { width: gray.width, height: gray.height, data: Float64Array.from(gray.data) };
    var cropped = cropToInk(paperToBlack(inkBright(img)));
    return cropped === null ? null : centreByMass(fitBox(cropped));
  }

  // ---- the network: model.forward --------------------------------------------------------------

  function loadModel(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error("could not load " + url + " (HTTP " + response.status + ")");
      return response.arrayBuffer();
    }).then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      if (String.fromCharCode.apply(null, bytes.subarray(0, 8)) !== MAGIC) {
        throw new Error(url + " is not a scratchnet web model");
      }
      var n = new DataView(buffer).getUint32(8, true);
      var header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n)));
      var model = { header: header, hidden: header.architecture.layers[1] };
      header.arrays.forEach(function (a) {
        // the file is little-endian; so is every platform a browser runs on in practice
        model[a.name] = new Float32Array(buffer, a.offset, a.count);
      });
      return model;
    });
  }

  /* z1 = x W1 + b1, a1 = ReLU(z1), z2 = a1 W2 + b2, p = softmax(z2) for one row x (784,). */
  function forward(model, x) {
    var H = model.hidden, W1 = model.W1, b1 = model.b1, W2 = model.W2, b2 = model.b2;
    var z1 = new Float64Array(H), i, j, k;
    for (j = 0; j < H; j++) z1[j] = b1[j];
    for (i = 0; i < 784; i++) {
      var xi = x[i];
      if (xi === 0) continue;
      var row = i * H;
      for (j = 0; j < H; j++) z1[j] += xi * W1[row + j];
    }
    var z2 = new Float64Array(10);
    for (k = 0; k < 10; k++) z2[k] = b2[k];
    for (j = 0; j < H; j++) {
      var a = z1[j] > 0 ? z1[j] : 0; // ReLU
      if (a === 0) continue;
      for (k = 0; k < 10; k++) z2[k] += a * W2[j * 10 + k];
    }
    var m = Math.max.apply(null, z2), e = new Array(10), s = 0;
    for (k = 0; k < 10; k++) { e[k] = Math.exp(z2[k] - m); s += e[k]; }
    for (k = 0; k < 10; k++) e[k] /= s;
    return e;
  }

  // ---- the public interface --------------------------------------------------------------------

  var readyPromise = null;
  function modelUrl() {
    var root = document.getElementById("scratchnet-demo");
    return new URL((root && root.dataset.model) || MODEL_FILE, scriptUrl).href;
  }
  function ready() { // the weights are fetched once, on first use
    if (readyPromise === null) readyPromise = loadModel(modelUrl());
    return readyPromise;
  }

  var api = {
    predict: function (pixels) {
      if (!pixels || pixels.length !== 784) {
        return Promise.reject(new Error("predict expects 784 numbers (a row-major 28x28 image)"));
      }
      return ready().then(function (model) { return forward(model, pixels); });
    },
    preprocess: preprocess,
    forward: forward
  };
  Object.defineProperty(api, "ready", { get: ready, enumerable: true });
  window.scratchnet = api;

  // ---- the page: drawing canvas, 28x28 preview, probability bars --------------------------------

  function el(tag, attrs, parent) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key]; else node.setAttribute(key, attrs[key]);
    });
    if (parent) parent.appendChild(node);
    return node;
  }

  function buildDemo(root) {
    var SIZE = 280, LINE = 24;
    var row = el("div", { "class": "sn-row" }, root);
    var pad = el("div", { "class": "sn-pad" }, row);
    var canvas = el("canvas", { id: "sn-draw", width: SIZE, height: SIZE, role: "img",
      "aria-label": "Drawing area: draw one digit with the mouse or a finger" }, pad);
    var buttons = el("div", { "class": "sn-buttons" }, pad);
    var clear = el("button", { id: "sn-clear", type: "button", text: "Clear" }, buttons);
    var side = el("div", { "class": "sn-side" }, row);
    el("div", { "class": "sn-caption", text: "What the network sees (28 \u00d7 28)" }, side);
    var preview = el("canvas", { id: "sn-input", width: FIELD, height: FIELD, role: "img",
      "aria-label": "The 28 by 28 input the network receives" }, side);
    var prediction = el("div", { id: "sn-prediction", "class": "sn-prediction", "aria-live": "polite",
      text: "Loading the network\u2026" }, side);
    var bars = el("div", { id: "sn-bars", "class": "sn-bars" }, root);
    var fills = [], values = [];
    for (var k = 0; k < 10; k++) {
      var bar = el("div", { "class": "sn-bar", "data-digit": String(k) }, bars);
      el("span", { "class": "sn-digit", text: String(k) }, bar);
      var track = el("span", { "class": "sn-track" }, bar);
      fills.push(el("span", { "class": "sn-fill" }, track));
      values.push(el("span", { "class": "sn-value", text: "\u2013" }, bar));
    }

    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    function paper() {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, SIZE, SIZE);
    }
    paper();
    ctx.strokeStyle = "#000000";
    ctx.fillStyle = "#000000";
    ctx.lineWidth = LINE;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";

    /* The canvas as gray levels in [0, 1]: Pillow's convert("L") luminance, then / 255. */
    function canvasGray() {
      var rgba = ctx.getImageData(0, 0, SIZE, SIZE).data, data = new Float64Array(SIZE * SIZE);
      for (var i = 0; i < data.length; i++) {
        var r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
        data[i] = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / 255;
      }
      return { width: SIZE, height: SIZE, data: data };
    }
    api.canvasGray = canvasGray;

    var pctx = preview.getContext("2d");
    function showInput(x) {
      var image = pctx.createImageData(FIELD, FIELD);
      for (var i = 0; i < FIELD * FIELD; i++) {
        var v = Math.round(255 * (x ? x[i] : 0));
        image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = v;
        image.data[4 * i + 3] = 255;
      }
      pctx.putImageData(image, 0, 0);
    }
    function showProbabilities(p) {
      var best = -1;
      for (var k = 0; k < 10; k++) {
        fills[k].style.width = p ? (100 * p[k]).toFixed(1) + "%" : "0";
        values[k].textContent = p ? p[k].toFixed(3) : "\u2013";
        if (p && (best < 0 || p[k] > p[best])) best = k;
      }
      for (var j = 0; j < 10; j++) bars.children[j].classList.toggle("sn-best", j === best);
      prediction.textContent = p ? "The network says: " + best + " (p = " + p[best].toFixed(3) + ")"
                                 : "Draw a digit in the box.";
      root.dataset.prediction = p ? String(best) : "";
    }

    var pending = false;
    function update() {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        var x = preprocess(canvasGray());
        showInput(x);
        if (x === null) { showProbabilities(null); return; }
        api.predict(x).then(function (p) {
          api.lastInput = x;
          api.lastProbabilities = p;
          showProbabilities(p);
        }, showError);
      });
    }
    function showError(err) {
      prediction.textContent = "The network could not be loaded: " + err.message +
        ". Rebuild the book (the build writes the weights).";
      root.classList.add("sn-error");
    }

    var last = null;
    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return [(event.clientX - rect.left) * SIZE / rect.width,
              (event.clientY - rect.top) * SIZE / rect.height];
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      last = point(event);
      ctx.beginPath();
      ctx.arc(last[0], last[1], LINE / 2, 0, 2 * Math.PI);
      ctx.fill();
      update();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (last === null) return;
      event.preventDefault();
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      last = p;
      update();
    });
    function end() { last = null; update(); }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    clear.addEventListener("click", function () {
      paper();
      api.lastInput = api.lastProbabilities = null;
      showInput(null);
      showProbabilities(null);
    });

    showInput(null);
    ready().then(function () {
      prediction.textContent = "Draw a digit in the box.";
      root.dataset.ready = "true";
    }, showError);
  }

  function start() { // Sphinx may load this script in <head>: look for the demo once the page is parsed
    var root = document.getElementById("scratchnet-demo");
    if (root && !root.dataset.built) {
      root.dataset.built = "true";
      buildDemo(root);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
