//! Missions and journeys through the API: facts advance progress once (a replayed invoice or
//! event does not), steps count in order, opt-in and backdated facts, deadlines, targeting,
//! templates, rewards, the funnel, and exactness under concurrent purchases — on every backend.

mod common;

use common::TestApp;
use serde_json::{Value, json};

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn ago(hours: i64) -> String {
    (now() - jiff::SignedDuration::from_hours(hours)).to_string()
}

async fn create(app: &TestApp, body: Value) {
    let r = app.post("/api/v1/missions", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

async fn buy(app: &TestApp, id: &str, mobile: &str, amount: i64, at: &str) -> i64 {
    let r = app.post("/api/v1/invoices", common::invoice(id, at, mobile, amount)).await;
    assert!(r.status.is_success(), "{}", r.body);
    r.body["customer_id"].as_i64().unwrap()
}

async fn event(app: &TestApp, id: &str, mobile: &str, kind: &str, props: Value) {
    let r = app
        .post("/api/v1/events", json!({"event_id": id, "type": kind, "occurred_at": now().to_string(), "customer": {"mobile": mobile}, "properties": props}))
        .await;
    assert!(r.status.is_success(), "{}", r.body);
}

async fn mine(app: &TestApp, c: i64, code: &str) -> Value {
    let list = app.get(&format!("/api/v1/customers/{c}/missions")).await.body;
    list.as_array().unwrap().iter().find(|m| m["code"] == code).cloned().unwrap_or(Value::Null)
}

async fn balance(app: &TestApp, c: i64) -> i64 {
    app.get(&format!("/api/v1/customers/{c}/points")).await.body[0]["balance"].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn a_purchase_mission_counts_each_invoice_once_and_rewards_once() {
    for app in common::apps().await {
        create(
            &app,
            json!({"code": "three", "name": "سه خرید", "goal": {"fact": "invoice", "target": 3, "label": "سه خرید"},
            "reward": {"point_type": "purchase", "points": 100}}),
        )
        .await;
        let m = "09127770001";
        let old = buy(&app, "i0", m, 1000, &ago(1)).await;
        assert_eq!(
            mine(&app, old, "three").await["status"],
            "available",
            "a purchase from before the mission existed does not count"
        );
        let at = now().to_string();
        let c = buy(&app, "i1", m, 1000, &at).await;
        let before = balance(&app, c).await;
        let replay = app.post("/api/v1/invoices", common::invoice("i1", &at, m, 1000)).await;
        assert_eq!(replay.status, 200, "{}", replay.body);
        let p = mine(&app, c, "three").await;
        assert_eq!(
            (p["status"].as_str(), p["current"].as_i64(), p["target"].as_i64()),
            (Some("in_progress"), Some(1), Some(3)),
            "{p}"
        );
        assert_eq!(p["step_label"], "سه خرید");
        buy(&app, "i2", m, 1000, &now().to_string()).await;
        buy(&app, "i3", m, 1000, &now().to_string()).await;
        buy(&app, "i4", m, 1000, &now().to_string()).await;
        let p = mine(&app, c, "three").await;
        assert_eq!((p["status"].as_str(), p["steps_done"].as_i64()), (Some("completed"), Some(1)), "{p}");
        // The purchase earning rules also gave points; the mission gave 100 once.
        let ledger = app.get(&format!("/api/v1/customers/{c}/points/ledger?limit=100")).await.body;
        let from_mission: Vec<i64> = ledger["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source"] == "mission")
            .map(|e| e["points"].as_i64().unwrap())
            .collect();
        assert_eq!(from_mission, [100]);
        assert!(balance(&app, c).await >= before + 100);
        let funnel = app.get("/api/v1/missions/three/funnel?period=7d").await.body;
        assert_eq!(
            (funnel["started"].as_i64(), funnel["completed"].as_i64(), funnel["rewarded"].as_i64()),
            (Some(1), Some(1), Some(1)),
            "{funnel}"
        );
        assert_eq!(funnel["steps"][0]["done"], 1);
        assert!(funnel["eligible"].as_i64().unwrap() >= 1);
        let g3 = app.get("/api/v1/reports/engagement?period=7d").await.body;
        assert_eq!(g3["mission_participants"], 1, "{g3}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_journey_counts_its_steps_in_order_with_a_reward_per_step() {
    for app in common::apps().await {
        create(&app, json!({"code": "journey", "name": "سفر", "steps": [
            {"fact": "invoice", "target": 1, "label": "خرید", "reward": {"point_type": "purchase", "points": 10}},
            {"fact": "event", "event_type": "survey_completed", "target": 1, "filter": {"field": "event.properties.survey", "op": "eq", "value": "s1"}},
            {"fact": "invoice", "measure": "amount", "target": 500000, "filter": {"field": "invoice.categories", "op": "contains", "value": "fashion"}}
        ], "reward": {"point_type": "purchase", "points": 300}})).await;
        let m = "09127770002";
        event(&app, "e0", m, "survey_completed", json!({"survey": "s1"})).await;
        let c = buy(&app, "j1", m, 100000, &now().to_string()).await;
        let p = mine(&app, c, "journey").await;
        assert_eq!(
            (p["steps_done"].as_i64(), p["current"].as_i64()),
            (Some(1), Some(0)),
            "the survey before the purchase did not count: {p}"
        );
        buy(&app, "j2", m, 400000, &now().to_string()).await;
        assert_eq!(mine(&app, c, "journey").await["steps_done"], 1, "purchases do not count for the survey step");
        event(&app, "e1", m, "survey_completed", json!({"survey": "other"})).await;
        event(&app, "e2", m, "survey_completed", json!({"survey": "s1"})).await;
        event(&app, "e2", m, "survey_completed", json!({"survey": "s1"})).await;
        assert_eq!(mine(&app, c, "journey").await["steps_done"], 2);
        buy(&app, "j3", m, 300000, &now().to_string()).await;
        assert_eq!(mine(&app, c, "journey").await["current"], 300000);
        buy(&app, "j4", m, 250000, &now().to_string()).await;
        let p = mine(&app, c, "journey").await;
        assert_eq!((p["status"].as_str(), p["steps_done"].as_i64()), (Some("completed"), Some(3)), "{p}");
        let ledger = app.get(&format!("/api/v1/customers/{c}/points/ledger?limit=100")).await.body;
        let mut from_mission: Vec<i64> = ledger["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source"] == "mission")
            .map(|e| e["points"].as_i64().unwrap())
            .collect();
        from_mission.sort();
        assert_eq!(from_mission, [10, 300]);
        let funnel = app.get("/api/v1/missions/journey/funnel?period=7d").await.body;
        let steps: Vec<i64> = funnel["steps"].as_array().unwrap().iter().map(|s| s["done"].as_i64().unwrap()).collect();
        assert_eq!(steps, [1, 1, 1]);
        app.finish().await;
    }
}

#[tokio::test]
async fn opt_in_deadlines_backdating_targeting_and_templates() {
    for app in common::apps().await {
        create(
            &app,
            json!({"code": "optin", "name": "با شروع", "enrolment": "opt_in", "deadline_days": 7,
            "goal": {"fact": "invoice", "target": 2}}),
        )
        .await;
        let m = "09127770003";
        let c = buy(&app, "o1", m, 1000, &now().to_string()).await;
        let p = mine(&app, c, "optin").await;
        assert_eq!(
            (p["status"].as_str(), p["opt_in"].as_bool()),
            (Some("available"), Some(true)),
            "a purchase before starting does not enrol"
        );
        let r = app.post(&format!("/api/v1/customers/{c}/missions/optin/start"), json!({})).await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (201, Some("in_progress")), "{}", r.body);
        let left = r.body["seconds_left"].as_i64().unwrap();
        assert!((7 * 86400 - 60..=7 * 86400).contains(&left), "{left}");
        assert_eq!(app.post(&format!("/api/v1/customers/{c}/missions/optin/start"), json!({})).await.status, 200);
        buy(&app, "o2", m, 1000, &ago(5)).await;
        assert_eq!(mine(&app, c, "optin").await["current"], 0, "a purchase backdated before the start does not count");
        buy(&app, "o3", m, 1000, &now().to_string()).await;
        assert_eq!(mine(&app, c, "optin").await["current"], 1);
        // Eight days on, the deadline job expires the unfinished progress, once.
        let later = now().as_millisecond() + 8 * 86_400_000;
        assert_eq!(app.engine.expire_missions(later).await.unwrap(), 1);
        assert_eq!(app.engine.expire_missions(later).await.unwrap(), 0);
        assert_eq!(mine(&app, c, "optin").await["status"], "expired");
        buy(&app, "o3b", m, 1000, &now().to_string()).await;
        assert_eq!(mine(&app, c, "optin").await["current"], 1, "expired progress takes no more facts");

        // A mission for gold customers does not enrol others.
        create(&app, json!({"code": "gold", "name": "طلایی", "tiers": ["gold"], "goal": {"fact": "invoice", "target": 1}})).await;
        buy(&app, "o4", m, 1000, &now().to_string()).await;
        assert!(mine(&app, c, "gold").await.is_null());
        let r = app.post(&format!("/api/v1/customers/{c}/missions/gold/start"), json!({})).await;
        assert_eq!(r.body["code"], "not_targeted");

        // Eight templates; one switched on works at once.
        let t = app.get("/api/v1/mission-templates").await.body;
        assert_eq!(t.as_array().unwrap().len(), 8);
        let r = app.post("/api/v1/mission-templates/visit-two-branches/enable", json!({})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        for (id, branch) in [("b1", "tehran-1"), ("b2", "tehran-1"), ("b3", "shiraz-1")] {
            let mut inv = common::invoice(id, &now().to_string(), m, 1000);
            inv["branch"] = json!(branch);
            assert!(app.post("/api/v1/invoices", inv).await.status.is_success());
            if id == "b2" {
                assert_eq!(mine(&app, c, "visit-two-branches").await["current"], 1, "the same branch twice counts once");
            }
        }
        assert_eq!(mine(&app, c, "visit-two-branches").await["status"], "completed");

        // Bad definitions name their fields.
        let r = app.post("/api/v1/missions", json!({"code": "bad", "name": "x", "goal": {"fact": "event", "target": 1}})).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("goal.event_type")), "{}", r.body);
        let r = app
            .post(
                "/api/v1/missions",
                json!({"code": "bad", "name": "x", "goal": {"fact": "invoice", "target": 1}, "reward": {"reward": "nope"}}),
            )
            .await;
        assert_eq!(r.body["errors"][0]["field"], "reward.reward", "{}", r.body);
        app.finish().await;
    }
}

/// The values a distinct goal has seen travel with its progress from one fact to the next, also
/// when they hold commas and quotes (progress is read back packed as comma-separated lists).
#[tokio::test]
async fn a_distinct_goal_remembers_values_that_hold_commas() {
    for app in common::apps().await {
        create(
            &app,
            json!({"code": "places", "name": "سه شعبه", "deadline_days": 30, "goal": {"fact": "event", "event_type": "store_visit",
            "measure": "distinct", "distinct_field": "event.properties.place", "target": 3}}),
        )
        .await;
        let m = "09127770009";
        let mut c = 0;
        // (place, places counted toward the open step, steps done, status)
        for (n, (place, current, done, status)) in [
            ("Vanak, Tehran", 1, 0, "in_progress"),
            ("Tajrish \"north\", Tehran", 2, 0, "in_progress"),
            ("Vanak, Tehran", 2, 0, "in_progress"),
            ("Shiraz, Fars", 0, 1, "completed"),
        ]
        .into_iter()
        .enumerate()
        {
            event(&app, &format!("visit{n}"), m, "store_visit", json!({"place": place})).await;
            if c == 0 {
                c = app.get(&format!("/api/v1/customers?q={m}")).await.body["items"][0]["id"].as_i64().unwrap();
            }
            let p = mine(&app, c, "places").await;
            let got = (p["current"].as_i64(), p["steps_done"].as_i64(), p["status"].as_str());
            assert_eq!(got, (Some(current), Some(done), Some(status)), "after {place}: {p}");
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn concurrent_purchases_complete_a_mission_exactly_once() {
    for app in common::apps().await {
        create(
            &app,
            json!({"code": "ten", "name": "ده خرید", "goal": {"fact": "invoice", "target": 10},
            "reward": {"point_type": "purchase", "points": 1000}}),
        )
        .await;
        let m = "09127770004";
        let c = buy(&app, "first", m, 1000, &now().to_string()).await;
        let at = now().to_string();
        let posts = (0..30).map(|i| {
            let (app, at) = (&app, at.clone());
            async move { app.post("/api/v1/invoices", common::invoice(&format!("c{i}"), &at, m, 1000)).await }
        });
        for r in futures::future::join_all(posts).await {
            assert!(r.status.is_success(), "{}", r.body);
        }
        let p = mine(&app, c, "ten").await;
        assert_eq!((p["status"].as_str(), p["steps_done"].as_i64()), (Some("completed"), Some(1)), "{p}");
        let ledger = app.get(&format!("/api/v1/customers/{c}/points/ledger?limit=200")).await.body;
        let rewards = ledger["items"].as_array().unwrap().iter().filter(|e| e["source"] == "mission").count();
        assert_eq!(rewards, 1);
        app.finish().await;
    }
}

async fn buy_invoice(app: &TestApp, id: &str, mobile: &str, amount: i64) -> (i64, i64) {
    let r = app.post("/api/v1/invoices", common::invoice(id, &now().to_string(), mobile, amount)).await;
    assert!(r.status.is_success(), "{}", r.body);
    (r.body["customer_id"].as_i64().unwrap(), r.body["id"].as_i64().unwrap())
}

async fn refund(app: &TestApp, invoice: i64, id: &str, amount: Option<i64>) {
    let mut body = json!({"external_id": id});
    if let Some(a) = amount {
        body["amount"] = json!(a);
    }
    let r = app.post(&format!("/api/v1/invoices/{invoice}/refunds"), body).await;
    assert!(r.status.is_success(), "{}", r.body);
}

/// Points a customer holds from missions: their rewards less what refunds took back of them.
async fn mission_points(app: &TestApp, c: i64) -> i64 {
    let ledger = app.get(&format!("/api/v1/customers/{c}/points/ledger?limit=500")).await.body;
    let items = ledger["items"].as_array().unwrap();
    let given: Vec<i64> = items.iter().filter(|e| e["source"] == "mission").map(|e| e["id"].as_i64().unwrap()).collect();
    items
        .iter()
        .filter(|e| e["source"] == "mission" || e["reverses"].as_i64().is_some_and(|r| given.contains(&r)))
        .map(|e| e["points"].as_i64().unwrap())
        .sum()
}

async fn usable(app: &TestApp, code: &str, c: i64) -> bool {
    let check = app.post("/api/v1/codes/check", json!({"code": code, "customer_id": c, "lines": [{"total": 5000}]})).await;
    check.body["valid"].as_bool().unwrap()
}

async fn events_of(app: &TestApp, c: i64, kind: &str) -> usize {
    let timeline = app.get(&format!("/api/v1/customers/{c}/timeline?limit=200")).await.body;
    timeline.as_array().unwrap().iter().filter(|t| t["event"]["type"] == kind).count()
}

#[tokio::test]
async fn a_refund_takes_back_the_progress_and_the_rewards_it_gave() {
    for app in common::apps().await {
        let r = app
            .post(
                "/api/v1/rewards",
                json!({"code": "off", "name": "۱۰٪ تخفیف", "kind": "discount_code", "discount": "percent",
                "value": 10, "valid_days": 30, "point_type": "purchase", "cost": 100}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        create(
            &app,
            json!({"code": "three", "name": "سه خرید", "goal": {"fact": "invoice", "target": 3},
            "reward": {"point_type": "purchase", "points": 100, "reward": "off"}}),
        )
        .await;
        let m = "09127770011";
        let (c, _) = buy_invoice(&app, "r1", m, 1000).await;
        let (_, i2) = buy_invoice(&app, "r2", m, 1000).await;
        let (_, i3) = buy_invoice(&app, "r3", m, 1000).await;
        assert_eq!(mine(&app, c, "three").await["status"], "completed");
        assert_eq!(mission_points(&app, c).await, 100);
        let given = app.get(&format!("/api/v1/customers/{c}/redemptions")).await.body;
        let code = given[0]["outcome"]["code"].as_str().unwrap().to_string();
        assert!(usable(&app, &code, c).await);

        // Part of a purchase returned: it is still a purchase, the mission stays done.
        refund(&app, i2, "r2-part", Some(400)).await;
        assert_eq!(mine(&app, c, "three").await["status"], "completed");
        assert_eq!(mission_points(&app, c).await, 100);

        // A purchase returned in full: two purchases remain, the reward goes back.
        refund(&app, i3, "r3-all", None).await;
        refund(&app, i3, "r3-all", None).await;
        let p = mine(&app, c, "three").await;
        assert_eq!((p["status"].as_str(), p["current"].as_i64()), (Some("in_progress"), Some(2)), "{p}");
        assert_eq!(mission_points(&app, c).await, 0);
        let taken = app.get(&format!("/api/v1/customers/{c}/redemptions")).await.body;
        assert_eq!(taken[0]["status"], "withdrawn", "{taken}");
        assert!(!usable(&app, &code, c).await, "the unused code no longer works");
        assert_eq!(events_of(&app, c, "mission_reopened").await, 1);

        // Buying again completes the mission again and rewards it again.
        buy_invoice(&app, "r4", m, 1000).await;
        assert_eq!(mine(&app, c, "three").await["status"], "completed");
        assert_eq!(mission_points(&app, c).await, 100);
        let again = app.get(&format!("/api/v1/customers/{c}/redemptions")).await.body;
        let statuses: Vec<&str> = again.as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == "fulfilled").count(), 1, "{again}");
        assert_eq!(events_of(&app, c, "mission_completed").await, 2);
        app.finish().await;
    }
}

#[tokio::test]
async fn spending_and_referral_goals_follow_refunds() {
    for app in common::apps().await {
        let r = app
            .put(
                "/api/v1/referrals/programme",
                json!({"enabled": true, "point_type": "purchase", "referrer_points": 0,
                "referee_points": 0, "min_first_invoice": 0, "within_days": 30}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        create(
            &app,
            json!({"code": "spend", "name": "خرید ۳۰۰۰", "goal": {"fact": "invoice", "measure": "amount", "target": 3000},
            "reward": {"point_type": "purchase", "points": 40}}),
        )
        .await;
        create(
            &app,
            json!({"code": "invite", "name": "دعوت", "goal": {"fact": "referral", "target": 1},
            "reward": {"point_type": "purchase", "points": 70}}),
        )
        .await;
        let (sara, big) = buy_invoice(&app, "s1", "09127770021", 2000).await;
        buy_invoice(&app, "s2", "09127770021", 1500).await;
        assert_eq!(mine(&app, sara, "spend").await["status"], "completed");
        // Half of the first purchase returned: 1,000 + 1,500 spent, short of 3,000.
        refund(&app, big, "s1-half", Some(1000)).await;
        let p = mine(&app, sara, "spend").await;
        assert_eq!((p["status"].as_str(), p["current"].as_i64()), (Some("in_progress"), Some(2500)), "{p}");
        assert_eq!(mission_points(&app, sara).await, 0);

        let code = app.get(&format!("/api/v1/customers/{sara}/referral")).await.body["code"].as_str().unwrap().to_string();
        let ali = app.post("/api/v1/customers", json!({"mobile": "09127770022"})).await.body["customer"]["id"].as_i64().unwrap();
        let joined = app.post(&format!("/api/v1/customers/{ali}/referral"), json!({"code": code})).await;
        assert_eq!(joined.status, 201, "{}", joined.body);
        let (_, first) = buy_invoice(&app, "a1", "09127770022", 5000).await;
        assert_eq!(mine(&app, sara, "invite").await["status"], "completed");
        assert_eq!(mission_points(&app, sara).await, 70);
        // The friend's purchase returned in part still counts; in full it does not.
        refund(&app, first, "a1-part", Some(1000)).await;
        assert_eq!(mission_points(&app, sara).await, 70);
        refund(&app, first, "a1-rest", None).await;
        assert_eq!(mine(&app, sara, "invite").await["status"], "in_progress");
        assert_eq!(mission_points(&app, sara).await, 0);
        app.finish().await;
    }
}

#[tokio::test]
async fn concurrent_refunds_and_their_retries_take_back_a_reward_once() {
    for app in common::apps().await {
        create(
            &app,
            json!({"code": "three", "name": "سه خرید", "goal": {"fact": "invoice", "target": 3},
            "reward": {"point_type": "purchase", "points": 100}}),
        )
        .await;
        let m = "09127770031";
        let mut invoices = Vec::new();
        let mut c = 0;
        for i in 0..6 {
            let (customer, id) = buy_invoice(&app, &format!("k{i}"), m, 1000).await;
            c = customer;
            invoices.push(id);
        }
        assert_eq!(mission_points(&app, c).await, 100);
        // Four of the six purchases returned at once, each refund sent three times.
        let tasks = invoices[..4].iter().flat_map(|&id| (0..3).map(move |_| id)).map(|id| {
            let app = &app;
            async move {
                let r = app.post(&format!("/api/v1/invoices/{id}/refunds"), json!({"external_id": format!("back-{id}")})).await;
                assert!(r.status.is_success(), "{}", r.body);
            }
        });
        futures::future::join_all(tasks).await;
        let p = mine(&app, c, "three").await;
        assert_eq!((p["status"].as_str(), p["current"].as_i64()), (Some("in_progress"), Some(2)), "{p}");
        assert_eq!(mission_points(&app, c).await, 0, "taken back once");
        buy_invoice(&app, "k6", m, 1000).await;
        assert_eq!(mission_points(&app, c).await, 100);
        app.finish().await;
    }
}
