// The till: the cart lives here and in this browser's storage, so a reload or a lost
// connection loses nothing; the server prices, checks and records.
"use strict";

const till = document.querySelector(".till");
if (till) start(till);

function start(root) {
  const words = JSON.parse(root.dataset.words);
  const lang = document.documentElement.lang;
  const fmt = new Intl.NumberFormat(lang === "fa" ? "fa-IR" : "en-US");
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const storeKey = "philia-till-" + root.dataset.branch;
  const $ = (id) => document.getElementById(id);
  const fresh = () => ({ lines: [], customer: null, key: crypto.getRandomValues(new Uint32Array(3)).join("-") });
  let state = JSON.parse(localStorage.getItem(storeKey) || "null") || fresh();
  let quoted = false;

  const save = () => localStorage.setItem(storeKey, JSON.stringify(state));
  const offline = (on) => { $("offline").hidden = !on; };

  async function call(method, url, body) {
    let res;
    try {
      res = await fetch(url, {
        method, credentials: "same-origin",
        headers: body ? { "content-type": "application/json", "x-csrf-token": csrf } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (_) {
      offline(true);
      watch();
      throw { offline: true };
    }
    offline(false);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw data;
    return data;
  }

  let watching = false;
  function watch() {
    if (watching) return;
    watching = true;
    const ping = async () => {
      try { await fetch("/healthz", { cache: "no-store" }); offline(false); watching = false; }
      catch (_) { setTimeout(ping, 3000); }
    };
    setTimeout(ping, 3000);
  }

  function problemText(p) {
    if (p && p.offline) return "";
    const fa = lang === "fa";
    if (p && p.errors && p.errors.length) return p.errors.map((e) => `${e.field}: ${fa ? e.message_fa : e.message}`).join(" · ");
    return (p && (fa ? p.detail_fa : p.detail)) || "";
  }

  function changed() {
    quoted = false;
    $("checkout").disabled = true;
    $("quote").innerHTML = "";
    save();
    renderCart();
  }

  function renderCart() {
    const body = $("cart").querySelector("tbody");
    body.innerHTML = "";
    state.lines.forEach((l, i) => {
      const tr = document.createElement("tr");
      tr.dataset.sku = l.sku;
      const over = l.stock !== null && l.stock !== undefined && l.qty > l.stock;
      tr.innerHTML = `<td></td><td class="num"><input type="number" min="1" class="qty" aria-label="qty"></td>
        <td class="num"></td><td><button type="button" class="link remove"></button></td>`;
      tr.cells[0].textContent = l.name;
      if (l.stock !== null && l.stock !== undefined) {
        const s = document.createElement("span");
        s.className = over ? "small error" : "small muted";
        s.textContent = ` (${words.stock}: ${fmt.format(l.stock)})`;
        tr.cells[0].appendChild(s);
      }
      const q = tr.querySelector(".qty");
      q.value = l.qty;
      q.addEventListener("change", () => { l.qty = Math.max(1, parseInt(q.value, 10) || 1); changed(); });
      tr.cells[2].textContent = fmt.format(l.price * l.qty);
      const rm = tr.querySelector(".remove");
      rm.textContent = words.remove;
      rm.addEventListener("click", () => { state.lines.splice(i, 1); changed(); });
      body.appendChild(tr);
    });
    $("cart-empty").hidden = state.lines.length > 0;
    renderCustomer();
  }

  function renderCustomer() {
    const card = $("customer-card");
    const c = state.customer;
    if (!c) { card.textContent = words.walkin; card.className = "muted"; return; }
    card.className = "card";
    card.innerHTML = "";
    const line = (text) => { const p = document.createElement("p"); p.textContent = text; card.appendChild(p); return p; };
    line(`${c.name || ""} ${(c.mobile || "").replace(/^\+98/, "0")}`).id = "customer-name";
    if (c.tier) line(`${words.tier}: ${c.tier}`);
    c.points.forEach((p) => { line(`${p.name}: ${fmt.format(p.balance)} ${words.points}`).dataset.points = p.point_type; });
    line(`${words.wallet}: ${fmt.format(c.wallet)}`);
    if (c.codes.length) line(`${words.codes}: ${c.codes.join("، ")}`);
  }

  function add(p) {
    const found = state.lines.find((l) => l.sku === p.sku);
    if (found) found.qty += 1;
    else state.lines.push({ sku: p.sku, name: p.name, price: p.price, qty: 1, stock: p.stock });
    changed();
  }

  function showResults(items) {
    const list = $("results");
    list.innerHTML = "";
    items.forEach((p) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.sku = p.sku;
      b.textContent = `${p.name} · ${p.sku} · ${fmt.format(p.price)}` + (p.stock === null ? "" : ` · ${words.stock}: ${fmt.format(p.stock)}`);
      b.addEventListener("click", () => { add(p); list.innerHTML = ""; $("search").value = ""; $("search").focus(); });
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  let timer = null;
  async function search(text) {
    const data = await call("GET", "/pos/api/products?q=" + encodeURIComponent(text));
    return data.items;
  }
  $("search").addEventListener("input", (e) => {
    clearTimeout(timer);
    const text = e.target.value.trim();
    if (!text) { showResults([]); return; }
    timer = setTimeout(() => search(text).then(showResults).catch(() => {}), 120);
  });
  // A scanner types the code and presses Enter: a receipt opens, a product goes to the cart.
  $("search").addEventListener("keydown", async (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    clearTimeout(timer);
    const text = e.target.value.trim();
    if (!text) return;
    if (/^[rR][0-9۰-۹]+$/.test(text)) { location.href = "/pos/receipts?code=" + encodeURIComponent(text); return; }
    try {
      const items = await search(text);
      const exact = items.find((p) => p.sku.toLowerCase() === text.toLowerCase());
      if (exact || items.length === 1) { add(exact || items[0]); e.target.value = ""; showResults([]); }
      else showResults(items);
    } catch (_) { /* offline: the banner says so */ }
  });

  $("find-customer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const mobile = $("customer-mobile").value.trim();
    if (!mobile) { state.customer = null; changed(); return; }
    try {
      const data = await call("GET", "/pos/api/customers?mobile=" + encodeURIComponent(mobile));
      state.customer = data.customer;
      $("add-customer").hidden = !!data.customer;
      if (!data.customer) $("customer-card").textContent = words.notFound;
      else changed();
    } catch (p) { $("pay-error").textContent = problemText(p); }
  });
  $("add-customer").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const data = await call("POST", "/pos/api/customers", { mobile: $("customer-mobile").value.trim(), name: $("new-name").value.trim() });
      state.customer = data.customer;
      $("add-customer").hidden = true;
      changed();
    } catch (p) { $("pay-error").textContent = problemText(p); }
  });
  ["discount", "discount-kind", "code", "pay-points", "pay-wallet", "override"].forEach((id) => {
    const el = $(id);
    if (el) el.addEventListener("change", changed);
  });

  function sale() {
    const s = { lines: state.lines.map((l) => ({ sku: l.sku, quantity: l.qty })) };
    if (state.customer) s.customer_id = state.customer.id;
    const d = parseInt($("discount").value, 10);
    if (d > 0) s.discount = { kind: $("discount-kind").value, value: d };
    const code = $("code").value.trim();
    if (code) s.codes = [code];
    const pts = parseInt($("pay-points").value, 10);
    if (pts > 0 && state.customer) {
      const type = state.customer.points.find((p) => p.spendable) || state.customer.points[0];
      if (type) s.points = { point_type: type.point_type, points: pts };
    }
    const wallet = parseInt($("pay-wallet").value, 10);
    if (wallet > 0) s.wallet = wallet;
    if ($("override") && $("override").checked) s.override_stock = true;
    return s;
  }

  function showQuote(q) {
    const dl = $("quote");
    dl.innerHTML = "";
    const row = (label, value, id) => {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value; if (id) dd.id = id;
      dl.append(dt, dd);
    };
    const discounts = q.instant_discount + q.tier_discount + q.codes.reduce((a, c) => a + c.discount, 0);
    row(words.subtotal, fmt.format(q.gross));
    if (discounts > 0) row(words.discounts, fmt.format(discounts));
    if (q.points_value + q.wallet_used > 0) row(words.loyaltyPaid, fmt.format(q.points_value + q.wallet_used));
    row(words.toPay, fmt.format(q.to_pay), "to-pay");
    const earn = Object.values(q.points_to_earn || {}).reduce((a, b) => a + b, 0);
    if (earn > 0) row(words.earns, fmt.format(earn), "earns");
  }

  $("quote-button").addEventListener("click", async () => {
    $("pay-error").textContent = "";
    try {
      const q = await call("POST", "/pos/api/quote", sale());
      showQuote(q);
      quoted = true;
      $("checkout").disabled = false;
      $("checkout").focus();
    } catch (p) { $("pay-error").textContent = problemText(p); }
  });
  $("checkout").addEventListener("click", async () => {
    if (!quoted) return;
    $("checkout").disabled = true;
    try {
      const done = await call("POST", "/pos/api/sales", { sale: sale(), key: state.key });
      state = fresh();
      save();
      location.href = done.receipt;
    } catch (p) { $("pay-error").textContent = problemText(p); $("checkout").disabled = false; }
  });

  renderCart();
}
