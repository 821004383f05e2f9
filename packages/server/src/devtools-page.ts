// The page is one constant: nothing from a request or from the server's data is ever written
// into it. Everything it shows is fetched as JSON and put in the DOM with `textContent`, never
// as HTML, so a procedure path, input or error message cannot inject markup or script.

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f6f7f9; }
header { display: flex; gap: 12px; align-items: center; padding: 8px 16px; background: #20232a; color: #fff; }
header h1 { font-size: 16px; margin: 0; }
main { display: grid; grid-template-columns: 260px 1fr; gap: 16px; padding: 16px; }
section { background: #fff; border: 1px solid #dde; border-radius: 6px; padding: 8px 12px; }
h2 { font-size: 14px; margin: 4px 0 8px; }
ul.procs { list-style: none; margin: 0; padding: 0; }
ul.procs button { width: 100%; text-align: left; border: 0; background: none; padding: 4px; cursor: pointer; font: inherit; }
ul.procs button[aria-pressed=true] { background: #e4ecff; }
.kind { color: #667; font-size: 12px; margin-left: 6px; }
label { display: block; margin: 4px 0; }
fieldset { border: 1px solid #ccd; margin: 4px 0; }
textarea { width: 100%; min-height: 60px; font: 12px ui-monospace, monospace; }
pre, ol.events { background: #f3f3f6; padding: 6px; font: 12px ui-monospace, monospace; white-space: pre-wrap; max-height: 240px; overflow: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
td, th { border-bottom: 1px solid #eee; padding: 3px 6px; text-align: left; vertical-align: top; }
.wide { grid-column: 1 / 3; }
.push { margin-left: auto; }
.refused { color: #b00020; font-weight: bold; padding: 16px; }
`;

const SCRIPT = `
'use strict';
(function () {
  var query = new URLSearchParams(location.search);
  var token = query.get('token') || sessionStorage.getItem('duplex-devtools-token') || '';
  sessionStorage.setItem('duplex-devtools-token', token);
  // Keep the token out of the address bar, history and screenshots.
  history.replaceState(null, '', location.pathname);

  var $ = function (id) { return document.getElementById(id); };
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === 'text') node.textContent = props[key];
      else node.setAttribute(key, props[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function show(value) { return value === undefined ? '(no data)' : JSON.stringify(value, null, 2); }

  var procedures = [];
  var selected = null;
  var endpoint = null;
  var socket = null;
  var cid = null;
  var nextId = 1;
  var pending = new Map();
  var current = null;
  var readInput = function () { return undefined; };

  function status(text) { $('status').textContent = text; }

  function send(message) {
    if (!socket || socket.readyState !== 1) { $('result').textContent = 'not connected'; return false; }
    socket.send(JSON.stringify(message));
    return true;
  }

  function readParams() {
    try { return JSON.parse($('params').value || '{}'); } catch (error) { status('connection params: ' + error.message); return null; }
  }

  function connect() {
    if (socket) socket.close(1000, 'reconnect');
    // Whatever was running belonged to the old connection: its answers will never come.
    pending.forEach(function (entry) { if (entry.abort) entry.abort(); });
    pending.clear();
    if (current !== null) { $('sub-status').textContent = 'ended (reconnected)'; current = null; }
    var params = readParams();
    if (params === null) return;
    if (endpoint.transport === 'http') { status('over HTTP at ' + (endpoint.httpBase || '/')); return; }
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + endpoint.socketPath;
    var ws = new WebSocket(url, 'duplex.v1');
    socket = ws;
    cid = null;
    status('connecting to ' + url);
    ws.onopen = function () { ws.send(JSON.stringify({ t: 'hello', v: 1, codec: 'json', params: params })); };
    ws.onclose = function (event) { if (socket === ws) status('closed (' + event.code + (event.reason ? ' ' + event.reason : '') + ')'); };
    ws.onmessage = function (event) {
      if (typeof event.data !== 'string') return; // binary frames carry binary payloads; the json codec never sends one
      var parsed = JSON.parse(event.data);
      (Array.isArray(parsed) ? parsed : [parsed]).forEach(receive);
    };
  }

  function receive(message) {
    var entry = typeof message.id === 'number' ? pending.get(message.id) : undefined;
    switch (message.t) {
      case 'ready': cid = message.cid; status('connected as ' + cid); return;
      case 'credit': if (entry && entry.credit) entry.credit(message.n); return;
      case 'ping': send({ t: 'pong' }); return;
      case 'goaway': status('server draining: ' + (message.reason || '')); return;
      case 'result':
        if (!entry) return;
        if (message.stream && entry.stream) entry.stream(); // items follow as data, then done (§7.2)
        else { pending.delete(message.id); entry.result(message.data); }
        return;
      case 'data': if (entry) entry.data(message.data, message.eid); return;
      case 'done': if (entry) { pending.delete(message.id); entry.end('done'); } return;
      case 'error':
        if (entry) { pending.delete(message.id); entry.error(message.error); }
        else $('result').textContent = 'protocol error: ' + message.error.code + ': ' + message.error.message;
        return;
    }
  }

  // Over HTTP (protocol.md §12): one request per call, an event stream per subscription or
  // streamed result; the response body's own backpressure paces the server, so no credit is sent.
  function httpUrl(proc, value) {
    var url = (endpoint.httpBase || '') + '/' + encodeURIComponent(proc.path) + '?codec=json';
    if (proc.kind !== 'mutation' && value !== undefined) url += '&input=' + encodeURIComponent(JSON.stringify(value));
    return url;
  }

  function httpSend(id, proc, value, entry) {
    var params = readParams();
    if (params === null) return false;
    var controller = new AbortController();
    entry.abort = function () { controller.abort(); };
    var init = { headers: {}, signal: controller.signal, cache: 'no-store' };
    if (Object.keys(params).length > 0) init.headers['X-Duplex-Params'] = encodeURIComponent(JSON.stringify(params));
    if (proc.kind === 'mutation') { init.method = 'POST'; init.body = value === undefined ? '' : JSON.stringify(value); }
    fetch(httpUrl(proc, value), init).then(function (response) {
      if ((response.headers.get('content-type') || '').indexOf('text/event-stream') !== 0) {
        return response.json().then(function (message) { receiveHttp(id, message); });
      }
      return readEvents(response.body, function (message) { receiveHttp(id, message); }).then(function () {
        // The response ended before its stream did: the server cut it (shutting down).
        if (pending.has(id)) receiveHttp(id, { t: 'error', error: { code: 'SERVICE_UNAVAILABLE', message: 'the response ended before the stream did' } });
      });
    }).catch(function (error) {
      if (controller.signal.aborted || !pending.has(id)) return;
      receiveHttp(id, { t: 'error', error: { code: 'NETWORK', message: String((error && error.message) || error) } });
    });
    return true;
  }

  function receiveHttp(id, message) {
    if (message.t === 'goaway') { var entry = pending.get(id); pending.delete(id); if (entry) entry.end('goaway'); return; }
    message.id = id;
    receive(message);
  }

  function readEvents(body, each) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buffered = '';
    function step() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffered += decoder.decode(chunk.value, { stream: true });
        var end = buffered.indexOf('\\n\\n');
        while (end >= 0) {
          buffered.slice(0, end).split('\\n').forEach(function (line) {
            if (line.indexOf('data: ') === 0) each(JSON.parse(line.slice(6)));
          });
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf('\\n\\n');
        }
        return step();
      });
    }
    return step();
  }

  function errorText(error) {
    var text = error.code + ': ' + error.message;
    if (error.issues) text += '\\n' + JSON.stringify(error.issues, null, 2);
    return text;
  }

  function field(schema, name, required) {
    schema = schema || {};
    var label = el('label', { text: name + (required ? ' *' : '') + ' ' });
    if (Array.isArray(schema.enum) && schema.enum.every(function (v) { return v === null || typeof v !== 'object'; })) {
      var select = el('select', { name: name }, [required ? null : el('option', { value: '', text: '' })].concat(
        schema.enum.map(function (v, i) { return el('option', { value: String(i), text: JSON.stringify(v) }); })));
      label.appendChild(select);
      return { node: label, read: function () { return select.value === '' ? undefined : schema.enum[Number(select.value)]; } };
    }
    if (schema.type === 'string') {
      var text = el('input', { name: name, type: 'text' });
      label.appendChild(text);
      return { node: label, read: function () { return text.value === '' && !required ? undefined : text.value; } };
    }
    if (schema.type === 'number' || schema.type === 'integer') {
      var number = el('input', { name: name, type: 'number', step: schema.type === 'integer' ? '1' : 'any' });
      label.appendChild(number);
      return { node: label, read: function () { return number.value === '' ? undefined : Number(number.value); } };
    }
    if (schema.type === 'boolean') {
      var box = el('input', { name: name, type: 'checkbox' });
      label.appendChild(box);
      return { node: label, read: function () { return box.checked; } };
    }
    if (schema.type === 'object' && schema.properties) {
      var need = schema.required || [];
      var parts = Object.keys(schema.properties).map(function (key) {
        return { key: key, part: field(schema.properties[key], key, need.indexOf(key) >= 0) };
      });
      var set = el('fieldset', {}, [el('legend', { text: name })].concat(parts.map(function (p) { return p.part.node; })));
      return { node: set, read: function () {
        var out = {};
        parts.forEach(function (p) { var v = p.part.read(); if (v !== undefined) out[p.key] = v; });
        return out;
      } };
    }
    var area = el('textarea', { name: name, placeholder: 'JSON' });
    label.appendChild(area);
    return { node: label, read: function () { return area.value.trim() === '' ? undefined : JSON.parse(area.value); } };
  }

  function select(proc) {
    selected = proc;
    document.querySelectorAll('ul.procs button').forEach(function (b) { b.setAttribute('aria-pressed', String(b.dataset.path === proc.path)); });
    $('selected').textContent = proc.path + ' (' + proc.kind + ')';
    $('schema').textContent = proc.input ? (proc.inputStream ? 'a stream of items, each: ' : '') + JSON.stringify(proc.input, null, 2) : 'no input';
    var form = $('form');
    form.replaceChildren();
    $('raw').value = '';
    if (proc.inputStream) {
      // A client stream: its items as a JSON array, sent one by one as the server grants credit.
      var items = el('textarea', { name: 'items', placeholder: '[item, item, …]' });
      form.appendChild(el('label', { text: 'items (JSON array) * ' }, [items]));
      readInput = function () { return items.value.trim() === '' ? [] : JSON.parse(items.value); };
    } else if (!proc.input) { readInput = function () { return undefined; }; form.appendChild(el('p', { text: 'This procedure takes no input.' })); }
    else {
      var built = field(proc.input, 'input', true);
      form.appendChild(built.node);
      readInput = built.read;
    }
    $('run').textContent = proc.kind === 'subscription' ? 'Subscribe' : 'Run ' + proc.kind;
    $('result').textContent = '';
  }

  function input() {
    if ($('use-raw').checked) return $('raw').value.trim() === '' ? undefined : JSON.parse($('raw').value);
    return readInput();
  }

  // Sends a call or sub over the page's transport; entry is its pending entry (HTTP adds its abort).
  function start(message, entry) {
    if (endpoint.transport === 'http') return httpSend(message.id, selected, message.input, entry);
    return send(message);
  }

  function run() {
    if (!selected) return;
    var value;
    try { value = input(); } catch (error) { $('result').textContent = 'input is not valid JSON: ' + error.message; return; }
    var id = nextId++;
    var proc = selected;
    if (proc.kind !== 'subscription') {
      var items = [];
      var stream;
      if (proc.inputStream) {
        if (!Array.isArray(value)) { $('result').textContent = 'a stream input is a JSON array of items'; return; }
        if (endpoint.transport === 'http') { $('result').textContent = 'NOT_IMPLEMENTED: client streams need the WebSocket transport'; return; }
        stream = value.slice();
      }
      var entry = {
        result: function (data) { $('result').textContent = show(data); },
        error: function (error) { $('result').textContent = items.concat([errorText(error)]).join('\\n'); },
        stream: function () { $('result').textContent = '(streaming)'; },
        data: function (data) {
          items.push(JSON.stringify(data));
          $('result').textContent = items.join('\\n');
          // One more item for each one shown (over HTTP, reading the response is the credit).
          if (endpoint.transport !== 'http') send({ t: 'credit', id: id, n: 1 });
        },
        end: function () { $('result').textContent = items.concat(['(done)']).join('\\n'); },
        // The server's grants for the client stream: that many more items, then done (§7.2).
        credit: function (n) {
          if (!stream) return;
          while (n-- > 0 && stream.length > 0) send({ t: 'data', id: id, data: stream.shift() });
          if (stream.length === 0) { send({ t: 'done', id: id }); stream = undefined; }
        },
      };
      pending.set(id, entry);
      $('result').textContent = 'running ' + proc.path + '…';
      var call = { t: 'call', id: id, kind: proc.kind, path: proc.path };
      if (stream) call.stream = true;
      else call.input = value;
      if (!start(call, entry)) pending.delete(id);
      return;
    }
    stop();
    var events = $('events');
    events.replaceChildren();
    current = id;
    var watch = {
      data: function (data, eid) {
        events.appendChild(el('li', { text: (eid ? '#' + eid + ' ' : '') + JSON.stringify(data) }));
        while (events.childElementCount > 200) events.removeChild(events.firstChild);
      },
      end: function (how) { $('sub-status').textContent = how === 'goaway' ? 'ended (server draining)' : 'ended (done)'; },
      error: function (error) { $('sub-status').textContent = 'ended: ' + errorText(error); },
    };
    pending.set(id, watch);
    if (start({ t: 'sub', id: id, path: proc.path, input: value }, watch)) $('sub-status').textContent = 'watching ' + proc.path;
    else pending.delete(id);
  }

  function stop() {
    if (current === null) return;
    var entry = pending.get(current);
    if (pending.delete(current)) {
      if (entry.abort) entry.abort();
      else send({ t: 'cancel', id: current });
    }
    $('sub-status').textContent = 'stopped';
    current = null;
  }

  function row(cells) { return el('tr', {}, cells.map(function (c) { return el('td', { text: c === undefined ? '' : String(c) }); })); }

  function render(state) {
    $('connections').replaceChildren.apply($('connections'), state.connections.map(function (c) {
      return row([c.id + (c.id === cid ? ' (this page)' : ''), c.address, c.since, c.calls, c.subscriptions]);
    }));
    $('errors').replaceChildren.apply($('errors'), state.errors.map(function (e) {
      return row([e.at, e.code, e.path, e.message, e.connectionId]);
    }));
  }

  function load() {
    return fetch(location.pathname + '/state', { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' }).then(function (response) {
      if (response.status === 401) throw new Error('refused: missing or wrong token');
      if (!response.ok) throw new Error('state: HTTP ' + response.status);
      return response.json();
    });
  }

  load().then(function (state) {
    procedures = state.procedures;
    var list = $('procedures');
    procedures.forEach(function (proc) {
      var button = el('button', { type: 'button', 'data-path': proc.path, 'aria-pressed': 'false' }, [
        el('span', { text: proc.path }), el('span', { class: 'kind', text: proc.kind })]);
      button.addEventListener('click', function () { select(proc); });
      list.appendChild(el('li', {}, [button]));
    });
    render(state);
    endpoint = state;
    connect();
    $('connect').addEventListener('click', connect);
    $('run').addEventListener('click', run);
    $('stop').addEventListener('click', stop);
    $('refresh').addEventListener('click', function () { load().then(render, function (error) { status(error.message); }); });
    setInterval(function () { load().then(render, function () {}); }, 1000);
  }, function (error) {
    document.body.replaceChildren(el('p', { class: 'refused', role: 'alert', text: error.message }));
  });
})();
`;

/** The devtools page: one HTML document, its script and style inline, no build step. */
export const DEVTOOLS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>duplex devtools</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>duplex devtools</h1>
  <span id="status" role="status">loading…</span>
  <label class="push">connection params <input id="params" value="{}" size="30" /></label>
  <button id="connect" type="button">Reconnect</button>
</header>
<main>
  <section><h2>Procedures</h2><ul class="procs" id="procedures"></ul></section>
  <section>
    <h2 id="selected">Pick a procedure</h2>
    <div id="form"></div>
    <label><input id="use-raw" type="checkbox" /> raw JSON input</label>
    <textarea id="raw" aria-label="raw JSON input" placeholder="input as JSON"></textarea>
    <button id="run" type="button">Run</button>
    <button id="stop" type="button">Stop subscription</button>
    <h2>Result</h2><pre id="result" aria-label="result"></pre>
    <h2>Subscription events <span id="sub-status"></span></h2><ol class="events" id="events" aria-label="events"></ol>
    <details><summary>Input schema</summary><pre id="schema"></pre></details>
  </section>
  <section class="wide">
    <h2>Connections <button id="refresh" type="button">Refresh</button></h2>
    <table><thead><tr><th>id</th><th>address</th><th>since</th><th>calls</th><th>subscriptions</th></tr></thead><tbody id="connections"></tbody></table>
  </section>
  <section class="wide">
    <h2>Recent errors</h2>
    <table><thead><tr><th>at</th><th>code</th><th>path</th><th>message</th><th>connection</th></tr></thead><tbody id="errors"></tbody></table>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

async function sha256(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...bytes))}'`;
}

let csp: Promise<string> | undefined;

/**
 * The page's Content-Security-Policy: only its own inline script and style (by hash), requests to
 * its own origin (`'self'` covers ws: and wss: of the same host), no frames, forms or plugins.
 * Hashed on first use, so a server without devtools never computes it.
 */
export function devtoolsPageCsp(): Promise<string> {
  csp ??= Promise.all([sha256(SCRIPT), sha256(STYLE)]).then(([script, style]) =>
    [
      "default-src 'none'",
      `script-src ${script}`,
      `style-src ${style}`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  return csp;
}
