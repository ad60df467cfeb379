// Proof-of-work for a client over its rate limit (see huitou/core/ratelimit.py): find a
// solution whose sha256("<challenge>:<solution>") starts with `difficulty` zero bits.
// window.huitouPow.solve(challenge, difficulty) → Promise of the solution; a 429 page's
// #pow-form (data-pow-challenge / data-pow-difficulty) is solved and re-sent by itself.
(function () {
  const encoder = new TextEncoder();
  function zeroBits(bytes) {
    let bits = 0;
    for (const byte of bytes) {
      if (byte === 0) { bits += 8; continue; }
      return bits + Math.clz32(byte) - 24;
    }
    return bits;
  }
  async function solve(challenge, difficulty) {
    if (!(window.crypto && window.crypto.subtle)) throw new Error("no WebCrypto");
    const batch = 512;
    for (let start = 0; ; start += batch) {
      const tries = [];
      for (let n = start; n < start + batch; n++) {
        tries.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + n)));
      }
      const digests = await Promise.all(tries);
      for (let i = 0; i < digests.length; i++) {
        if (zeroBits(new Uint8Array(digests[i])) >= difficulty) return String(start + i);
      }
    }
  }
  window.huitouPow = {solve};
  const form = document.getElementById("pow-form");
  if (!form) return;
  const button = form.querySelector("button[type=submit]");
  solve(form.dataset.powChallenge, Number(form.dataset.powDifficulty)).then((solution) => {
    form.elements.pow_solution.value = solution;
    button.disabled = false;
    form.submit();
  }).catch(() => { button.disabled = true; });
})();
