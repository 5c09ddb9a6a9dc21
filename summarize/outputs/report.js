/* The report page's script (summarize/outputs/report.py inlines it into NAME.summary.html).

   It plays the source from a shot, the curve or the timeline, and chooses the shots again
   for another length from the summary document embedded in the page: the default rule of
   summarize/total_selection.py, step for step as summarize/outputs/reselect.py does it, so
   that the shots, the edit list (EDL), the chapters, the OpenTimelineIO timeline and the
   summary JSON it offers are those `summarize export NAME.summary.json --budget X` writes
   (the EDL and chapters byte for byte). Python's rounding and number formatting are
   mirrored where a text depends on them. Nothing here reaches the network. */
(function () {
  "use strict";

  // ---- numbers as Python computes and writes them --------------------------------------

  /** Python's round(x) of a float: to the nearest integer, ties to even. */
  function pyRoundInt(x) {
    const f = Math.floor(x);
    const d = x - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return f % 2 === 0 ? f : f + 1;
  }

  /** format(x, f".{d}f") in Python: correctly rounded, exact ties to even (toFixed rounds them up). */
  function pyFixed(x, d) {
    const exact = Math.abs(x).toFixed(100);
    const dot = exact.indexOf(".");
    if (/^50*$/.test(exact.slice(dot + 1 + d))) {
      const kept = exact.slice(0, d ? dot + 1 + d : dot);
      if (Number(kept[kept.length - 1]) % 2 === 0) return (x < 0 || Object.is(x, -0) ? "-" : "") + kept;
    }
    return x.toFixed(d);
  }

  /** Python's round(x, d). */
  function pyRound(x, d) {
    return Number(pyFixed(x, d));
  }

  /** total_selection.micros: NumPy's round(t, 6) (rint(t * 1e6) / 1e6), then rint(. * 1e6). */
  function micros(t) {
    return pyRoundInt((pyRoundInt(t * 1e6) / 1e6) * 1e6);
  }

  /** a // b for integers (exact where a / b rounds up to a whole number). */
  function floorDiv(a, b) {
    let q = Math.floor(a / b);
    if (q * b > a) q -= 1;
    else if ((q + 1) * b <= a) q += 1;
    return q;
  }

  function ceilDiv(a, b) {
    return -floorDiv(-a, b);
  }

  /** Digits and decimal point of the shortest repr of a finite non-negative x: 1.5 -> ["15", 1]. */
  function shortest(x) {
    const [mantissa, exponent] = x.toExponential().split("e");
    return [mantissa.replace(".", ""), Number(exponent) + 1];
  }

  /** repr(float) in Python: 2.0, 0.15, 1e-05, 1e+16. */
  function pyFloatRepr(x) {
    if (Number.isNaN(x)) return "NaN";
    if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
    const sign = x < 0 || Object.is(x, -0) ? "-" : "";
    const [digits, point] = shortest(Math.abs(x));
    if (-4 < point && point <= 16) {
      if (point <= 0) return sign + "0." + "0".repeat(-point) + digits;
      if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length) + ".0";
      return sign + digits.slice(0, point) + "." + digits.slice(point);
    }
    const mantissa = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
    const e = point - 1;
    return sign + mantissa + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
  }

  /** A JSON string as Python's json.dumps writes it (ensure_ascii). */
  function pyJsonString(text) {
    return JSON.stringify(text).replace(/[\u007f-\uffff]/g,
      (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  }

  /** json.dumps(value, sort_keys=True) of a value whose numbers are all floats (the options'
      fingerprint counts 2 and 2.0 the same: summary_json._canonical). */
  function pyJsonCanonical(value) {
    if (value === null || value === undefined) return "null";
    if (value === true) return "true";
    if (value === false) return "false";
    if (typeof value === "number") return pyFloatRepr(value);
    if (typeof value === "string") return pyJsonString(value);
    if (Array.isArray(value)) return "[" + value.map(pyJsonCanonical).join(", ") + "]";
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => pyJsonString(k) + ": " + pyJsonCanonical(value[k])).join(", ") + "}";
  }

  /** SHA-256 of a text's UTF-8 bytes, in hex (the fingerprint's digest: digest.text_digest). */
  function sha256Hex(text) {
    const K = new Uint32Array([
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
    const bytes = new TextEncoder().encode(text);
    const length = Math.ceil((bytes.length + 9) / 64) * 64;
    const block = new Uint8Array(length);
    block.set(bytes);
    block[bytes.length] = 0x80;
    const view = new DataView(block.buffer);
    view.setUint32(length - 8, Math.floor(bytes.length / 0x20000000));
    view.setUint32(length - 4, (bytes.length * 8) >>> 0);
    const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const w = new Uint32Array(64);
    const rotr = (v, n) => (v >>> n) | (v << (32 - n));
    for (let offset = 0; offset < length; offset += 64) {
      for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + 4 * i);
      for (let i = 16; i < 64; i++) {
        const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
      }
      let [a, b, c, d, e, f, g, hh] = h;
      for (let i = 0; i < 64; i++) {
        const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
        hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
      }
      h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
    return Array.from(h, (v) => v.toString(16).padStart(8, "0")).join("");
  }

  /** options.fingerprint of option values (summary_json.options_fingerprint). */
  function fingerprint(formatVersion, values) {
    return sha256Hex("[" + String(formatVersion) + ", " + pyJsonCanonical(values) + "]").slice(0, 16);
  }

  /** First index in [lo, hi) with arr[i] >= x (NumPy's searchsorted, side left). */
  function lowerBound(arr, x, lo = 0, hi = arr.length) {
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** First index in [lo, hi) with arr[i] > x (side right). */
  function upperBound(arr, x, lo = 0, hi = arr.length) {
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid] <= x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // ---- the rule: total_selection.py's docstring, from the document ------------------------

  const STEPS = 16384;

  /** What the rule needs of a document, computed once (reselect.py: kts_shots, known_times). */
  function prepare(doc) {
    const byStart = doc.shots.slice().sort((x, y) => x.start_frame - y.start_frame);
    const kts = [];
    for (const s of byStart) {
      if (s.split && kts.length) kts[kts.length - 1].b = s.end_frame;
      else kts.push({ a: s.start_frame, b: s.end_frame, boundary: s.boundary });
    }
    const known = new Map();
    for (const s of doc.shots) {
      known.set(s.start_frame, s.start);
      known.set(s.end_frame, s.end);
    }
    const frames = doc.samples.frame;
    doc.samples.frame_time.forEach((t, k) => known.set(frames[k], t));
    const order = Array.from(known.keys()).sort((x, y) => x - y);
    const us = new Map(order.map((f) => [f, micros(known.get(f))]));
    const nFrames = kts[kts.length - 1].b;
    const raw = doc.samples.score.map((v) => pyRoundInt(pyRound(v, 6) * 1e6));
    const lowest = raw.reduce((m, v) => Math.min(m, v), Infinity);
    const q = raw.map((v) => v - lowest + 1);
    // Every frame takes the score of the last sample at or before it (the first's before it).
    const qSum = new Float64Array(nFrames + 1);
    const scoreSum = new Float64Array(nFrames + 1);
    let owner = 0;
    let qAcc = 0;
    let sAcc = 0;
    for (let f = 0; f < nFrames; f++) {
      while (owner + 1 < frames.length && frames[owner + 1] <= f) owner++;
      qAcc += q[owner];
      sAcc += doc.samples.score[owner];
      qSum[f + 1] = qAcc;
      scoreSum[f + 1] = sAcc;
    }
    // The shots' span: the video, or the part of it --start/--end summarized.
    return { doc, kts, known, order, us, nFrames, frames, at: frames.map((f) => us.get(f)), q, qSum, scoreSum,
             durationUs: us.get(nFrames) - us.get(kts[0].a) };
  }

  /** Step 4: shots cut at their lowest samples; pieces [a, b, starts-at-a-cut], in time order. */
  function cutPieces(p, longest, shortest) {
    const { frames, at, q, us } = p;
    const pieces = [];
    const todo = p.kts.map((s) => [s.a, s.b, upperBound(frames, s.a), lowerBound(frames, s.b), false]);
    while (todo.length) {
      const [a, b, lo, hi, split] = todo.pop();
      const start = us.get(a);
      const stop = us.get(b);
      if (stop - start > longest) {
        const side = Math.max(shortest, 1);
        const i = lowerBound(at, start + side, lo, hi);
        const j = upperBound(at, stop - side, lo, hi);
        if (i < j) {
          // the lowest score; of equals, the nearest the middle; of two as near, the earlier
          const off = (c) => Math.abs(2 * at[c] - start - stop);
          let k = i;
          for (let c = i + 1; c < j; c++) {
            if (q[c] < q[k] || (q[c] === q[k] && off(c) < off(k))) k = c;
          }
          const middle = frames[k];
          todo.push([a, middle, lo, k, split]);
          todo.push([middle, b, k + 1, hi, true]);
          continue;
        }
      }
      pieces.push([a, b, split]);
    }
    return pieces.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  }

  /** Step 5's exact 0/1 knapsack with its tie-break; the kept items. */
  function knapsack(values, weights, capacity) {
    const chosen = values.map(() => false);
    if (capacity <= 0) return chosen;
    const best = new Float64Array(capacity + 1);
    const words = Math.ceil((capacity + 1) / 32);
    const taken = values.map((v, i) => {
      const w = weights[i];
      if (w > capacity) return null;
      const bits = new Uint32Array(words);
      for (let c = capacity; c >= w; c--) {
        const candidate = best[c - w] + v;
        if (candidate > best[c]) {
          best[c] = candidate;
          bits[c >>> 5] |= 1 << (c & 31);
        }
      }
      return bits;
    });
    let c = capacity;
    for (let i = values.length - 1; i >= 0; i--) {
      const bits = taken[i];
      if (bits && c >= weights[i] && (bits[c >>> 5] >>> (c & 31)) & 1) {
        chosen[i] = true;
        c -= weights[i];
      }
    }
    return chosen;
  }

  /** The rule for ``budget`` ({fraction} or {seconds}): pieces, their flags and means. */
  function selectTotal(p, budget) {
    const sel = p.doc.selection;
    const durationUs = p.durationUs;
    const capacity = budget.seconds !== undefined ? Math.min(micros(budget.seconds), durationUs)
      : Math.floor(budget.fraction * durationUs);
    let shortest = Math.min(micros(sel.min_shot), floorDiv(capacity, 2));
    const longestShot = p.kts.reduce((m, s) => Math.max(m, p.us.get(s.b) - p.us.get(s.a)), -Infinity);
    if (longestShot < shortest) shortest = 0;
    const longest = Math.min(Math.max(micros(sel.max_piece), 2 * shortest), floorDiv(capacity, 2));
    let pieces = cutPieces(p, longest, shortest);
    const frame = micros(sel.frame_unit);
    const step = frame * Math.max(1, ceilDiv(floorDiv(capacity, frame), STEPS));
    const size = floorDiv(capacity, step);
    const lengths = pieces.map(([a, b]) => p.us.get(b) - p.us.get(a));
    let kept = pieces.map(() => false);
    if (capacity >= durationUs) {
      kept = pieces.map(() => true);
    } else {
      const eligible = [];
      lengths.forEach((l, i) => { if (l >= shortest && l <= capacity) eligible.push(i); });
      const chosen = knapsack(eligible.map((i) => p.qSum[pieces[i][1]] - p.qSum[pieces[i][0]]),
                              eligible.map((i) => floorDiv(2 * lengths[i] + step, 2 * step)), size);
      eligible.forEach((i, k) => { kept[i] = chosen[k]; });
    }
    if (!kept.some(Boolean) && pieces.length) {
      [pieces, kept] = bestMoment(p, pieces, Math.max(1, floorDiv(capacity, frame)));
    }
    const means = pieces.map(([a, b]) => (p.scoreSum[b] - p.scoreSum[a]) / Math.max(b - a, 1));
    return { pieces, kept, means, size, step };
  }

  /** Step 6: ``count`` frames from the highest-scoring sample on, cut out of its piece. */
  function bestMoment(p, pieces, count) {
    let k = 0;
    p.q.forEach((v, i) => { if (v > p.q[k]) k = i; });
    const start = p.frames[k];
    const i = upperBound(pieces.map((x) => x[0]), start) - 1;
    const [a, b, split] = pieces[i];
    const end = Math.min(start + count, b);
    const parts = [[a, start, split, false], [start, end, start !== a, true], [end, b, true, false]]
      .filter(([x, y]) => y > x);
    const out = [...pieces.slice(0, i), ...parts.map(([x, y, s]) => [x, y, s]), ...pieces.slice(i + 1)];
    const kept = [...pieces.slice(0, i).map(() => false), ...parts.map((x) => x[3]),
                  ...pieces.slice(i + 1).map(() => false)];
    return [out, kept];
  }

  /** When a frame starts: the document's time, else between the nearest frames it gives. */
  function frameSeconds(p, frame) {
    if (p.known.has(frame)) return p.known.get(frame);
    const after = lowerBound(p.order, frame);
    const fa = p.order[after - 1];
    const fb = p.order[after];
    const ta = p.known.get(fa);
    const tb = p.known.get(fb);
    return pyRound(ta + (tb - ta) * (frame - fa) / (fb - fa), 6);
  }

  /** [start, end) seconds of the kept shots, touching ones joined. */
  function keptRuns(shots) {
    const runs = [];
    let last = null;
    for (const s of shots) {
      if (!s.selected) continue;
      if (runs.length && last === s.start_frame) runs[runs.length - 1][1] = s.end;
      else runs.push([s.start, s.end]);
      last = s.end_frame;
    }
    return runs;
  }

  /** reselect.reselect: the document with its shots chosen again for ``budget``. */
  function reselect(p, budget) {
    const doc = p.doc;
    const result = selectTotal(p, budget);
    const scores = new Map(doc.shots.map((s) => [s.start_frame + "," + s.end_frame, s.score]));
    const kinds = new Map(p.kts.map((s) => [s.a, s.boundary]));
    const shots = result.pieces.map(([a, b, split], i) => ({
      index: i,
      start: frameSeconds(p, a),
      end: frameSeconds(p, b),
      start_frame: a,
      end_frame: b,
      score: scores.has(a + "," + b) ? scores.get(a + "," + b) : pyRound(result.means[i], 6),
      boundary: a === p.kts[0].a ? "start" : (kinds.get(a) || "sample"),
      split: Boolean(split),
      selected: result.kept[i],
    }));
    const runs = keptRuns(shots);
    let keptSeconds = 0;
    for (const [a, b] of runs) keptSeconds += b - a;
    const part = doc.sampling.range;
    const total = part ? part.end - part.start : doc.input.duration;
    const fraction = budget.seconds === undefined ? budget.fraction
      : (total > 0 ? Math.min(1.0, budget.seconds / total) : 1.0);
    const out = JSON.parse(JSON.stringify(doc));
    out.shots = shots;
    Object.assign(out.selection, {
      budget: pyRound(fraction, 6),
      duration: budget.seconds === undefined ? null : budget.seconds,
      selected_frames: shots.reduce((n, s) => n + (s.selected ? s.end_frame - s.start_frame : 0), 0),
      achieved: total > 0 ? pyRound(keptSeconds / total, 6) : 0.0,
      capacity_seconds: pyRound(result.size * (result.step / 1e6), 6),
      shots_split: shots.filter((s) => s.split).length,
      n_shots: shots.length,
    });
    out.summary = { duration: pyRound(keptSeconds, 6), n_shots: runs.length };
    const values = out.options.values;
    values.budget = budget.seconds === undefined ? budget.fraction : null;
    values.duration = budget.seconds === undefined ? null : budget.seconds;
    out.options.fingerprint = fingerprint(doc.format_version, values);
    out.outputs = { video: null, video_encoding: null };
    return out;
  }

  // ---- the exports: summarize/outputs/exports, from a document -----------------------------

  /** kept.kept_ranges: runs of touching kept shots with their frame-weighted score. */
  function keptRanges(doc) {
    const runs = [];
    const shots = doc.shots.filter((s) => s.selected).sort((x, y) => x.start_frame - y.start_frame);
    for (const s of shots) {
      const run = runs[runs.length - 1];
      if (run && run[run.length - 1].end_frame === s.start_frame) run.push(s);
      else runs.push([s]);
    }
    return runs.map((run) => {
      let weighted = 0;
      let frames = 0;
      for (const s of run) {
        weighted += (s.end_frame - s.start_frame) * s.score;
        frames += s.end_frame - s.start_frame;
      }
      return { start_frame: run[0].start_frame, end_frame: run[run.length - 1].end_frame, start: run[0].start,
               end: run[run.length - 1].end, score: pyRound(weighted / Math.max(frames, 1), 6),
               shots: run.map((s) => s.index) };
    });
  }

  /** kept.milliseconds: the seconds as written (their repr), times 1000, rounded half up. */
  function milliseconds(seconds) {
    const [digits, point] = shortest(Math.abs(seconds));
    const whole = point + 3; // digits before the decimal point of the milliseconds
    let value;
    if (whole <= 0) value = 0 + (whole === 0 && Number(digits[0]) >= 5 ? 1 : 0);
    else if (whole >= digits.length) value = Number(digits + "0".repeat(whole - digits.length));
    else value = Number(digits.slice(0, whole)) + (Number(digits[whole]) >= 5 ? 1 : 0);
    return seconds < 0 ? -value : value;
  }

  /** kept.clock: HH:MM:SS.mmm. */
  function clock(seconds) {
    const ms = milliseconds(seconds);
    const pad = (v, n) => String(v).padStart(n, "0");
    return `${pad(Math.floor(ms / 3600000), 2)}:${pad(Math.floor(ms / 60000) % 60, 2)}:` +
           `${pad(Math.floor(ms / 1000) % 60, 2)}.${pad(ms % 1000, 3)}`;
  }

  function chapterTitle(k, kept) {
    return `Kept shot ${k} (score ${pyFixed(kept.score, 2)})`;
  }

  /** chapters.webvtt */
  function webvtt(doc) {
    const lines = ["WEBVTT", "", `NOTE kept shots of ${doc.input.file_name} chosen by summarize`, ""];
    keptRanges(doc).forEach((kept, i) => {
      lines.push(String(i + 1), `${clock(kept.start)} --> ${clock(kept.end)}`, chapterTitle(i + 1, kept), "");
    });
    return lines.join("\n");
  }

  /** chapters.ffmetadata */
  function ffmetadata(doc) {
    const lines = [";FFMETADATA1"];
    keptRanges(doc).forEach((kept, i) => {
      const title = chapterTitle(i + 1, kept).replace(/=/g, "\\=").replace(/;/g, "\\;").replace(/#/g, "\\#");
      lines.push("", "[CHAPTER]", "TIMEBASE=1/1000000", `START=${pyRoundInt(kept.start * 1e6)}`,
                 `END=${pyRoundInt(kept.end * 1e6)}`, `title=${title}`);
    });
    return lines.join("\n") + "\n";
  }

  // rates.py
  const TIMECODE_RATES = [[24000, 1001], [24, 1], [25, 1], [30000, 1001], [30, 1], [48, 1], [50, 1],
                          [60000, 1001], [60, 1]];
  const SAME_RATE = 0.002;
  const ON_FRAME = 0.05;

  /** Fraction(x).limit_denominator(most) as [numerator, denominator] (Python 3.11's). */
  function limitDenominator(x, most) {
    let [m, e] = [x, 0];
    while (!Number.isInteger(m)) { m *= 2; e += 1; }
    let n = BigInt(m);
    let d = 1n << BigInt(e);
    const gcd = (a, b) => { while (b) [a, b] = [b, a % b]; return a < 0n ? -a : a; };
    const g = gcd(n, d);
    n /= g; d /= g;
    const limit = BigInt(most);
    if (d <= limit) return [Number(n), Number(d)];
    let [p0, q0, p1, q1] = [0n, 1n, 1n, 0n];
    let [nn, dd] = [n, d];
    for (;;) {
      const a = nn / dd;
      const q2 = q0 + a * q1;
      if (q2 > limit) break;
      [p0, q0, p1, q1] = [p1, q1, p0 + a * p1, q2];
      [nn, dd] = [dd, nn - a * dd];
    }
    const k = (limit - q0) / q1;
    const [b1n, b1d] = [p0 + k * p1, q0 + k * q1];
    const abs = (v) => (v < 0n ? -v : v);
    // |p1/q1 - n/d| <= |b1n/b1d - n/d|, in integers
    return abs(p1 * d - n * q1) * b1d <= abs(b1n * d - n * b1d) * q1 ? [Number(p1), Number(q1)]
      : [Number(b1n), Number(b1d)];
  }

  function makeRate([num, den], perFrame, timecode, sourceRate) {
    const fps = num / den;
    return { num, den, fps, perFrame, timecode, sourceRate,
             dropFrame: timecode && den === 1001 && (num === 30000 || num === 60000),
             frames(frame, seconds) {
               if (perFrame !== null) return frame * perFrame;
               const exact = seconds * fps;
               const nearest = pyRoundInt(exact);
               return Math.abs(exact - nearest) <= ON_FRAME ? nearest : Math.ceil(exact);
             } };
  }

  /** rates.edit_rate */
  function editRate(avgFps, cuts) {
    let best = TIMECODE_RATES[0];
    for (const r of TIMECODE_RATES) if (Math.abs(r[0] / r[1] - avgFps) < Math.abs(best[0] / best[1] - avgFps)) best = r;
    let grid = null;
    if (Math.abs(best[0] / best[1] - avgFps) <= SAME_RATE * (best[0] / best[1])) {
      grid = makeRate(best, 1, true, avgFps);
    } else {
      for (const r of TIMECODE_RATES) {
        const multiple = (r[0] / r[1]) / avgFps;
        const whole = pyRoundInt(multiple);
        if (whole >= 2 && Math.abs(multiple - whole) <= 1e-4 * multiple) {
          grid = makeRate(r, whole, true, avgFps);
          break;
        }
      }
    }
    if (grid && cuts.every(([f, t]) => Math.abs(t * grid.fps - f * grid.perFrame) <= ON_FRAME)) return grid;
    if (avgFps <= 60 * (1 + SAME_RATE)) return makeRate([60, 1], null, true, avgFps);
    return makeRate(limitDenominator(avgFps, 1001), 1, false, avgFps);
  }

  /** rates.source_clock */
  function sourceClock(doc) {
    const info = doc.input;
    const cuts = [];
    for (const s of doc.shots) cuts.push([s.start_frame, s.start], [s.end_frame, s.end]);
    cuts.push([info.n_frames, info.duration]);
    const rate = editRate(info.avg_fps, cuts);
    const origin = info.timecode ? pyRoundInt(info.timecode.seconds * rate.fps) : 0;
    return { rate, origin, length: rate.frames(info.n_frames, info.duration),
             at(frame, seconds) { return origin + rate.frames(frame, seconds); } };
  }

  /** OpenTimelineIO's RationalTime.to_timecode(rate), drop-frame as the rate says. */
  function timecode(value, rate) {
    const dropRates = [29.97, 30000 / 1001, 59.94, 60000 / 1001];
    const drop = dropRates.includes(rate);
    let dropframes = 0;
    let divider = ":";
    if (!drop) {
      if (Math.round(rate) === 24) rate = 24.0;
    } else {
      dropframes = rate === 29.97 || rate === 30000 / 1001 ? 2 : 4;
      divider = ";";
    }
    const perHour = Math.round(rate * 60 * 60);
    const perDay = perHour * 24;
    const perTenMinutes = Math.round(rate * 60 * 10);
    const perMinute = Math.round(rate) * 60 - dropframes;
    let v = value % perDay;
    if (drop) {
      const chunks = Math.floor(v / perTenMinutes);
      const over = Math.trunc(v % perTenMinutes);
      v += dropframes * 9 * chunks + (over > dropframes ? dropframes * Math.floor((over - dropframes) / perMinute) : 0);
    }
    const nominal = Math.ceil(rate);
    const frames = Math.trunc(v % nominal);
    const total = Math.floor(v / nominal);
    const pad = (x) => String(x).padStart(2, "0");
    return `${pad(Math.floor(Math.floor(total / 60) / 60))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}` +
           `${divider}${pad(frames)}`;
  }

  /** PurePath(name).stem */
  function stem(name) {
    const i = name.lastIndexOf(".");
    return i > 0 && i < name.length - 1 ? name.slice(0, i) : name;
  }

  /** Path.as_uri() of a POSIX path: file:// and every byte but letters, digits and _.-~/ encoded. */
  function fileUri(path) {
    let out = "file://";
    for (const byte of new TextEncoder().encode(path)) {
      const c = String.fromCharCode(byte);
      out += /[A-Za-z0-9_.\-~/]/.test(c) ? c : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
    return out;
  }

  /** Why an edit list cannot be made for this source (rates.refusal), or null. */
  function edlRefusal(doc) {
    const info = doc.input;
    if (editRate(info.avg_fps, []).timecode) return null;
    return `${info.file_name} runs at ${info.avg_fps} fps, faster than time code counts (60 fps at most)`;
  }

  /** edl.text: OpenTimelineIO's cmx_3600 writer (avid style, reels of 8) and the lines edl.py adds. */
  function edl(doc, sourcePath) {
    const url = fileUri(sourcePath);
    const clockOf = sourceClock(doc);
    const rate = clockOf.rate.fps;
    const name = stem(doc.input.file_name);
    const base = url.slice(url.lastIndexOf("/") + 1).replace(/\\/g, "/");
    let reel = base.slice(base.lastIndexOf("/") + 1).replace(/([.][a-zA-Z]+)$/, "").replace(/[^ a-zA-Z0-9]+/g, "");
    reel = reel.length > 8 ? reel.slice(0, 8) : reel.padEnd(8);
    let events = "";
    let record = 0;
    keptRanges(doc).forEach((kept, i) => {
      const start = clockOf.at(kept.start_frame, kept.start);
      const end = clockOf.at(kept.end_frame, kept.end);
      const line = `${String(i + 1).padStart(3, "0")}  ${reel} ${"V".padEnd(5)} C        ` +
        [start, end, record, record + end - start].map((v) => timecode(v, rate)).join(" ");
      const flipped = url.replace(/\\/g, "/");
      events += [line, `* FROM CLIP NAME:  ${name} shot ${i + 1}`, `* FROM CLIP: ${flipped}`,
                 `* OTIO TRUNCATED REEL NAME FROM: ${flipped.slice(flipped.lastIndexOf("/") + 1)}`].join("\n") + "\n";
      record += end - start;
    });
    if (doc.input.has_audio) {  // as edl.py: a mono source's one channel (B: both), else the first two (AA/V)
      const channels = doc.input.audio_channels === 1 ? "B     " : "AA/V  ";
      events = events.replace(/^(\d{3} {2}.{8} )V {5}(C|D)/gm, `$1${channels}$2`);
    }
    return `TITLE: ${name} summary\nFCM: ${clockOf.rate.dropFrame ? "DROP FRAME" : "NON-DROP FRAME"}\n\n${events}`;
  }

  /** otio.text: the timeline.timeline of the kept shots as OpenTimelineIO's JSON. */
  function otio(doc, sourcePath) {
    const clockOf = sourceClock(doc);
    const rate = clockOf.rate.fps;
    const name = stem(doc.input.file_name);
    const rt = (value) => ({ OTIO_SCHEMA: "RationalTime.1", rate, value });
    const range = (start, duration) => ({ OTIO_SCHEMA: "TimeRange.1", duration: rt(duration), start_time: rt(start) });
    const timecodeMeta = () => ({ timecode: { displayformat: clockOf.rate.dropFrame ? "DF" : "NDF" } });
    const item = (schema, itemName, extra) => Object.assign({ OTIO_SCHEMA: schema, metadata: {}, name: itemName,
      source_range: null, effects: [], markers: [], enabled: true, color: null }, extra);
    const kinds = ["Video"].concat(doc.input.has_audio ? ["Audio"] : []);
    const tracks = kinds.map((kind) => item("Track.1", kind === "Video" ? "V1" : "A1", {
      children: keptRanges(doc).map((kept, i) => {
        const start = clockOf.at(kept.start_frame, kept.start);
        const end = clockOf.at(kept.end_frame, kept.end);
        return item("Clip.2", `${name} shot ${i + 1}`, {
          metadata: { summarize: { end_seconds: kept.end, score: kept.score, shots: kept.shots,
                                   start_seconds: kept.start } },
          source_range: range(start, end - start),
          media_references: { DEFAULT_MEDIA: { OTIO_SCHEMA: "ExternalReference.1",
            metadata: { fcp_xml: timecodeMeta() }, name: "", available_range: range(clockOf.origin, clockOf.length),
            available_image_bounds: null, target_url: fileUri(sourcePath) } },
          active_media_reference_key: "DEFAULT_MEDIA",
        });
      }),
      kind,
    }));
    const timeline = { OTIO_SCHEMA: "Timeline.1",
      metadata: { fcp_xml: timecodeMeta(),
                  summarize: { budget: doc.selection.budget, method: doc.method.name, source: sourcePath } },
      name: `${name} summary`, global_start_time: rt(0),
      tracks: item("Stack.1", "tracks", { children: tracks }) };
    return JSON.stringify(timeline, null, 4);
  }

  // ---- the page --------------------------------------------------------------------------

  const data = JSON.parse(document.getElementById("summary-data").textContent);
  const source = document.getElementById("source-video");
  const panel = document.getElementById("budget");
  const curve = document.getElementById("curve");
  const timeline = document.getElementById("timeline");
  const cards = Array.from(document.querySelectorAll("figure.shot"));
  // The seconds summarized: the video's, or those of its --start/--end part.
  const summarized = data.sampling.range ? data.sampling.range.end - data.sampling.range.start : data.input.duration;
  const SVG = curve && curve.namespaceURI; // SVG's, without naming a URL in the page

  /** report._clock: to the tenth, rounded first (59.96 s is 1:00.0, not 0:60.0). */
  function clockText(seconds) {
    const tenths = Number(pyFixed(seconds, 1));
    const minutes = Math.floor(tenths / 60);
    const rest = pyFixed(tenths - 60 * minutes, 1).padStart(4, "0");
    return minutes >= 60 ? `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}:${rest}`
      : `${minutes}:${rest}`;
  }

  /** Where the page and the source are, as paths (the downloads name the source as the run did). */
  function places() {
    const page = new URL(location.href);
    const video = source && source.querySelector("source");
    const href = video ? new URL(video.getAttribute("src"), page) : page;
    const path = (u) => { try { return decodeURIComponent(u.pathname); } catch (e) { return u.pathname; } };
    const pagePath = path(page);
    return { source: path(href), folder: pagePath.slice(0, pagePath.lastIndexOf("/")) };
  }

  function playFrom(seconds) {
    if (!source) return;
    stopPreview();
    source.currentTime = seconds;
    const playing = source.play();
    if (playing) playing.catch(() => {});
  }

  function svgTime(svg, event) {
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const x = point.matrixTransform(svg.getScreenCTM().inverse()).x;
    const left = Number(svg.dataset.left);
    const right = Number(svg.dataset.right);
    const start = Number(svg.dataset.start);
    const t = start + (x - left) / (right - left) * Number(svg.dataset.duration);
    return Math.min(Math.max(t, start), start + Number(svg.dataset.duration));
  }

  for (const svg of [curve, timeline]) {
    if (svg) svg.addEventListener("click", (event) => playFrom(svgTime(svg, event)));
  }
  for (const card of cards) {
    const go = () => playFrom(Number(card.dataset.start));
    card.addEventListener("click", go);
    card.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); go(); }
    });
  }

  function showPlayhead() {
    if (!source) return;
    const t = source.currentTime;
    for (const [svg, id] of [[curve, "curve-playhead"], [timeline, "timeline-playhead"]]) {
      const line = svg && document.getElementById(id);
      if (!line) continue;
      const left = Number(svg.dataset.left);
      const share = (t - Number(svg.dataset.start)) / Number(svg.dataset.duration);
      const x = left + (Number(svg.dataset.right) - left) * Math.min(Math.max(share, 0), 1);
      line.setAttribute("x1", x);
      line.setAttribute("x2", x);
      line.setAttribute("visibility", "visible");
    }
    for (const card of cards) {
      const on = Number(card.dataset.start) <= t && t < Number(card.dataset.end);
      card.classList.toggle("playing", on && !source.paused);
    }
  }
  if (source) {
    for (const name of ["timeupdate", "seeked", "play", "pause"]) source.addEventListener(name, showPlayhead);
  }

  // Preview: the source played through the kept shots, jumping over the rest.
  let preview = null;
  const previewButton = document.getElementById("preview");
  const previewStatus = document.getElementById("preview-status");

  function stopPreview() {
    if (!preview) return;
    preview = null;
    previewButton.textContent = "\u25b6 Preview";
    previewStatus.textContent = "plays the source through the kept shots";
  }

  function previewTick() {
    if (!preview) return;
    const [, end] = preview.runs[preview.index];
    if (source.currentTime >= end - 0.02) {
      preview.index += 1;
      if (preview.index >= preview.runs.length) {
        source.pause();
        stopPreview();
        return;
      }
      source.currentTime = preview.runs[preview.index][0];
    }
    previewStatus.textContent = `shot ${preview.index + 1} of ${preview.runs.length}`;
    requestAnimationFrame(previewTick);
  }

  function startPreview(runs) {
    if (!source || !runs.length) return;
    playFrom(runs[0][0]);
    preview = { runs, index: 0 };
    previewButton.textContent = "\u25a0 Stop";
    requestAnimationFrame(previewTick);
  }

  // ---- the length control ----------------------------------------------------------------

  const state = { unit: "fraction", value: null, doc: data, urls: [] };
  const prepared = data.selection.rule === "total" ? prepare(data) : null;
  const run = data.selection.duration !== null && data.selection.duration !== undefined
    ? { unit: "seconds", value: data.selection.duration }
    : { unit: "fraction", value: data.options.values.budget ?? data.selection.budget };

  function tag() {
    if (state.unit === "seconds") return `d${state.value}s`;
    return `b${pyRound(state.value * 100, 4)}`;
  }

  function names() {
    const jsonName = panel.dataset.jsonName;
    const base = jsonName.endsWith(".summary.json") ? jsonName.slice(0, -13)
      : jsonName.endsWith(".json") ? jsonName.slice(0, -5) : jsonName;
    // Another length: the names `summarize export -o` gives it; the run's own (benchmark): the run's.
    const stemName = prepared ? `${base}.${tag()}.summary` : jsonName.replace(/\.json$/, "");
    return { jsonName, stem: stemName, json: `${stemName}.json` };
  }

  function shellQuote(text) {
    return /^[A-Za-z0-9_.,:/=+@%-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
  }

  function budgetOf() {
    return state.unit === "seconds" ? { seconds: state.value } : { fraction: state.value };
  }

  /** The document for the control's length, placed as `summarize export ... -o` places it. */
  function currentDocument() {
    const where = places();
    if (!prepared) {  // the run's own selection (a benchmark summary)
      const doc = JSON.parse(JSON.stringify(data));
      doc.input = Object.assign({ path: where.source }, data.input);
      return doc;
    }
    const doc = reselect(prepared, budgetOf());
    doc.input = Object.assign({ path: where.source }, doc.input);
    doc.outputs = { json: `${where.folder}/${names().json}`, video: null, video_encoding: null };
    return doc;
  }

  function drawKept(doc) {
    const runs = keptRuns(doc.shots);
    const layers = [[curve, "kept-bands", "split-edges"], [timeline, "timeline-kept", "timeline-split"]];
    for (const [svg, keptId, splitId] of layers) {
      if (!svg) continue;
      const left = Number(svg.dataset.left);
      const width = Number(svg.dataset.right) - left;
      const duration = Number(svg.dataset.duration);
      const top = Number(svg.dataset.top);
      const bottom = Number(svg.dataset.bottom);
      const origin = Number(svg.dataset.start);
      const x = (t) => left + width * (t - origin) / duration;
      const kept = document.getElementById(keptId);
      kept.replaceChildren(...runs.map(([a, b]) => {
        const rect = document.createElementNS(SVG, "rect");
        rect.setAttribute("x", x(a)); rect.setAttribute("y", top);
        rect.setAttribute("width", x(b) - x(a)); rect.setAttribute("height", bottom - top);
        return rect;
      }));
      const split = document.getElementById(splitId);
      split.replaceChildren(...doc.shots.filter((s) => s.split).map((s) => {
        const line = document.createElementNS(SVG, "line");
        line.setAttribute("class", "edge split");
        line.setAttribute("x1", x(s.start)); line.setAttribute("x2", x(s.start));
        line.setAttribute("y1", top); line.setAttribute("y2", bottom);
        return line;
      }));
    }
    // A card is framed when its frames are all kept, dashed when some are.
    const pieces = doc.shots.filter((s) => s.selected);
    for (const card of cards) {
      const a = Number(card.dataset.startFrame);
      const b = Number(card.dataset.endFrame);
      let covered = 0;
      for (const s of pieces) covered += Math.max(0, Math.min(b, s.end_frame) - Math.max(a, s.start_frame));
      card.classList.toggle("kept", covered === b - a);
      card.classList.toggle("part", covered > 0 && covered < b - a);
    }
    return runs;
  }

  function offer(id, fileName, text, mime, refusal) {
    const link = document.getElementById(id);
    if (refusal) {
      link.removeAttribute("href");
      link.removeAttribute("download");
      link.title = refusal;
      link.classList.add("muted");
      return;
    }
    const href = URL.createObjectURL(new Blob([text], { type: mime }));
    state.urls.push(href);
    link.href = href;
    link.download = fileName;
    link.title = fileName;
  }

  function render() {
    const doc = currentDocument();
    state.doc = doc;
    const runs = drawKept(doc);
    const kept = doc.summary.duration;
    const asked = state.unit === "seconds" ? `${state.value} s asked` : `${pyRound(state.value * 100, 4)}% asked`;
    document.getElementById("budget-result").textContent =
      `Kept: ${runs.length} shot${runs.length === 1 ? "" : "s"}, ${clockText(kept)} of ${clockText(summarized)} ` +
      `(${(100 * kept / summarized).toFixed(1)}%; ${asked})`;
    const list = document.getElementById("kept-list");
    const byRun = [];
    let last = null;
    for (const s of doc.shots) {
      if (!s.selected) continue;
      if (byRun.length && last === s.start_frame) byRun[byRun.length - 1].push(s); else byRun.push([s]);
      last = s.end_frame;
    }
    list.replaceChildren(...byRun.map((run) => {
      const item = document.createElement("li");
      const [a, b] = [run[0].start, run[run.length - 1].end];
      item.dataset.pieces = run.map((s) => `${s.start_frame}-${s.end_frame}`).join(" ");
      item.dataset.start = a;
      item.dataset.end = b;
      item.textContent = `${clockText(a)}\u2013${clockText(b)} (${(b - a).toFixed(1)} s)`;
      item.title = "Play the source from here";
      item.style.cursor = "pointer";
      item.addEventListener("click", () => playFrom(a));
      return item;
    }));
    state.urls.forEach((u) => URL.revokeObjectURL(u));
    state.urls = [];
    const n = names();
    const where = places();
    const refusal = edlRefusal(doc);
    offer("download-edl", `${n.stem}.edl`, refusal ? "" : edl(doc, where.source), "text/plain", refusal);
    offer("download-otio", `${n.stem}.otio`, otio(doc, where.source), "application/json");
    offer("download-vtt", `${n.stem}.chapters.vtt`, webvtt(doc), "text/vtt");
    offer("download-ffmetadata", `${n.stem}.ffmetadata`, ffmetadata(doc), "text/plain");
    offer("download-json", n.json, JSON.stringify(doc, null, 2) + "\n", "application/json",
          prepared ? null : "the run's own JSON is beside this page");
    const length = state.unit === "seconds" ? `--duration ${state.value}` : `--budget ${state.value}`;
    document.getElementById("command").textContent = prepared
      ? `summarize export ${shellQuote(n.jsonName)} ${length} -o ${shellQuote(n.json)} --export edl,otio,chapters`
      : `summarize export ${shellQuote(n.jsonName)} --export edl,otio,chapters`;
  }

  const range = document.getElementById("budget-range");
  const number = document.getElementById("budget-value");
  const units = Array.from(document.querySelectorAll("input[name=budget-unit]"));
  let pending = false;

  function setRange() {
    const seconds = state.unit === "seconds";
    range.min = seconds ? Math.min(1, summarized) : 0.01;
    range.max = seconds ? summarized : 1;
    range.step = seconds ? (summarized > 120 ? 1 : 0.1) : 0.01;
    range.value = state.value;
  }

  function setBudget(unit, value) {
    const valid = Number.isFinite(value) && value > 0 && (unit === "seconds" || value <= 1);
    number.setCustomValidity(valid ? "" : (unit === "seconds" ? "more than 0 seconds" : "a fraction in (0, 1]"));
    if (!valid) return false;
    state.unit = unit;
    state.value = value;
    units.forEach((u) => { u.checked = u.value === unit; });
    render();
    return true;
  }

  function scheduled(unit, value) {
    state.wanted = [unit, value];
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; setBudget(...state.wanted); });
  }

  function init() {
    panel.hidden = false;
    state.unit = run.unit;
    state.value = run.value;
    units.forEach((u) => { u.checked = u.value === run.unit; });
    number.value = run.value;
    setRange();
    if (!prepared) {
      for (const control of [range, number, ...units, document.getElementById("budget-reset")]) {
        control.disabled = true;
      }
    } else {
      range.addEventListener("input", () => {
        number.value = range.value;
        scheduled(state.unit, Number(range.value));
      });
      number.addEventListener("input", () => {
        if (number.value !== "") scheduled(state.unit, Number(number.value));
      });
      for (const u of units) {
        u.addEventListener("change", () => {
          if (!u.checked) return;
          // The same length in the other unit: the run's, or what is kept now.
          const seconds = state.doc.summary.duration;
          const value = u.value === "seconds" ? pyRound(seconds, 1) : pyRound(seconds / summarized, 3);
          state.unit = u.value;
          state.value = Math.max(value, u.value === "seconds" ? 0.1 : 0.001);
          number.value = state.value;
          setRange();
          setBudget(state.unit, state.value);
        });
      }
      document.getElementById("budget-reset").addEventListener("click", () => {
        number.value = run.value;
        state.unit = run.unit;
        state.value = run.value;
        setRange();
        setBudget(run.unit, run.value);
      });
    }
    previewButton.addEventListener("click", () => {
      if (preview) { source.pause(); stopPreview(); } else startPreview(keptRuns(state.doc.shots));
    });
    render();
    // The page's rule must keep the run's own shots at the run's own length.
    if (prepared) {
      const mine = state.doc.shots.filter((s) => s.selected).map((s) => `${s.start_frame}-${s.end_frame}`).join(" ");
      const theirs = data.shots.filter((s) => s.selected).map((s) => `${s.start_frame}-${s.end_frame}`).join(" ");
      api.selfCheck = mine === theirs;
      if (!api.selfCheck) {
        const note = document.createElement("p");
        note.className = "note";
        note.textContent = "This page keeps other shots than the run did at the run's own length: the lengths you " +
          "try here may differ from summarize's. Please report it.";
        panel.insertBefore(note, panel.children[1]);
      }
    }
  }

  // For tests and for the curious (the browser's console): the pieces of the page.
  const api = {
    pyFixed, pyRound, pyFloatRepr, milliseconds, clock, clockText, timecode, sha256Hex, fingerprint, limitDenominator,
    setBudget, state, document: () => state.doc, edl: (doc) => edl(doc, places().source),
    otio: (doc) => otio(doc, places().source), webvtt, ffmetadata, selfCheck: null,
  };
  window.summarizeReport = api;
  if (panel && data.shots.length) init();
})();
