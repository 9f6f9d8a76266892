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
