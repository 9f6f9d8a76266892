//! Automations: invoice, event, sign-up, inactivity and birthday triggers; conditions checked
//! after the delay; messages, points, codes and tags as actions; at most once per occurrence;
//! pausing — on both databases.

mod common;

use philia_engine::fact_horizon::SETTLE_MS;
use philia_engine::now_ms;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn runs(app: &common::TestApp, code: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/automations/{code}/runs")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

async fn points(app: &common::TestApp, customer: i64) -> i64 {
    let r = app.get(&format!("/api/v1/customers/{customer}/points")).await;
    r.body.as_array().unwrap().iter().filter(|b| b["point_type"] == "purchase").map(|b| b["balance"].as_i64().unwrap()).sum()
}

async fn setup(app: &common::TestApp) {
    assert_eq!(app.put("/api/v1/delivery-rules", json!({})).await.status, StatusCode::OK);
    for t in ["purchase_thanks", "win_back", "welcome", "birthday"] {
        let r = app.post(&format!("/api/v1/message-template-library/{t}/enable"), json!({})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = app
        .post(
            "/api/v1/promotions",
            json!({"code": "survey-gift", "name": "هدیه", "discount": "percent", "value": 10, "uses_per_code": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn invoices_and_events_trigger_actions_once_when_conditions_hold() {
    for app in common::apps().await {
        setup(&app).await;
        // An invoice from before the automation existed never triggers it.
        let early = app.post("/api/v1/invoices", common::invoice("early", "2026-01-01T10:00:00Z", "09121111111", 300_000)).await;
        assert_eq!(early.status, StatusCode::CREATED, "{}", early.body);
        let bad = app
            .post(
                "/api/v1/automations",
                json!({"code": "x", "name": "x", "trigger": {"kind": "invoice"}, "actions": [{"kind": "send", "template": "nope"}]}),
            )
            .await;
        assert_eq!(bad.body["errors"][0]["field"], "actions[0].template", "{}", bad.body);
        let r = app
            .post(
                "/api/v1/automations",
                json!({"code": "big_spender", "name": "Big spender bonus", "trigger": {"kind": "invoice"},
                       "conditions": {"field": "spend", "op": "gte", "value": 200000},
                       "actions": [{"kind": "points", "point_type": "purchase", "points": 50}, {"kind": "send", "template": "purchase_thanks"}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let big = app.post("/api/v1/invoices", common::invoice("a1", "2026-11-01T10:00:00Z", "09121111111", 250_000)).await;
        let big_id = big.body["customer_id"].as_i64().unwrap();
        let small = app.post("/api/v1/invoices", common::invoice("a2", "2026-11-01T10:00:00Z", "09122222222", 50_000)).await;
        let small_id = small.body["customer_id"].as_i64().unwrap();
        let before = points(&app, big_id).await;

        let round = app.engine.automation_round(now_ms()).await.unwrap();
        assert_eq!((round.queued, round.done, round.skipped), (2, 1, 1), "{}", app.backend);
        let rs = runs(&app, "big_spender").await;
        let by_customer = |c: i64| rs.iter().find(|r| r["customer_id"] == c).unwrap().clone();
        assert_eq!(by_customer(big_id)["status"], "done");
        assert_eq!(by_customer(small_id)["status"], "skipped");
        assert_eq!(points(&app, big_id).await, before + 50);
        let log = app.get(&format!("/api/v1/customers/{big_id}/messages")).await.body;
        assert_eq!(log.as_array().unwrap().len(), 1);
        assert!(log[0]["source"].as_str().unwrap().starts_with("automation:"));
        // The same facts read again (within the settling window, and later) start nothing new.
        assert_eq!(app.engine.automation_round(now_ms()).await.unwrap(), Default::default());
        assert_eq!(app.engine.automation_round(now_ms() + SETTLE_MS + 1000).await.unwrap().queued, 0);
        assert_eq!(points(&app, big_id).await, before + 50);

        // A custom event: a code issued for the customer, shown in the message; a tag added.
        let r = app
            .post(
                "/api/v1/automations",
                json!({"code": "survey_thanks", "name": "Survey thanks", "trigger": {"kind": "event", "event_type": "survey_completed"},
                       "actions": [{"kind": "code", "promotion": "survey-gift", "valid_days": 7},
                                   {"kind": "send", "template": "win_back"},
                                   {"kind": "tag", "add": ["Surveyed"]}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let e =
            app.post("/api/v1/events", json!({"event_id": "s1", "type": "survey_completed", "customer": {"id": small_id}})).await;
        assert!(e.status.is_success(), "{}", e.body);
        app.post("/api/v1/events", json!({"event_id": "s2", "type": "page_view", "customer": {"id": small_id}})).await;
        let round = app.engine.automation_round(now_ms()).await.unwrap();
        assert_eq!((round.queued, round.done), (1, 1), "{:?}", round);
        let run = &runs(&app, "survey_thanks").await[0];
        let code = run["result"]["actions"][0]["code"].as_str().unwrap().to_string();
        let log = app.get(&format!("/api/v1/customers/{small_id}/messages")).await.body;
        assert!(log[0]["body"].as_str().unwrap().contains(&code), "{log}");
        let customer = app.get(&format!("/api/v1/customers/{small_id}")).await.body;
        assert!(customer["tags"].as_array().unwrap().contains(&json!("surveyed")), "{customer}");

        // Redeeming a reward raises `reward_redeemed`, which a confirmation can follow.
        app.post("/api/v1/message-template-library/reward_redeemed/enable", json!({})).await;
        let r = app
            .post(
                "/api/v1/automations",
                json!({"code": "redeemed", "name": "Redeemed", "trigger": {"kind": "event", "event_type": "reward_redeemed"},
                       "actions": [{"kind": "send", "template": "reward_redeemed"}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let reward = json!({"code": "credit", "name": "اعتبار هدیه", "kind": "wallet_credit", "amount": 1000, "point_type": "purchase", "cost": 10});
        assert_eq!(app.post("/api/v1/rewards", reward).await.status, StatusCode::CREATED);
        let r = app.post(&format!("/api/v1/customers/{big_id}/rewards/credit/redeem"), json!({"idempotency_key": "r1"})).await;
        assert!(r.status.is_success(), "{}", r.body);
        assert_eq!(app.engine.automation_round(now_ms()).await.unwrap().done, 1);
        let log = app.get(&format!("/api/v1/customers/{big_id}/messages")).await.body;
        assert!(log[0]["body"].as_str().unwrap().contains("اعتبار هدیه"), "{log}");
        app.finish().await;
    }
}

#[tokio::test]
async fn delays_pauses_inactivity_and_birthdays() {
    for app in common::apps().await {
        setup(&app).await;
        let r = app
            .post(
                "/api/v1/automations",
                json!({"code": "welcome", "name": "Welcome", "trigger": {"kind": "signup"}, "delay_minutes": 60,
                       "actions": [{"kind": "send", "template": "welcome"}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let c = app.post("/api/v1/customers", json!({"mobile": "09123333333", "first_name": "نرگس"})).await;
        let id = c.body["customer"]["id"].as_i64().unwrap();
        let now = now_ms();
        let round = app.engine.automation_round(now).await.unwrap();
        assert_eq!((round.queued, round.done), (1, 0));
        assert_eq!(runs(&app, "welcome").await[0]["status"], "queued");
        // Paused: nothing new starts and what waits stays waiting.
        let mut body = r.body.clone();
        for k in ["id", "created_at"] {
            body.as_object_mut().unwrap().remove(k);
        }
        body["paused"] = true.into();
        assert_eq!(app.put("/api/v1/automations/welcome", body.clone()).await.status, StatusCode::OK);
        app.post("/api/v1/customers", json!({"mobile": "09124444444"})).await;
        let round = app.engine.automation_round(now + 61 * 60_000).await.unwrap();
        assert_eq!((round.queued, round.done), (0, 0));
        body["paused"] = false.into();
        app.put("/api/v1/automations/welcome", body).await;
        // Resumed: the waiting run goes; the sign-up during the pause starts nothing.
        let round = app.engine.automation_round(now + 61 * 60_000).await.unwrap();
        assert_eq!((round.queued, round.done), (0, 1), "{round:?}");
        assert_eq!(runs(&app, "welcome").await.len(), 1);
        let log = app.get(&format!("/api/v1/customers/{id}/messages")).await.body;
        assert!(log[0]["body"].as_str().unwrap().contains("نرگس"), "{log}");

        // Thirty days since the last purchase, and three days before a birthday.
        let zone = jiff::tz::TimeZone::get("Asia/Tehran").unwrap();
        let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
        let thirty_ago =
            today.checked_sub(jiff::Span::new().days(30)).unwrap().at(12, 0, 0, 0).to_zoned(zone).unwrap().timestamp();
        let lapsed = app.post("/api/v1/invoices", common::invoice("old", &thirty_ago.to_string(), "09125555555", 100_000)).await;
        let lapsed_id = lapsed.body["customer_id"].as_i64().unwrap();
        app.post("/api/v1/invoices", common::invoice("recent", &jiff::Timestamp::now().to_string(), "09126666666", 100_000))
            .await;
        let soon = today.checked_add(jiff::Span::new().days(3)).unwrap();
        let born = app
            .post(
                "/api/v1/customers",
                json!({"mobile": "09127777777", "birth_date": format!("1995-{:02}-{:02}", soon.month(), soon.day())}),
            )
            .await;
        let born_id = born.body["customer"]["id"].as_i64().unwrap();
        for (code, trigger, template) in [
            ("lapsed", json!({"kind": "inactive", "days": 30}), "win_back"),
            ("birthday", json!({"kind": "birthday", "days_before": 3}), "birthday"),
        ] {
            let r = app
                .post(
                    "/api/v1/automations",
                    json!({"code": code, "name": code, "trigger": trigger, "actions": [{"kind": "send", "template": template}]}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        app.engine.automation_round(now_ms()).await.unwrap();
        let lapsed_runs = runs(&app, "lapsed").await;
        assert_eq!(lapsed_runs.len(), 1, "{lapsed_runs:?}");
        assert_eq!(lapsed_runs[0]["customer_id"], lapsed_id);
        let birthday_runs = runs(&app, "birthday").await;
        assert_eq!(birthday_runs.len(), 1, "{birthday_runs:?}");
        assert_eq!(birthday_runs[0]["customer_id"], born_id);
        assert_eq!(birthday_runs[0]["occurrence"], format!("birthday:{}", soon.year()));
        // Daily triggers look once a day.
        assert_eq!(app.engine.automation_round(now_ms()).await.unwrap().queued, 0);
        app.finish().await;
    }
}

/// PostgreSQL draws ids outside any lock, so a fact whose transaction stays open can become
/// visible behind facts already read. The reader's position waits for open transactions, so such
/// a fact still starts its run — even when the transaction commits long after the settling window.
#[tokio::test]
async fn a_fact_committed_late_still_starts_its_run() {
    for app in common::apps().await {
        if app.backend != "postgres" {
            // SQLite's writers hold the one write lock from drawing ids to commit: facts appear in
            // id order and there is no late fact to miss.
            app.finish().await;
            continue;
        }
        let r = app
            .post(
                "/api/v1/automations",
                json!({"code": "checked_in", "name": "Checked in", "trigger": {"kind": "event", "event_type": "check_in"},
                       "actions": [{"kind": "tag", "add": ["visitor"]}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let late = app.post("/api/v1/customers", json!({"mobile": "09121110001"})).await.body["customer"]["id"].as_i64().unwrap();
        let early =
            app.post("/api/v1/customers", json!({"mobile": "09121110002"})).await.body["customer"]["id"].as_i64().unwrap();

        // A writer draws its fact's id and keeps its transaction open...
        let store = &app.engine.store;
        let mut open = store.begin_write().await.unwrap();
        let id = store.allocate_ids(&mut open, 1).await.unwrap()[0];
        let at = now_ms();
        let row = philia_store::events::EventRow {
            id,
            event_key: Some("late-1".into()),
            customer_id: Some(late),
            event_type: "check_in".into(),
            source: "api".into(),
            occurred_at: at,
            day: "2026-12-03".into(),
            properties: "{}".into(),
            created_at: at,
        };
        store.insert_events(&mut open, app.ctx.id, vec![row]).await.unwrap();
        // ...while a later fact commits, and the reader runs as if ten minutes had passed.
        let e = app.post("/api/v1/events", json!({"event_id": "early-1", "type": "check_in", "customer": {"id": early}})).await;
        assert!(e.status.is_success(), "{}", e.body);
        let round = app.engine.automation_round(now_ms() + 10 * 60_000).await.unwrap();
        assert_eq!(round.queued, 1, "the committed fact starts its run");
        philia_store::commit(open).await.unwrap();

        let round = app.engine.automation_round(now_ms() + 10 * 60_000).await.unwrap();
        assert_eq!(round.queued, 1, "the fact committed late starts its run too");
        let tagged = runs(&app, "checked_in").await.iter().map(|r| r["customer_id"].as_i64().unwrap()).collect::<Vec<_>>();
        assert_eq!(tagged.len(), 2);
        assert!(tagged.contains(&late) && tagged.contains(&early), "{tagged:?}");
        // Once nothing is open, the position passes both and nothing is queued again.
        assert_eq!(app.engine.automation_round(now_ms() + 10 * 60_000).await.unwrap().queued, 0);
        app.finish().await;
    }
}
