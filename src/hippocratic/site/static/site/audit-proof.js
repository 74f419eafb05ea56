// Checks, in the browser, that each use of your data listed on the page is in the
// signed audit log: the entry's leaf hash, its inclusion path (RFC 9162 2.1.3.2) up to
// the root of a signed tree head, and the head's Ed25519 signature against the
// operator's key given by the page (not the key a head carries). The same steps as
// `hippocratic audit check-proof` (enforcement/proofs.py). No third party is asked.
"use strict";

(function () {
  const table = document.querySelector("[data-operator-key]");
  if (!table || !window.crypto || !crypto.subtle) return;
  const operatorKey = table.dataset.operatorKey;

  const bytes = (text) => new TextEncoder().encode(text);
  const fromHex = (hex) => new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
  const fromB64 = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  async function sha256(...parts) {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) { all.set(part, at); at += part.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  }
  const leafHash = (data) => sha256(new Uint8Array([0]), data);
  const nodeHash = (left, right) => sha256(new Uint8Array([1]), left, right);

  async function included(leaf, index, size, path, root) {
    let fn = BigInt(index), sn = BigInt(size) - 1n, r = leaf;
    if (fn > sn) return false;
    for (const p of path) {
      if (sn === 0n) return false;
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) {
          while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n; sn >>= 1n;
    }
    return sn === 0n && equal(r, root);
  }

  // true, false, or null where this browser cannot check Ed25519 (only that is null:
  // a signature that does not even decode is false).
  async function signed(head) {
    if (!operatorKey) return null;
    const statement = ["hippocratic-audit-" + head.format, head.seq, head.hash, head.at].join("\n");
    let signature;
    try {
      signature = fromB64(head.signature);
    } catch (malformed) {
      return false;
    }
    let key;
    try {
      key = await crypto.subtle.importKey("raw", fromB64(operatorKey), { name: "Ed25519" },
        false, ["verify"]);
    } catch (unsupported) {
      return null; // this browser has no Ed25519: the signature is left to the command
    }
    try {
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, bytes(statement));
    } catch (refused) {
      return false;
    }
  }

  // What `proofs.check` holds before the hashes: the proof is of this entry, against a
  // signed head of the proof's own size.
  function wellFormed(proof, expected) {
    const index = proof.leaf_index, size = proof.tree_size, head = proof.head || {};
    return Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0
      && index < size && index + 1 === expected && head.format === "tree-head/1"
      && head.seq === size && typeof proof.leaf_data === "string"
      && Array.isArray(proof.path) && proof.path.every((p) => /^[0-9a-f]{64}$/.test(p))
      && /^[0-9a-f]{64}$/.test(head.hash || "");
  }

  async function check(cell) {
    const status = cell.querySelector(".proof-status");
    const response = await fetch(cell.dataset.auditProof, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (response.status === 404) {
      status.textContent = "awaiting the next signed head";
      return;
    }
    const expected = Number(cell.dataset.auditProof.split("/").pop());
    const proof = response.ok ? await response.json() : null;
    if (!proof || !wellFormed(proof, expected)) {
      status.textContent = "#" + expected + ": the log cannot prove it (damaged)";
      cell.dataset.verdict = "tampered";
      return;
    }
    const leaf = await leafHash(bytes(proof.leaf_data));
    const path = proof.path.map(fromHex);
    const ok = await included(leaf, proof.leaf_index, proof.tree_size, path, fromHex(proof.head.hash));
    const n = "#" + (proof.leaf_index + 1);
    if (!ok) {
      status.textContent = n + ": NOT in the signed log";
      cell.dataset.verdict = "tampered";
      return;
    }
    const signature = await signed(proof.head);
    if (signature === false) {
      status.textContent = n + ": the log's signature does NOT verify";
      cell.dataset.verdict = "tampered";
      return;
    }
    status.textContent = n + ": included in the log signed at " + proof.head.at.slice(0, 16).replace("T", " ")
      + (signature === null ? " (signature not checked by this browser)" : "");
    cell.dataset.verdict = "included";
  }

  for (const cell of document.querySelectorAll("[data-audit-proof]")) {
    check(cell).catch(() => {
      cell.querySelector(".proof-status").textContent = "could not be checked";
    });
  }
})();
