//! The admin panel in a real headless Chromium: a staff member signs in, reads the dashboard,
//! finds a customer, works on the profile, switches language, fits a phone screen and signs out.
//! Screenshots of the dashboard and the profile in Persian and English are kept in
//! `target/screenshots/`.

mod common;

use common::browser::Browser;
use philia_engine::demo::{Demo, DemoSpec};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_staff_member_walks_the_panel_in_a_browser() {
    for app in common::apps().await {
        let demo = Demo::new(DemoSpec { customers: 200, invoices: 1500, seed: 3, end: jiff::Zoned::now().date() });
        app.engine.load_demo(&app.ctx, &demo, &mut |_, _, _| {}).await.unwrap();
        app.engine.create_staff(&app.ctx, "owner@shop.ir", "نگار مدیر", "owner", PASSWORD).await.unwrap();
        app.engine.create_staff(&app.ctx, "sara@shop.ir", "سارا", "marketer", PASSWORD).await.unwrap();
        let b = Browser::start(1280, 1600).await;
        let tag = app.backend;

        // Signing in from a deep link comes back to it.
        b.goto(&format!("{}/admin/customers", app.base)).await;
        assert!(b.path().await.starts_with("/admin/sign-in"), "{tag}");
        b.fill("#f-email", "owner@shop.ir").await;
        b.fill("#f-password", "wrong password").await;
        b.submit("button[type=submit]").await;
        assert!(b.text("p.notice").await.contains("گذرواژه"), "{tag}: the error shows");
        b.fill("#f-password", PASSWORD).await;
        b.submit("button[type=submit]").await;
        assert_eq!(b.path().await, "/admin/customers", "{tag}");

        // The dashboard: figures and charts drawn from the data.
        b.goto(&format!("{}/admin?period=year", app.base)).await;
        assert_eq!(b.text("h1").await, "داشبورد");
        let dots = b.eval("return document.querySelectorAll('#sales svg circle').length").await;
        assert!(dots.as_i64().unwrap() >= 1, "{tag}: the sales line has points");
        let slices = b.eval("return document.querySelectorAll('#tiers svg .slice').length").await;
        assert!(slices.as_i64().unwrap() >= 2, "{tag}: customers per tier");
        assert!(b.text("#top table").await.contains("تومان"), "{tag}: top customers with amounts");
        b.screenshot(&format!("dashboard-fa-{tag}")).await;

        // Find the best customer by mobile and open the profile.
        let mobile = b.eval("return document.querySelector('#top tbody tr td:nth-child(2)').textContent").await;
        let mobile = philia_domain::digits::ascii_digits(mobile.as_str().unwrap());
        b.goto(&format!("{}/admin/customers", app.base)).await;
        b.fill("#f-q", &mobile).await;
        b.submit("form[role=search] button").await;
        let rows = b.eval("return document.querySelectorAll('#customers tbody tr').length").await;
        assert_eq!(rows.as_i64(), Some(1), "{tag}: the mobile finds one customer");
        b.submit("#customers tbody a").await;
        assert!(b.path().await.starts_with("/admin/customers/"));
        assert!(b.text("#points").await.contains("امتیاز"), "{tag}");
        assert!(b.text("#timeline").await.contains("خرید"), "{tag}: purchases on the timeline");

        // A note that mentions a colleague, and a points adjustment with a reason.
        b.fill("#f-body", "برای جشنواره با @sara هماهنگ شود").await;
        b.submit("#notes button").await;
        assert!(b.text("#timeline").await.contains("با @sara هماهنگ شود"), "{tag}: the note is on the timeline");
        let before = b.text("#points tbody tr td.num").await;
        b.fill("#f-points", "-1").await;
        b.fill("#f-reason", "").await;
        b.submit("#adjust button").await;
        assert!(b.text("#adjust .field.invalid .error").await.len() > 3, "{tag}: the reason is required, beside its field");
        assert_eq!(b.eval("return document.querySelector('#f-points').value").await, "-1", "what was typed is kept");
        b.fill("#f-points", "250").await;
        b.fill("#f-reason", "جبران تأخیر ارسال").await;
        b.submit("#adjust button").await;
        assert_ne!(b.text("#points tbody tr td.num").await, before, "{tag}: the balance changed");
        b.screenshot(&format!("profile-fa-{tag}")).await;
        let profile = b.path().await;

        // English, switched once and kept.
        b.submit("form.lang button").await;
        assert_eq!(b.eval("return document.documentElement.dir").await, "ltr");
        assert!(b.text("#points h2").await.contains("Points"), "{tag}");
        b.screenshot(&format!("profile-en-{tag}")).await;
        b.goto(&format!("{}/admin?period=year", app.base)).await;
        assert_eq!(b.text("h1").await, "Dashboard");
        b.screenshot(&format!("dashboard-en-{tag}")).await;

        // A 360-pixel phone: nothing runs off the side.
        b.resize(360, 800).await;
        for path in ["/admin?period=year", profile.as_str(), "/admin/customers"] {
            b.goto(&format!("{}{path}", app.base)).await;
            let fits = b.eval("return document.documentElement.scrollWidth <= window.innerWidth + 1").await;
            assert_eq!(fits, true, "{tag}: {path} fits a phone");
        }
        b.screenshot(&format!("customers-phone-{tag}")).await;

        // The colleague mentioned finds it in their inbox.
        b.resize(1280, 1600).await;
        b.submit("header form[action='/admin/sign-out'] button").await;
        assert!(b.path().await.starts_with("/admin/sign-in"));
        b.fill("#f-email", "sara@shop.ir").await;
        b.fill("#f-password", PASSWORD).await;
        b.submit("button[type=submit]").await;
        b.goto(&format!("{}/admin/inbox", app.base)).await;
        assert!(b.text("#inbox").await.contains("نگار مدیر") || b.text("#inbox").await.contains("owner"), "{tag}");
        b.submit("#inbox form button").await;
        assert_eq!(b.eval("return document.querySelectorAll('#inbox li.unread').length").await, 0);
        b.submit("header form[action='/admin/sign-out'] button").await;
        b.goto(&format!("{}/admin", app.base)).await;
        assert!(b.path().await.starts_with("/admin/sign-in"), "{tag}: signed out");
        b.quit().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn a_marketer_builds_a_segment_without_json_and_exports_it() {
    for app in common::apps().await {
        let demo = Demo::new(DemoSpec { customers: 150, invoices: 1000, seed: 5, end: jiff::Zoned::now().date() });
        app.engine.load_demo(&app.ctx, &demo, &mut |_, _, _| {}).await.unwrap();
        app.engine.create_staff(&app.ctx, "sara@shop.ir", "سارا", "marketer", PASSWORD).await.unwrap();
        let b = Browser::start(1280, 1600).await;
        let tag = app.backend;
        b.sign_in(&app.base, Some("en"), "sara@shop.ir", PASSWORD).await;

        b.goto(&format!("{}/admin/segments/new", app.base)).await;
        assert_eq!(
            b.eval("return document.querySelector('#f-rule').hidden").await,
            true,
            "{tag}: the builder replaces the JSON box"
        );
        b.fill("#f-name", "Big spenders in Tehran").await;
        b.fill("#f-code", "big_tehran").await;
        // spend at least 1,000,000 and city is Tehran
        b.click(".builder fieldset.group > .actions button:first-child").await;
        b.select(".builder .test:nth-of-type(1) select", "spend").await;
        b.fill(".builder .test:nth-of-type(1) .value input", "1000000").await;
        b.click(".builder fieldset.group > .actions button:first-child").await;
        b.select(".builder .test:nth-of-type(2) select", "city").await;
        b.fill(".builder .test:nth-of-type(2) .value input", "تهران").await;
        let rule: serde_json::Value =
            serde_json::from_str(b.eval("return document.querySelector('#f-rule').value").await.as_str().unwrap()).unwrap();
        assert_eq!(
            rule,
            serde_json::json!({"all": [{"field": "spend", "op": "gte", "value": 1000000}, {"field": "city", "op": "eq", "value": "تهران"}]}),
            "{tag}"
        );
        let expected = app.post("/api/v1/segments/preview", serde_json::json!({"rule": rule})).await;
        let expected = expected.body["count"].as_i64().unwrap_or_else(|| panic!("{}", expected.body));
        assert!(expected > 0, "{tag}: the demo has big spenders in Tehran");
        // The count follows the rule as it is edited (each change asks again after a pause), so
        // earlier answers may show first: wait for the answer to the finished rule.
        let mut live = String::new();
        for _ in 0..100 {
            live = philia_domain::digits::ascii_digits(&b.text("[data-count]").await).replace(',', "");
            if live.ends_with(&format!(" {expected}")) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(live.ends_with(&format!(" {expected}")), "{tag}: live count {live} = {expected}");
        b.submit("#segment button[type=submit]").await;
        assert_eq!(b.path().await, "/admin/segments/big_tehran?saved=1", "{tag}");
        assert_eq!(philia_domain::digits::ascii_digits(&b.text("#members").await).replace(',', ""), expected.to_string());

        let csv = b
            .eval_async(
                "const done = arguments[0]; fetch('/admin/segments/big_tehran/export?format=csv').then(r => r.text()).then(done)",
            )
            .await;
        let csv = csv.as_str().unwrap();
        assert!(csv.starts_with("customer_id,external_ids,mobile"), "{tag}: {csv}");
        assert_eq!(csv.lines().count() as i64, expected + 1, "{tag}: one line per member");
        let xlsx = b
            .eval_async("const done = arguments[0]; fetch('/admin/segments/big_tehran/export?format=xlsx').then(r => r.arrayBuffer()).then(a => done(new Uint8Array(a)[0] === 0x50 && new Uint8Array(a)[1] === 0x4b))")
            .await;
        assert_eq!(xlsx, true, "{tag}: an Excel workbook (a zip file)");
        b.screenshot(&format!("segment-en-{tag}")).await;

        // An event count narrowed by the events' properties, built without JSON, kept on saving
        // and shown again by the builder on the segment's page.
        b.goto(&format!("{}/admin/segments/new", app.base)).await;
        b.fill("#f-name", "Instagram sharers").await;
        b.fill("#f-code", "insta").await;
        b.click(".builder fieldset.group > .actions button:first-child").await;
        b.select(".builder .test select", "__other").await;
        b.fill(".builder .test input[placeholder='events.review.count']", "events.content_shared.last_30_days").await;
        b.fill(".builder .test .value input", "2").await;
        b.click(".builder .test .where button").await;
        b.click(".builder .test .where fieldset.group > .actions button:first-child").await;
        b.select(".builder .where .test select", "__other").await;
        b.fill(".builder .where .test input[placeholder='properties.name']", "properties.network").await;
        b.fill(".builder .where .test .value input", "instagram").await;
        let wanted = serde_json::json!({"all": [{"field": "events.content_shared.last_30_days", "op": "gte", "value": 2,
            "where": {"all": [{"field": "properties.network", "op": "eq", "value": "instagram"}]}}]});
        let rule: serde_json::Value =
            serde_json::from_str(b.eval("return document.querySelector('#f-rule').value").await.as_str().unwrap()).unwrap();
        assert_eq!(rule, wanted, "{tag}");
        b.submit("#segment button[type=submit]").await;
        assert_eq!(b.path().await, "/admin/segments/insta?saved=1", "{tag}");
        let stored = app.get("/api/v1/segments/insta").await.body;
        assert_eq!(stored["rule"], wanted, "{tag}: {stored}");
        let shown: serde_json::Value =
            serde_json::from_str(b.eval("return document.querySelector('#f-rule').value").await.as_str().unwrap()).unwrap();
        assert_eq!(shown, wanted, "{tag}: the builder keeps the filter when it shows the rule again");
        assert_eq!(b.eval("return document.querySelectorAll('.builder .where .test').length").await, 1, "{tag}");
        b.quit().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn an_owner_adds_a_tier_and_an_earning_rule_and_tries_it() {
    for app in common::apps().await {
        app.engine.create_staff(&app.ctx, "owner@shop.ir", "نگار مدیر", "owner", PASSWORD).await.unwrap();
        let b = Browser::start(1280, 1600).await;
        let tag = app.backend;
        b.sign_in(&app.base, None, "owner@shop.ir", PASSWORD).await;

        // A fourth tier in the first spare row of the ladder.
        b.goto(&format!("{}/admin/programme", app.base)).await;
        let rows = b.eval("return document.querySelectorAll('#tier-rows tbody tr').length").await.as_i64().unwrap();
        let filled = b
            .eval("return [...document.querySelectorAll('#tier-rows input[name$=\".code\"]')].filter(i => i.value).length")
            .await;
        let i = filled.as_i64().unwrap();
        assert!(i < rows, "{tag}: a spare row is offered");
        b.fill(&format!("input[name='tiers[{i}].code']"), "diamond").await;
        b.fill(&format!("input[name='tiers[{i}].name']"), "الماسی").await;
        b.fill(&format!("input[name='tiers[{i}].threshold']"), "۵۰۰۰").await;
        b.fill(&format!("input[name='tiers[{i}].earn_multiplier']"), "2").await;
        b.submit("#tiers button[type=submit]").await;
        assert!(b.path().await.starts_with("/admin/programme?saved=1"), "{tag}");
        let tiers = app.get("/api/v1/tiers").await.body;
        let last = tiers["tiers"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["code"].as_str(), last["threshold"].as_i64()), (Some("diamond"), Some(5000)), "{tag}: {tiers}");

        // An earning rule for café purchases, its condition picked from lists.
        b.goto(&format!("{}/admin/programme/rules", app.base)).await;
        b.fill("#f-name", "قهوه دوبل").await;
        b.fill("#f-points", "2").await;
        b.fill("#f-per_amount", "10000").await;
        b.click("#new-rule .builder fieldset.group > .actions button:first-child").await;
        b.select("#new-rule .builder .test select", "invoice.categories").await;
        b.fill("#new-rule .builder .test .value input", "coffee").await;
        b.submit("#new-rule button[type=submit]").await;
        assert_eq!(b.path().await, "/admin/programme/rules?saved=1", "{tag}");
        let rules = app.get("/api/v1/earning-rules").await.body;
        let rule = rules.as_array().unwrap().iter().find(|r| r["rule"]["name"] == "قهوه دوبل").cloned().unwrap();
        assert_eq!(
            rule["rule"]["condition"],
            serde_json::json!({"all": [{"field": "invoice.categories", "op": "contains", "value": "coffee"}]})
        );

        // The dry run: a café invoice of 120,000 earns 24 by this rule.
        let invoice = serde_json::json!({"external_id": "dry-1", "issued_at": jiff::Timestamp::now().to_string(),
            "customer": {"mobile": "09121112233"},
            "lines": [{"sku": "ESP", "category": "coffee", "quantity": 2, "unit_price": 60000}]});
        b.fill("#f-invoice", &invoice.to_string()).await;
        b.submit("#dry-run button[type=submit]").await;
        let result = b.text("#dry-run-result").await;
        assert!(result.contains("قهوه دوبل") && result.contains("۲۴"), "{tag}: {result}");
        b.screenshot(&format!("rules-fa-{tag}")).await;
        b.quit().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn an_owner_connects_sms_and_sends_a_campaign_to_a_segment() {
    for app in common::apps().await {
        let sms = common::providers::start().await;
        app.engine.create_staff(&app.ctx, "owner@shop.ir", "نگار مدیر", "owner", PASSWORD).await.unwrap();
        for i in 0..12 {
            let city = if i < 8 { "تهران" } else { "شیراز" };
            let r = app
                .post(
                    "/api/v1/customers",
                    serde_json::json!({"mobile": format!("0912{:07}", 2_000_000 + i), "first_name": "مینا", "city": city}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        app.post("/api/v1/segments", serde_json::json!({"code": "tehran", "name": "تهرانی‌ها", "rule": {"all": [{"field": "city", "op": "eq", "value": "تهران"}]}})).await;
        app.post(
            "/api/v1/message-templates",
            serde_json::json!({"code": "nowruz", "name": "نوروز", "channel": "sms", "purpose": "marketing",
                               "versions": {"fa": {"body": "{{ customer.first_name }} عزیز، نوروز مبارک!"}}}),
        )
        .await;
        let b = Browser::start(1280, 1600).await;
        let tag = app.backend;
        b.sign_in(&app.base, None, "owner@shop.ir", PASSWORD).await;

        // The SMS provider (a local server speaking Kavenegar's wire format) and no quiet hours.
        b.goto(&format!("{}/admin/messaging", app.base)).await;
        b.select("#sms select[name=provider]", "kavenegar").await;
        b.fill("#sms input[name=api_key]", "kv-test-key").await;
        b.fill("#sms input[name=sender]", "10004346").await;
        b.fill("#sms input[name=base_url]", &sms.base).await;
        b.submit("#sms button[type=submit]").await;
        assert!(b.text("#sms .current").await.contains("kavenegar"), "{tag}");
        assert!(
            !b.eval("return document.body.innerHTML").await.as_str().unwrap().contains("kv-test-key"),
            "{tag}: the key is never shown"
        );
        b.fill("#f-quiet_start", "").await;
        b.fill("#f-quiet_end", "").await;
        b.submit("#delivery-rules button[type=submit]").await;

        // A campaign to the Tehran segment with a 25 % hold-out, sent now.
        b.goto(&format!("{}/admin/campaigns", app.base)).await;
        b.fill("#f-name", "نوروز تهران").await;
        b.fill("#f-code", "nowruz_tehran").await;
        b.select("#f-template", "nowruz").await;
        b.select("#f-audience", "segment:tehran").await;
        b.fill("#f-holdout_percent", "25").await;
        b.submit("#new-campaign button[type=submit]").await;
        assert_eq!(b.path().await, "/admin/campaigns/nowruz_tehran?saved=1", "{tag}");
        b.submit("#send").await;
        // The worker's round: the outbox goes to the provider.
        let round = app.engine.deliver_due(philia_engine::now_ms(), 100).await.unwrap();
        let sent = sms.sent("kavenegar");
        assert_eq!(round.sent as usize, sent.len(), "{tag}");
        // The hold-out is drawn per customer (a fixed random share): the two groups make the eight.
        let report = app.get("/api/v1/campaigns/nowruz_tehran/report").await.body;
        let (got, held) = (report["sent"]["members"].as_i64().unwrap(), report["held_out"]["members"].as_i64().unwrap());
        assert_eq!((got + held, got as usize), (8, sent.len()), "{tag}: {report}");
        assert!(sent.iter().all(|m| m.fields["message"].contains("نوروز مبارک") && m.fields["sender"] == "10004346"));
        b.goto(&format!("{}/admin/campaigns/nowruz_tehran", app.base)).await;
        assert_eq!(b.text("#status").await, "ارسال‌شده", "{tag}");
        let persian = |n: i64| philia_domain::digits::persian_digits(&n.to_string());
        assert!(
            b.text("#messages").await.contains(&format!("ارسال‌شده: {}", persian(got))),
            "{tag}: {}",
            b.text("#messages").await
        );
        let results = b.text("#results tbody").await;
        assert!(results.contains(&persian(got)) && results.contains(&persian(held)), "{tag}: both groups counted: {results}");
        b.screenshot(&format!("campaign-fa-{tag}")).await;
        b.quit().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn a_marketer_creates_a_wheel_with_better_odds_for_gold() {
    for app in common::apps().await {
        app.engine.create_staff(&app.ctx, "sara@shop.ir", "سارا", "marketer", PASSWORD).await.unwrap();
        let b = Browser::start(1280, 1600).await;
        let tag = app.backend;
        b.sign_in(&app.base, Some("en"), "sara@shop.ir", PASSWORD).await;

        b.goto(&format!("{}/admin/games", app.base)).await;
        b.fill("#f-name", "Yalda wheel").await;
        b.fill("#f-code", "yalda_wheel").await;
        b.fill("#f-plays_per_day", "3").await;
        let row = |i: usize, k: &str| format!("#prize-rows [name='prizes[{i}].{k}']");
        // 100 points (weight 10, gold 40), one more spin (20), nothing (70).
        for (i, code, label, kind, amount, reference, weight, tiers) in [
            (0, "p100", "۱۰۰ امتیاز", "points", "100", "purchase", "10", "gold:40"),
            (1, "again", "Try again", "nothing", "", "", "70", ""),
            (2, "spin", "One more spin", "spins", "1", "", "20", ""),
        ] {
            b.fill(&row(i, "code"), code).await;
            b.fill(&row(i, "label"), label).await;
            b.select(&row(i, "kind"), kind).await;
            b.fill(&row(i, "amount"), amount).await;
            b.fill(&row(i, "ref"), reference).await;
            b.fill(&row(i, "weight"), weight).await;
            b.fill(&row(i, "tier_weights"), tiers).await;
        }
        b.fill(&row(2, "weight"), "-5").await;
        b.submit("#new-game button[type=submit]").await;
        assert_eq!(b.eval("return document.querySelectorAll('#prize-rows td.invalid').length").await, 1, "{tag}");
        assert_eq!(
            b.text("#prize-rows td.invalid .error").await,
            "must be 0 or more",
            "{tag}: the bad weight is named in its row"
        );
        assert_eq!(
            b.eval("return document.querySelector(\"[name='prizes[0].tier_weights']\").value").await,
            "gold:40",
            "{tag}: rows kept"
        );
        b.fill(&row(2, "weight"), "20").await;
        b.submit("#new-game button[type=submit]").await;
        assert_eq!(b.path().await, "/admin/games/yalda_wheel?saved=1", "{tag}");

        // The odds as the draw computes them: 10 % without a tier, 40/130 for gold.
        let odds = b.text("#odds").await;
        assert!(odds.contains("10%") && odds.contains("30.8%"), "{tag}: {odds}");
        let game = app.get("/api/v1/games/yalda_wheel").await.body;
        assert_eq!(game["prizes"][0]["tier_weights"], serde_json::json!({"gold": 40}), "{tag}: {game}");
        assert_eq!(game["plays_per_day"], 3);
        b.screenshot(&format!("game-en-{tag}")).await;
        b.quit().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn forms_show_the_details_of_the_chosen_kind_only() {
    for app in common::apps().await {
        app.engine.create_staff(&app.ctx, "owner@shop.ir", "نگار", "owner", PASSWORD).await.unwrap();
        let b = Browser::start(390, 1400).await;
        let tag = app.backend;
        b.sign_in(&app.base, Some("en"), "owner@shop.ir", PASSWORD).await;
        let shown = |css: &str| format!("return getComputedStyle(document.querySelector(\"{css}\")).display !== 'none'");

        // A reward: the discount's details first; a wallet credit asks for its amount instead.
        b.goto(&format!("{}/admin/rewards", app.base)).await;
        assert_eq!(b.eval(&shown("fieldset[data-kind=discount_code]")).await, true, "{tag}");
        assert_eq!(b.eval(&shown("fieldset[data-kind=wallet_credit]")).await, false, "{tag}");
        b.select("#f-kind", "wallet_credit").await;
        assert_eq!(b.eval(&shown("fieldset[data-kind=wallet_credit]")).await, true, "{tag}");
        assert_eq!(b.eval(&shown("fieldset[data-kind=discount_code]")).await, false, "{tag}");
        b.fill("#reward-form #f-name", "Wallet 30k").await;
        b.fill("#reward-form #f-code", "wallet30").await;
        b.fill("#reward-form #f-cost", "300").await;
        b.fill("#reward-form #f-amount", "30000").await;
        b.submit("#reward-form button[type=submit]").await;
        assert_eq!(b.path().await, "/admin/rewards?saved=1", "{tag}");
        assert_eq!(app.get("/api/v1/rewards/wallet30").await.body["amount"], 30000, "{tag}");

        // An automation: the trigger's own field, and each action row its action's fields.
        b.goto(&format!("{}/admin/automations/new", app.base)).await;
        assert_eq!(b.eval(&shown(".t-inactive")).await, false, "{tag}");
        b.select("#f-trigger", "inactive").await;
        assert_eq!(b.eval(&shown(".t-inactive")).await, true, "{tag}");
        b.select("[name='actions[0].kind']", "points").await;
        assert_eq!(b.eval(&shown(".action-row .a-points")).await, true, "{tag}");
        assert_eq!(b.eval(&shown(".action-row .a-tag")).await, false, "{tag}");
        b.fill("#automation-form #f-name", "Win back").await;
        b.fill("#automation-form #f-code", "win_back").await;
        b.fill("[name='trigger.days']", "45").await;
        b.fill("[name='actions[0].points']", "100").await;
        b.submit("#automation-form button[type=submit]").await;
        assert_eq!(b.path().await, "/admin/automations/win_back?saved=1", "{tag}");
        let a = app.get("/api/v1/automations/win_back").await.body;
        assert_eq!(a["trigger"], serde_json::json!({"kind": "inactive", "days": 45}), "{tag}: {a}");
        assert_eq!(a["conditions"], serde_json::Value::Null, "{tag}: the builder's empty group is no condition");
        b.screenshot(&format!("automation-en-{tag}")).await;
        b.quit().await;
        app.finish().await;
    }
}
