// Passkeys (issue 17): the few lines that call the browser's WebAuthn API. Every form
// works as a plain form post; this script only fills its `credential` field with the
// authenticator's answer. A form marked data-passkey="create" adds a passkey, one
// marked "get" signs in (with the browser's passkey suggestions in the identifier
// field where it offers them: conditional mediation). Without this script, or in a
// browser without WebAuthn, the forms stay hidden and the page says why.

const toBytes = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
};

const toText = (buffer) => {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  bytes.forEach((b) => { binary += String.fromCharCode(b); });
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

// The options as the server wrote them (JSON, bytes in base64url) for the browser.
const creationOptions = (o) => ({
  ...o,
  challenge: toBytes(o.challenge),
  user: { ...o.user, id: toBytes(o.user.id) },
  excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
});

const requestOptions = (o) => ({
  ...o,
  challenge: toBytes(o.challenge),
  allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
});

// The authenticator's answer as JSON (WebAuthn Level 3 `toJSON()` where it exists).
const credentialJSON = (credential) => {
  if (typeof credential.toJSON === "function") {
    return credential.toJSON();
  }
  const r = credential.response;
  const response = { clientDataJSON: toText(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toText(r.attestationObject);
    response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
  } else {
    response.authenticatorData = toText(r.authenticatorData);
    response.signature = toText(r.signature);
    if (r.userHandle) {
      response.userHandle = toText(r.userHandle);
    }
  }
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
  };
};

const fetchOptions = async (form) => {
  const token = form.querySelector("[name=csrf_token]").value;
  const answer = await fetch(form.dataset.optionsUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": token, Accept: "application/json" },
  });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    throw new Error(body.error || form.dataset.messageFailed);
  }
  return body;
};

const say = (form, message) => {
  const status = form.querySelector(".fr-message");
  status.textContent = message;
  status.classList.add("fr-message--error");
  status.hidden = false;
};

const submitWith = (form, credential) => {
  form.querySelector("[name=credential]").value = JSON.stringify(credentialJSON(credential));
  form.submit();
};

let pendingConditional = null;

const ceremony = async (form, mediation) => {
  const options = await fetchOptions(form);
  if (form.dataset.passkey === "create") {
    return navigator.credentials.create({ publicKey: creationOptions(options) });
  }
  const request = { publicKey: requestOptions(options) };
  if (mediation === "conditional") {
    pendingConditional = new AbortController();
    request.mediation = "conditional";
    request.signal = pendingConditional.signal;
  }
  return navigator.credentials.get(request);
};

const onSubmit = async (event) => {
  const form = event.currentTarget;
  event.preventDefault();
  if (pendingConditional) {
    pendingConditional.abort();
    pendingConditional = null;
  }
  try {
    const credential = await ceremony(form, "required");
    if (credential) {
      submitWith(form, credential);
    }
  } catch (error) {
    say(form, error.name === "NotAllowedError" ? form.dataset.messageFailed : error.message || form.dataset.messageFailed);
  }
};

// Conditional mediation: the passkeys appear among the identifier field's suggestions.
const offerInSuggestions = async (form) => {
  const available = window.PublicKeyCredential.isConditionalMediationAvailable;
  if (typeof available !== "function" || !(await available.call(window.PublicKeyCredential))) {
    return;
  }
  if (!document.querySelector("input[autocomplete~='webauthn']")) {
    return;
  }
  try {
    const credential = await ceremony(form, "conditional");
    if (credential) {
      submitWith(form, credential);
    }
  } catch (error) {
    // Aborted for the button, or dismissed: the button and the password stay.
  }
};

if (window.PublicKeyCredential && navigator.credentials) {
  document.querySelectorAll("form[data-passkey]").forEach((form) => {
    form.hidden = false;
    form.addEventListener("submit", onSubmit);
    const unavailable = document.getElementById("passkey-unavailable");
    if (unavailable) {
      unavailable.hidden = true;
    }
    if (form.dataset.passkey === "get") {
      offerInSuggestions(form);
    }
  });
}
