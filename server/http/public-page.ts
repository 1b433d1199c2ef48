// The public page's HTML and script, served by the hub itself (no build step, no third-party code). The script
// posts the dropped file to /public/verify and renders the answer with textContent only, so nothing the server or
// a file name says can become markup. The Content-Security-Policy allows this one script and nothing else.
export const PUBLIC_PAGE_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const PUBLIC_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Is this photo genuine? · Custody</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#1d1d1b}
main{max-width:46rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:.2rem 0 .4rem}
#drop{display:block;border:2px dashed #888;border-radius:12px;padding:2.5rem 1rem;text-align:center;background:#fff;cursor:pointer}
#drop.over{border-color:#1b5fbf;background:#eef4ff}
#result{margin-top:1.5rem;background:#fff;border-radius:12px;padding:1.2rem 1.4rem;display:none}
#verdict{font-size:1.3rem;font-weight:700;text-transform:capitalize}
.authentic,.derived{color:#17692f}.tampered{color:#b3261e}.unknown{color:#5f5f5f}
ul{padding-left:1.1rem}li{margin:.35rem 0}
.st{display:inline-block;min-width:4.5rem;font-weight:600}
.pass{color:#17692f}.fail{color:#b3261e}.absent,.skipped{color:#777}
small{color:#666}
</style></head>
<body><main>
<h1>Is this photo genuine?</h1>
<p>Drop a photo to check it against what the organisations on this hub have signed. The photo is read, fingerprinted and forgotten: it is not kept.</p>
<label id="drop" for="file">Drop a photo here, or click to choose one
<input id="file" type="file" accept="image/*" hidden></label>
<section id="result" aria-live="polite">
<div id="verdict"></div>
<p id="headline"></p>
<p id="signer"></p>
<ul id="signals"></ul>
<p id="deeper" hidden>No watermark was found by the usual search. A copy that was squeezed or stretched and cropped can still carry one. <button id="deep" type="button">Search deeper</button></p>
<small id="file-info"></small>
</section>
</main>
<script src="/verify.js"></script>
</body></html>
`;

export const PUBLIC_PAGE_SCRIPT = `'use strict';
(function () {
  var drop = document.getElementById('drop');
  var input = document.getElementById('file');
  var box = document.getElementById('result');
  var deeper = document.getElementById('deeper');
  var last = null;
  function text(id, s, cls) { var e = document.getElementById(id); e.textContent = s; if (cls !== undefined) e.className = cls; }
  function show(a) {
    box.style.display = 'block';
    deeper.hidden = true;
    if (a.code) { text('verdict', 'Could not check this file', 'tampered'); text('headline', a.message); text('signer', ''); document.getElementById('signals').replaceChildren(); text('file-info', ''); return; }
    text('verdict', a.verdict + ' · confidence ' + Math.round(a.confidence * 100) + '%', a.verdict);
    text('headline', a.headline);
    text('signer', a.signedBy ? 'Signed by ' + a.signedBy.org + ', desk ' + a.signedBy.desk + ', on ' + new Date(a.signedBy.signedAt).toUTCString() + (a.signedBy.deskRevoked ? ' (that desk has since been revoked)' : '') + '. Record ' + a.signedBy.recordId + '.' : '');
    var list = document.getElementById('signals');
    list.replaceChildren();
    a.signals.forEach(function (s) {
      var li = document.createElement('li');
      var st = document.createElement('span'); st.className = 'st ' + s.status; st.textContent = s.status;
      var nm = document.createElement('strong'); nm.textContent = s.name + ': ';
      li.append(st, nm, document.createTextNode(s.words));
      list.append(li);
      if (s.name === 'Invisible watermark' && s.status === 'absent' && !a.deepSearched) deeper.hidden = false;
    });
    text('file-info', a.file.format.toUpperCase() + ', ' + a.file.width + ' × ' + a.file.height + ' pixels; not kept on the server.');
  }
  function check(file, deep) {
    if (!file) return;
    last = file;
    box.style.display = 'block';
    deeper.hidden = true;
    text('verdict', 'Checking…', 'unknown'); text('headline', ''); text('signer', ''); document.getElementById('signals').replaceChildren(); text('file-info', '');
    fetch(deep ? '/public/verify?deep=1' : '/public/verify', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file })
      .then(function (r) { return r.json(); })
      .then(show, function () { show({ code: 'HUB_UNREACHABLE', message: 'The hub did not answer. Try again in a moment.' }); });
  }
  document.getElementById('deep').addEventListener('click', function () { check(last, true); });
  input.addEventListener('change', function () { check(input.files[0], false); });
  drop.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
  drop.addEventListener('drop', function (e) { e.preventDefault(); drop.classList.remove('over'); check(e.dataTransfer.files[0], false); });
})();
`;
