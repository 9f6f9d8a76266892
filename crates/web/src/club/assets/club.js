// The club's few behaviours: the wheel spins to the prize the server drew, the reels run and
// stop on the drawn symbols, and codes and links can be copied or shared. Pages work without it.
document.documentElement.classList.add("js");

function reveal() {
  const result = document.getElementById("result");
  if (result) result.classList.remove("pending");
}

function spinWheel(face) {
  const count = Number(face.dataset.count);
  const land = Number(face.dataset.land);
  const slice = 360 / count;
  // Slice i is centred at i × slice degrees clockwise from the top; turning the wheel back by
  // that much brings it under the pointer, after five full turns.
  const jitter = (Math.random() - 0.5) * slice * 0.6;
  const target = 5 * 360 - land * slice + jitter;
  face.addEventListener("transitionend", reveal, { once: true });
  requestAnimationFrame(() => requestAnimationFrame(() => { face.style.transform = `rotate(${target}deg)`; }));
  setTimeout(reveal, 5000);
}

function runReels(box) {
  const symbols = JSON.parse(box.dataset.symbols || "[]");
  const reels = Array.from(box.querySelectorAll(".reel"));
  const finals = reels.map((r) => r.textContent);
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
    reels.forEach((r, i) => {
      if (ticks < 12 + i * 6) r.textContent = symbols[Math.floor(Math.random() * symbols.length)] || finals[i];
      else r.textContent = finals[i];
    });
    if (ticks >= 12 + (reels.length - 1) * 6) { clearInterval(timer); reveal(); }
  }, 90);
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    const before = button.textContent;
    button.textContent = document.documentElement.lang === "fa" ? "کپی شد" : "Copied";
    setTimeout(() => { button.textContent = before; }, 1500);
  } catch (_) { /* the code stays on screen to copy by hand */ }
}

document.addEventListener("DOMContentLoaded", () => {
  const face = document.querySelector(".wheel-face[data-land]");
  if (face) spinWheel(face);
  const reels = document.querySelector(".reels[data-spin]");
  if (reels) runReels(reels);
  if (!face && !reels) reveal();
  document.querySelectorAll("form.play").forEach((f) => f.addEventListener("submit", () => {
    const b = f.querySelector("button"); if (b) b.disabled = true;
  }));
  document.addEventListener("click", (e) => {
    const share = e.target.closest("[data-share]");
    if (share && navigator.share) { navigator.share({ url: share.dataset.share }).catch(() => {}); return; }
    const c = e.target.closest("[data-copy]");
    if (c) copy(c.dataset.copy, c);
  });
});

// Notifications on this device: registers the club's service worker, subscribes with the
// brand's key when the customer turns them on, and keeps the server's copy of the subscription
// (posted again on each visit; a subscription made with an older key is renewed).
function b64ToBytes(text) {
  const s = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(s + "=".repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

function bytesToB64(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function setUpPush(card) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
  const error = card.querySelector(".error");
  const post = async (url, fields) => {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: card.dataset.csrf, ...fields }),
    });
    if (!res.ok) throw new Error((await res.text()) || `HTTP ${res.status}`);
  };
  const keep = (sub) => {
    const j = sub.toJSON();
    return post(card.dataset.on, { endpoint: j.endpoint, p256dh: j.keys.p256dh, auth: j.keys.auth });
  };
  const show = (state) => { card.dataset.state = state; };
  const fail = (e) => { error.textContent = String(e.message || e); error.hidden = false; };
  const registration = await navigator.serviceWorker.register(card.dataset.sw);
  let sub = await registration.pushManager.getSubscription();
  if (sub && sub.options.applicationServerKey && bytesToB64(sub.options.applicationServerKey) !== card.dataset.pushKey) {
    await sub.unsubscribe();
    sub = null;
  }
  const subscribe = async () => {
    sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(card.dataset.pushKey) });
    await keep(sub);
  };
  if (!sub && Notification.permission === "granted") await subscribe().catch(fail);
  else if (sub) await keep(sub).catch(fail);
  show(sub ? "on" : Notification.permission === "denied" ? "blocked" : "off");
  card.addEventListener("click", async (e) => {
    const button = e.target.closest("[data-push]");
    if (!button) return;
    error.hidden = true;
    button.disabled = true;
    try {
      if (button.dataset.push === "on") {
        if ((await Notification.requestPermission()) !== "granted") { show("blocked"); return; }
        await subscribe();
        show("on");
      } else if (sub) {
        await post(card.dataset.off, { endpoint: sub.endpoint });
        await sub.unsubscribe();
        sub = null;
        show("off");
      }
    } catch (err) {
      fail(err);
    } finally {
      button.disabled = false;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const card = document.querySelector(".push[data-push-key]");
  if (card) setUpPush(card).catch(() => {});
});
