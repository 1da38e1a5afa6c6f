// Passkeys on Gatehouse's pages: the one script the site has. The pages work
// without it; it only reveals the passkey buttons ([data-passkey] sections
// are hidden until it runs) and makes the WebAuthn calls, which need
// JavaScript. Served from /static/, so the strict CSP (default-src 'self')
// allows it; it uses no eval and no inline handlers.
"use strict";
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(b64url) {
    const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64url.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  }
  function toB64url(buffer) {
    let s = "";
    for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrfToken(section) {
    const input = section.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  async function post(section, path, body) {
    const r = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(section) },
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { status: r.status, data };
  }
  function credentialJson(c) {
    const response = { clientDataJSON: toB64url(c.response.clientDataJSON) };
    if (c.response.attestationObject) response.attestationObject = toB64url(c.response.attestationObject);
    if (c.response.authenticatorData) response.authenticatorData = toB64url(c.response.authenticatorData);
    if (c.response.signature) response.signature = toB64url(c.response.signature);
    if (c.response.userHandle) response.userHandle = toB64url(c.response.userHandle);
    return { id: c.id, rawId: toB64url(c.rawId), type: c.type, response };
  }
  // A path on this site, as the server's safe_next: one leading slash, no
  // backslash, no control characters (browsers read "/\\evil" as "//evil").
  function safeNext(path) {
    return path.startsWith("/") && !path.startsWith("//") && !path.includes("\\") && !/[\x00-\x1f\x7f]/.test(path);
  }
  function say(section, text) {
    const out = section.querySelector("[data-passkey-error]");
    if (out) { out.textContent = text; out.hidden = false; }
  }
  function problem(answer) {
    const d = answer.data || {};
    if (d.detail) return d.detail;
    if (d.errors) return Object.values(d.errors).flat().join(" ");
    return "The passkey did not work (" + answer.status + ").";
  }

  async function register(section) {
    const begin = await post(section, "/api/mfa/webauthn/register/begin");
    if (begin.status !== 200) return say(section, problem(begin));
    const o = begin.data;
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    o.excludeCredentials = (o.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
    let credential;
    try { credential = await navigator.credentials.create({ publicKey: o }); } catch (e) { return say(section, e.message); }
    const name = section.querySelector("input[name=name]");
    const finish = await post(section, "/api/mfa/webauthn/register/finish",
                              { credential: credentialJson(credential), name: name ? name.value : "" });
    if (finish.status !== 201) return say(section, problem(finish));
    window.location.reload();
  }

  async function authenticate(section) {
    const begin = await post(section, "/api/login/webauthn/begin");
    if (begin.status !== 200) return say(section, problem(begin));
    const o = begin.data;
    o.challenge = toBytes(o.challenge);
    o.allowCredentials = (o.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
    let credential;
    try { credential = await navigator.credentials.get({ publicKey: o }); } catch (e) { return say(section, e.message); }
    const finish = await post(section, "/api/login/webauthn/finish", { credential: credentialJson(credential) });
    if (finish.status !== 200) return say(section, problem(finish));
    const next = section.querySelector("input[name=next]");
    window.location.assign(next && safeNext(next.value) ? next.value : "/accounts/profile/");
  }

  for (const section of document.querySelectorAll("[data-passkey]")) {
    section.hidden = false;
    const form = section.querySelector("form");
    if (!form) continue;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      (section.dataset.passkey === "register" ? register : authenticate)(section);
    });
  }
})();
