/// The viewer's one page: the input photo and its reconstruction beside a live view; drag to
/// orbit, wheel to zoom, low resolution while dragging and full when still, one frame in flight.
/// A PNG dropped on the page (or picked with the file button) is inverted on the server: its fast
/// latent shows at once and its refined one replaces it when ready.
enum ViewerPage {
    static let html = #"""
        <!doctype html>
        <html><head><meta charset="utf-8"><title>nerfinv view</title><link rel="icon" href="data:,">
        <style>
        body { font: 14px system-ui, sans-serif; margin: 16px; background: #f4f4f4; color: #222; }
        #row { display: flex; gap: 16px; align-items: flex-start; }
        #view { width: 512px; height: 512px; background: #fff; cursor: grab; image-rendering: auto; user-select: none; }
        #panel { display: flex; flex-direction: column; gap: 8px; min-width: 260px; }
        #input { max-width: 260px; background: #fff; }
        label { display: flex; justify-content: space-between; gap: 8px; }
        #status { color: #666; font-size: 12px; }
        #dropnote { color: #666; font-size: 12px; }
        body.dragging #view { outline: 3px dashed #48c; }
        </style></head>
        <body>
        <h3>nerfinv view</h3>
        <div id="row">
          <canvas id="view" width="128" height="128"></canvas>
          <div id="panel">
            <label>latent <select id="latent"></select></label>
            <img id="input" alt="input and reconstruction">
            <label>view <select id="mode"></select></label>
            <label>spin <input type="checkbox" id="spin"></label>
            <div id="sliders"></div>
            <label>add a photo <input type="file" id="photo" accept="image/png"></label>
            <div id="dropnote">or drop a PNG on the page</div>
            <a id="glb" download>download mesh (GLB)</a>
            <a id="gif" download>download turntable (GIF)</a>
            <a id="mp4" download>(MP4)</a>
            <div id="status"></div>
          </div>
        </div>
        <script>
        const client = Math.random().toString(36).slice(2);
        const state = { az: 35, el: 20, dist: 3, latent: 0, mode: "rgb", edits: {} };
        const full = 512, moving = 128;
        let dragging = false, lastX = 0, lastY = 0, idle = null;
        let frames = 0, since = performance.now();
        // What the last dropped photo's inversion said, kept beside the frame rate.
        let note = "";
        function say(text) { note = text; status.textContent = text; }
        const view = document.getElementById("view"), status = document.getElementById("status");
        function query(size) {
          const edit = Object.entries(state.edits).filter(([k, v]) => v != 0).map(([k, v]) => k + ":" + v).join(";");
          return `latent=${state.latent}&az=${state.az.toFixed(2)}&el=${state.el.toFixed(2)}&dist=${state.dist.toFixed(3)}` +
            `&size=${size}&mode=${state.mode}&client=${client}` + (edit ? `&edit=${encodeURIComponent(edit)}` : "");
        }
        // Frames stream over a WebSocket as raw RGBA (see ViewerStream): at most two states unanswered,
        // so the server renders the next frame while this page draws the last.
        const ctx = view.getContext("2d");
        const ws = new WebSocket(`ws://${location.host}/api/stream`);
        ws.binaryType = "arraybuffer";
        let sent = 0, wanted = null;
        window.nerfinvFrames = 0;
        // What each sent state showed (latent and version), so a drop can time its first frames.
        const shows = {};
        function request(size) {
          if (ws.readyState !== WebSocket.OPEN || sent - answered >= 2) { wanted = size; return; }
          sent += 1;
          const l = window.nerfinvInfo ? window.nerfinvInfo.latents[state.latent] : null;
          shows[sent] = { latent: state.latent, version: l ? l.version : 0 };
          ws.send(`seq=${sent}&` + query(size));
        }
        let answered = 0;
        function answer(seq) {
          answered = Math.max(answered, seq);
          if (wanted !== null) { const s = wanted; wanted = null; request(s); }
        }
        ws.onopen = () => { if (wanted !== null) { const s = wanted; wanted = null; request(s); } };
        ws.onclose = () => { status.textContent = "the server closed the stream; reload the page"; };
        ws.onmessage = e => {
          if (typeof e.data === "string") {
            const m = /^error (\d+): (.*)$/.exec(e.data);
            status.textContent = "frame failed: " + (m ? m[2] : e.data);
            if (m) answer(parseInt(m[1]));
            return;
          }
          const head = new DataView(e.data, 0, 8);
          const seq = head.getUint32(0, true), w = head.getUint16(4, true), h = head.getUint16(6, true);
          if (view.width !== w || view.height !== h) { view.width = w; view.height = h; }
          const pixels = new Uint8ClampedArray(e.data, 8, w * h * 4);
          ctx.putImageData(new ImageData(pixels, w, h), 0, 0);
          let sum = 0;
          for (let i = 0; i < pixels.length; i += 61) sum = (sum * 31 + pixels[i]) >>> 0;
          window.nerfinvFrameKey = sum;
          window.nerfinvFrames += 1;
          const shown = shows[seq], drop = window.nerfinvDrop;
          delete shows[seq];
          if (drop && shown && shown.latent === drop.latent) {
            const ms = performance.now() - drop.started;
            if (drop.firstFrameMs === undefined) drop.firstFrameMs = ms;
            if (shown.version >= 1 && drop.refinedFrameMs === undefined) {
              drop.refinedFrameMs = ms;
              say(`${drop.name}: refined in ${(ms / 1000).toFixed(1)} s; finishing...`);
            }
            if (drop.finalVersion !== undefined && shown.version >= drop.finalVersion && drop.finalFrameMs === undefined) {
              drop.finalFrameMs = ms;
              say(`${drop.name}: refined in ${(drop.refinedFrameMs / 1000).toFixed(1)} s, finished in ${(ms / 1000).toFixed(1)} s`);
            }
          }
          frames += 1;
          const now = performance.now();
          if (now - since > 1000) {
            status.textContent = (note ? note + " · " : "") + `${(1000 * frames / (now - since)).toFixed(1)} frames/s`;
            window.nerfinvFPS = 1000 * frames / (now - since);
            frames = 0; since = now;
          }
          answer(seq);
        };
        function changed() {
          request(moving);
          clearTimeout(idle);
          idle = setTimeout(() => request(full), 200);
        }
        view.addEventListener("mousedown", e => { dragging = true; lastX = e.clientX; lastY = e.clientY; view.style.cursor = "grabbing"; });
        window.addEventListener("mouseup", () => { dragging = false; view.style.cursor = "grab"; });
        window.addEventListener("mousemove", e => {
          if (!dragging) return;
          state.az -= (e.clientX - lastX) * 0.5;
          state.el = Math.max(-80, Math.min(80, state.el + (e.clientY - lastY) * 0.5));
          lastX = e.clientX; lastY = e.clientY;
          changed();
        });
        view.addEventListener("wheel", e => {
          e.preventDefault();
          state.dist = Math.max(1.6, Math.min(8, state.dist * Math.exp(e.deltaY * 0.001)));
          changed();
        }, { passive: false });
        // Spinning turns the object as a steady drag would, a step per displayed frame.
        let spinning = false;
        function spinStep() {
          if (!spinning) return;
          state.az -= 4;
          changed();
          requestAnimationFrame(spinStep);
        }
        window.nerfinvSpin = on => { spinning = on; document.getElementById("spin").checked = on; if (on) spinStep(); };
        document.getElementById("spin").addEventListener("change", e => window.nerfinvSpin(e.target.checked));
        // quick: a 128-pixel frame first, then the full one (a new latent's first frame sooner).
        function selectLatent(i, quick) {
          state.latent = i;
          const input = document.getElementById("input");
          if (window.nerfinvInfo.latents[i].input) { input.src = `/api/input?latent=${i}`; input.style.display = ""; }
          else input.style.display = "none";
          document.getElementById("glb").href = `/api/mesh.glb?latent=${i}`;
          document.getElementById("gif").href = `/api/turntable.gif?latent=${i}`;
          document.getElementById("mp4").href = `/api/turntable.mp4?latent=${i}`;
          if (quick) changed(); else request(full);
        }
        // The latents' list, kept in step with the server's (dropped photos join it).
        function listLatents(info) {
          window.nerfinvInfo = info;
          const latent = document.getElementById("latent");
          latent.textContent = "";
          info.latents.forEach((l, i) => {
            const o = document.createElement("option"); o.value = i;
            o.textContent = l.name + (l.state === "fast" || l.state === "quick" ? " (refining...)" : "");
            latent.appendChild(o);
          });
          latent.value = state.latent;
        }
        async function sendPhoto(file) {
          if (!file) return;
          const drop = { started: performance.now(), name: file.name };
          window.nerfinvDrop = drop;
          say(`inverting ${file.name}...`);
          let r;
          try {
            r = await fetch(`/api/photo?name=${encodeURIComponent(file.name)}`,
              { method: "POST", headers: { "Content-Type": "image/png" }, body: file });
          } catch (e) { drop.error = String(e); say("the photo could not be sent: " + e); return; }
          if (!r.ok) { drop.error = await r.text(); say("photo refused: " + drop.error); return; }
          const answer = await r.json();
          drop.latent = answer.latent;
          listLatents(await (await fetch("/api/info")).json());
          selectLatent(answer.latent, true);
          say(`${file.name}: first latent in ${answer.seconds.toFixed(2)} s; refining...`);
          // The refined latents replace the fast one on the server in turn: ask until the last.
          let seen = 0;
          while (true) {
            await new Promise(done => setTimeout(done, 200));
            const info = await (await fetch("/api/info")).json();
            const l = info.latents[answer.latent];
            if (l.version === seen && (l.state === "fast" || l.state === "quick")) continue;
            listLatents(info);
            if (l.state !== "fast" && l.state !== "quick" && l.state !== "full") {
              drop.error = l.state; say(`${file.name}: ${l.state}`); return;
            }
            seen = l.version;
            if (l.state === "full") drop.finalVersion = l.version;
            if (state.latent === answer.latent) selectLatent(answer.latent, true);
            if (l.state === "full") return;
          }
        }
        window.nerfinvSendPhoto = sendPhoto;
        document.getElementById("photo").addEventListener("change", e => sendPhoto(e.target.files[0]));
        document.addEventListener("dragover", e => { e.preventDefault(); document.body.classList.add("dragging"); });
        document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
        document.addEventListener("drop", e => {
          e.preventDefault();
          document.body.classList.remove("dragging");
          sendPhoto(e.dataTransfer.files[0]);
        });
        fetch("/api/info").then(r => r.json()).then(info => {
          listLatents(info);
          if (!info.drops) {  // a model without an encoder cannot invert a photo
            document.getElementById("photo").parentElement.style.display = "none";
            document.getElementById("dropnote").style.display = "none";
          }
          const latent = document.getElementById("latent");
          latent.addEventListener("change", () => selectLatent(parseInt(latent.value)));
          const mode = document.getElementById("mode");
          info.modes.forEach(m => { const o = document.createElement("option"); o.value = m; o.textContent = m; mode.appendChild(o); });
          mode.addEventListener("change", () => { state.mode = mode.value; request(full); });
          const sliders = document.getElementById("sliders");
          info.directions.forEach(d => {
            const label = document.createElement("label");
            label.textContent = d;
            const s = document.createElement("input");
            // ±5σ, the server's range: the second generation's decoder is flat within the noise its
            // codes were trained with, so an edit shows from about 2σ and grows fastest beyond 3.
            s.type = "range"; s.min = -5; s.max = 5; s.step = 0.1; s.value = 0;
            s.addEventListener("input", () => { state.edits[d] = parseFloat(s.value); changed(); });
            label.appendChild(s);
            sliders.appendChild(label);
          });
          if (info.latents.length) selectLatent(0);
          else status.textContent = info.drops ? "drop a PNG photo on the page to invert it" : "no latents to show";
        });
        </script>
        </body></html>
        """#
}
