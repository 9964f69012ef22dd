// clinvault chat page: plain JS, no build step. All text goes in through textContent.
"use strict";

const state = { token: null, conversations: {} };
const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${state.token}` }, options.headers || {});
  return fetch(path, Object.assign({}, options, { headers }));
}

async function errorCode(response) {
  try {
    const body = await response.json();
    return (body.error && body.error.code) || String(response.status);
  } catch (_) {
    return String(response.status);
  }
}

async function loadDemoUsers() {
  const response = await fetch("/v1/dev/sign-in");
  if (!response.ok) return;
  const body = await response.json();
  if (!body.users.length) return;
  $("demo-users").hidden = false;
  for (const user of body.users) {
    const button = el("button", `${user.user} (${user.role})`, "secondary");
    button.type = "button";
    button.dataset.user = user.user;
    button.addEventListener("click", () => signIn(user.token));
    $("demo-list").appendChild(button);
  }
}

async function signIn(token) {
  state.token = token.trim();
  const response = await api("/v1/patients");
  if (!response.ok) {
    $("sign-in-error").textContent = `Sign-in refused: ${await errorCode(response)}`;
    state.token = null;
    return;
  }
  const body = await response.json();
  const claims = JSON.parse(atob(state.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  $("who").textContent = `${claims.sub} · ${claims.clinvault_role || ""}`;
  $("sign-in").hidden = true;
  $("chat").hidden = false;
  $("sign-out").hidden = false;
  if (body.pseudonymous) $("purpose").value = "HRESCH";
  const select = $("patient");
  select.replaceChildren();
  for (const patient of body.patients) {
    const label = patient.name ? `${patient.name} (${patient.reference})` : patient.patient_token;
    const option = el("option", label);
    option.value = patient.reference || patient.patient_token;
    select.appendChild(option);
  }
}

function currentPatient() {
  return $("patient-other").value.trim() || $("patient").value;
}

function renderAnswer(node, text) {
  // Turn [n] and [n, m] markers into buttons that show the cited source.
  node.replaceChildren();
  const pattern = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    node.appendChild(document.createTextNode(text.slice(last, match.index)));
    node.appendChild(document.createTextNode("["));
    match[1].split(",").forEach((n, i) => {
      if (i) node.appendChild(document.createTextNode(", "));
      const button = el("button", n.trim(), "cite");
      button.type = "button";
      button.dataset.n = n.trim();
      node.appendChild(button);
    });
    node.appendChild(document.createTextNode("]"));
    last = match.index + match[0].length;
  }
  node.appendChild(document.createTextNode(text.slice(last)));
}

async function showSource(patient, citation, breakGlass) {
  const headers = breakGlass ? { "X-Break-Glass": breakGlass } : {};
  const purpose = encodeURIComponent($("purpose").value);
  const id = patient.replace(/^Patient\//, "");
  const path = `/v1/patients/${encodeURIComponent(id)}/resources/${citation.resource_token}?purpose=${purpose}`;
  const response = await api(path, { headers });
  const box = $("source");
  box.replaceChildren(el("div", `[${citation.n}] ${citation.reference}`));
  if (!response.ok) {
    box.appendChild(el("p", `Not shown: ${await errorCode(response)}`, "error"));
    return;
  }
  const body = await response.json();
  if (body.pseudonymous) box.appendChild(el("p", "pseudonymized view", "muted"));
  box.appendChild(el("pre", JSON.stringify(body.resource, null, 2)));
}

function askBreakGlass() {
  return new Promise((resolve) => {
    const dialog = $("break-glass");
    $("break-glass-reason").value = "";
    dialog.addEventListener(
      "close",
      () => resolve(dialog.returnValue === "proceed" ? $("break-glass-reason").value.trim() : null),
      { once: true },
    );
    dialog.showModal();
  });
}

async function ask(question, breakGlass) {
  const patient = currentPatient();
  const headers = { "Content-Type": "application/json" };
  if (breakGlass) headers["X-Break-Glass"] = breakGlass;
  const body = {
    patient,
    question,
    purpose: $("purpose").value,
    stream: true,
    conversation_id: state.conversations[patient] || null,
  };
  const response = await api("/v1/chat", { method: "POST", headers, body: JSON.stringify(body) });
  if (!response.ok) {
    const code = await errorCode(response);
    if (code === "no-relationship" && !breakGlass) {
      const reason = await askBreakGlass();
      if (reason) return ask(question, reason);
    }
    $("chat-error").textContent = `Refused: ${code}`;
    return;
  }
  $("chat-error").textContent = "";
  const turn = el("li");
  turn.dataset.state = "streaming";
  turn.appendChild(el("div", question, "q"));
  const answer = el("div", "", "a");
  answer.setAttribute("aria-live", "polite");
  answer.setAttribute("aria-busy", "true");
  turn.appendChild(answer);
  const sources = el("ol", undefined, "sources");
  turn.appendChild(sources);
  $("turns").appendChild(turn);
  let text = "";
  let citations = [];
  let finished = false;
  let failed = null;
  answer.addEventListener("click", (event) => {
    const n = event.target.dataset && event.target.dataset.n;
    const citation = citations.find((c) => String(c.n) === n);
    if (citation) showSource(patient, citation, breakGlass);
  });
  // Each event is rendered as it arrives: tokens grow the answer while the model writes,
  // then the citations turn the [n] markers into links and fill the sources list, then
  // "done" closes the turn with the checked answer (a marker citing nothing retrieved is
  // dropped from it); "error" ends a stream that failed part-way.
  await readEvents(response, (name, data) => {
    if (name === "token") {
      text += data.text;
      answer.textContent = text;
    } else if (name === "citations") {
      citations = data;
      renderAnswer(answer, text);
      renderSources(sources, citations, (citation) => showSource(patient, citation, breakGlass));
    } else if (name === "done") {
      finished = true;
      if (typeof data.answer === "string" && data.answer !== text) {
        text = data.answer;
        renderAnswer(answer, text);
      }
      state.conversations[patient] = data.conversation_id;
      if (breakGlass) turn.appendChild(el("div", "emergency access: flagged for review", "flag"));
      turn.dataset.responseId = data.response_id;
    } else if (name === "error") {
      failed = (data.error && data.error.code) || "error";
    }
  });
  answer.setAttribute("aria-busy", "false");
  turn.dataset.state = finished ? "done" : "interrupted";
  if (failed) $("chat-error").textContent = `The answer failed part-way: ${failed}; ask again.`;
  else if (!finished) $("chat-error").textContent = "The answer stream was interrupted; ask again.";
}

function renderSources(list, citations, onOpen) {
  list.replaceChildren();
  for (const citation of citations) {
    const item = el("li");
    const button = el("button", `[${citation.n}] ${citation.reference}`, "cite");
    button.type = "button";
    button.addEventListener("click", () => onOpen(citation));
    item.appendChild(button);
    const when = citation.date ? ", " + citation.date : "";
    item.appendChild(document.createTextNode(` ${citation.resource_type}${when}`));
    list.appendChild(item);
  }
}

// Server-sent events over fetch (EventSource cannot send the Authorization header): reads the
// body as it arrives and calls onEvent(name, JSON data) for each complete event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const dispatch = (block) => {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    if (data.length) onEvent(name, JSON.parse(data.join("\n")));
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      dispatch(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
    }
  }
  if (buffer.trim()) dispatch(buffer);
}

document.addEventListener("DOMContentLoaded", () => {
  $("use-token").addEventListener("click", () => signIn($("token").value));
  $("sign-out").addEventListener("click", () => window.location.reload());
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (question) {
      $("question").value = "";
      ask(question, null);
    }
  });
  loadDemoUsers();
});
