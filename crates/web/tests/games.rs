//! Chance games through the API: every prize kind, costs and spins, limits and refusals, the
//! seed commitments checked independently of the product's own code, the audit (which must catch
//! a tampered play), slot reels, and exactness under concurrency — on every backend.

mod common;

use common::TestApp;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

async fn customer_with_points(app: &TestApp, mobile: &str, points: i64) -> i64 {
    let r = app
        .post("/api/v1/invoices", common::invoice(&format!("inv-{mobile}"), &jiff::Timestamp::now().to_string(), mobile, 1000))
        .await;
    let c = r.body["customer_id"].as_i64().unwrap();
    if points > 0 {
        let adj = app
            .post(
                &format!("/api/v1/customers/{c}/points/adjust"),
                json!({"point_type": "purchase", "points": points, "reason": "آزمون", "idempotency_key": format!("seed-{mobile}")}),
            )
            .await;
        assert_eq!(adj.status, 201, "{}", adj.body);
    }
    c
}

async fn balance(app: &TestApp, c: i64) -> i64 {
    app.get(&format!("/api/v1/customers/{c}/points")).await.body[0]["balance"].as_i64().unwrap()
}

async fn create(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/games", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn play(app: &TestApp, c: i64, game: &str, key: &str) -> common::Response {
    app.post(&format!("/api/v1/customers/{c}/games/{game}/play"), json!({"idempotency_key": key, "client_seed": "lucky"})).await
}

/// Recomputes a play's draw from its revealed proof with nothing but SHA-256 and HMAC.
fn recompute(proof: &Value) -> (u64, String) {
    let seed: Vec<u8> =
        (0..64).step_by(2).map(|i| u8::from_str_radix(&proof["seed"].as_str().unwrap()[i..i + 2], 16).unwrap()).collect();
    let hash: String = Sha256::digest(&seed).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hash, proof["commitment"].as_str().unwrap(), "the seed hashes to the commitment");
    let mut mac = Hmac::<Sha256>::new_from_slice(&seed).unwrap();
    mac.update(format!("{}:{}", proof["client_seed"].as_str().unwrap(), proof["nonce"]).as_bytes());
    let bytes = mac.finalize().into_bytes();
    let table = proof["table"].as_array().unwrap();
    let total: u64 = table.iter().map(|s| s["weight"].as_u64().unwrap()).sum();
    let roll = (u128::from_be_bytes(bytes[..16].try_into().unwrap()) % total as u128) as u64;
    let mut upto = 0;
    for s in table {
        upto += s["weight"].as_u64().unwrap();
        if roll < upto {
            return (roll, s["prize"].as_str().unwrap().to_string());
        }
    }
    unreachable!()
}

fn wheel(code: &str, extra: Value) -> Value {
    let mut g = json!({
        "code": code, "name": "گردونه شانس", "kind": "wheel",
        "cost": {"spins": true, "point_type": "purchase", "points": 10},
        "prizes": [
            {"code": "p50", "label": "۵۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 50, "weight": 1, "colour": "#ffaa00"},
            {"code": "cash", "label": "۱۰ هزار تومان", "kind": "wallet", "amount": 10000, "weight": 1},
            {"code": "vip", "label": "VIP", "kind": "reward", "reward": "lounge", "weight": 1},
            {"code": "off", "label": "۱۰٪", "kind": "discount_code", "promotion": "wheel-off", "valid_days": 7, "weight": 1},
            {"code": "again", "label": "دوباره", "kind": "spins", "spins": 1, "weight": 1},
            {"code": "none", "label": "پوچ", "kind": "nothing", "weight": 1}
        ]
    });
    for (k, v) in extra.as_object().unwrap() {
        g[k] = v.clone();
    }
    g
}

async fn programme(app: &TestApp) {
    let r = app.post("/api/v1/rewards", json!({"code": "lounge", "name": "سالن VIP", "kind": "vip_access", "target": "content:lounge", "days": 30, "point_type": "purchase", "cost": 500})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .post(
            "/api/v1/promotions",
            json!({"code": "wheel-off", "name": "تخفیف گردونه", "discount": "percent", "value": 10, "uses_per_code": 1}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn a_wheel_takes_its_cost_gives_each_prize_and_proves_every_draw() {
    for app in common::apps().await {
        programme(&app).await;
        create(&app, wheel("wheel", json!({}))).await;
        let c = customer_with_points(&app, "09125550001", 1000).await;
        let before = app.get(&format!("/api/v1/customers/{c}/games/wheel")).await;
        assert_eq!(before.status, 200, "{}", before.body);
        assert_eq!(before.body["prizes"][0]["chance_percent"], 16.67);
        let mut commitment = before.body["commitment"].as_str().unwrap().to_string();

        let mut won: std::collections::HashMap<String, i64> = Default::default();
        let (mut spent, mut spins_won, mut spins_used) = (0, 0, 0);
        // Until every prize has come up (at 1/6 each, 100 plays miss one with a chance of 1 in 10⁷).
        for i in 0..100 {
            if i >= 40 && won.len() == 6 {
                break;
            }
            let r = play(&app, c, "wheel", &format!("k{i}")).await;
            assert_eq!(r.status, 201, "{}", r.body);
            let proof = &r.body["proof"];
            assert_eq!(proof["commitment"], commitment.as_str(), "the play used the seed committed to before it");
            let (roll, prize) = recompute(proof);
            assert_eq!((roll, prize.as_str()), (proof["roll"].as_u64().unwrap(), r.body["prize"].as_str().unwrap()));
            commitment = proof["next_commitment"].as_str().unwrap().to_string();
            match r.body["paid_with"].as_str().unwrap() {
                "points" => spent += 10,
                "spin" => spins_used += 1,
                other => panic!("paid with {other}"),
            }
            if prize == "again" {
                spins_won += 1;
            }
            *won.entry(prize).or_default() += 1;
            let o = &r.body["outcome"];
            match r.body["prize_kind"].as_str().unwrap() {
                "discount_code" => assert!(o["code"].as_str().unwrap().starts_with("WHEEL-"), "{o}"),
                "reward" => assert_eq!(o["delivered"]["target"], "content:lounge"),
                "points" => assert_eq!(o["points"], 50),
                _ => {}
            }
        }
        assert_eq!(won.len(), 6, "plays at 1/6 each win every prize: {won:?}");
        // Spins won are used before points: every spin won but the last unused ones paid a play.
        let left = app.get(&format!("/api/v1/customers/{c}/games/wheel")).await.body["spins_left"].as_i64().unwrap();
        assert_eq!(spins_used + left, spins_won);
        assert_eq!(balance(&app, c).await, 1000 - spent + 50 * won["p50"]);
        let wallet = app.get(&format!("/api/v1/customers/{c}/wallet")).await.body["balance"].as_i64().unwrap();
        assert_eq!(wallet, 10000 * won["cash"]);
        let reds = app.get(&format!("/api/v1/customers/{c}/redemptions")).await.body;
        assert_eq!(reds.as_array().unwrap().len() as i64, won["vip"]);
        assert!(reds.as_array().unwrap().iter().all(|r| r["points"] == 0));

        // A double click plays once and pays once.
        let points_now = balance(&app, c).await;
        let again = play(&app, c, "wheel", "k39").await;
        assert_eq!(again.status, 200);
        assert_eq!(balance(&app, c).await, points_now);

        // The audit recomputes the day; the report adds up the same plays.
        let day = jiff::Timestamp::now().to_zoned(app.ctx.zone.clone()).date().to_string();
        let audit = app.get(&format!("/api/v1/games/wheel/audit?day={day}")).await;
        assert_eq!((audit.body["plays"].as_i64(), audit.body["verified"].as_i64()), (Some(40), Some(40)), "{}", audit.body);
        let report = app.get("/api/v1/games/wheel/report?period=7d").await.body;
        assert_eq!((report["plays"].as_i64(), report["unique_players"].as_i64()), (Some(40), Some(1)));
        assert_eq!(report["points_spent"].as_i64().unwrap(), spent);
        assert_eq!(report["plays_paid_with_spins"].as_i64().unwrap(), spins_used);
        let by_prize: i64 = report["prizes"].as_array().unwrap().iter().map(|p| p["plays"].as_i64().unwrap()).sum();
        assert_eq!(by_prize, 40);
        assert_eq!(report["prize_value"].as_i64().unwrap(), 10000 * won["cash"]);
        let plays = app.get(&format!("/api/v1/games/wheel/plays?customer_id={c}&limit=5")).await.body;
        assert_eq!(plays.as_array().unwrap().len(), 5);

        // A changed roll, prize or seed is caught by the audit.
        let first = app.get("/api/v1/games/wheel/plays?limit=1000").await.body;
        let ids: Vec<i64> = first.as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
        let pool = app.engine.store.pool();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE game_plays SET prize = 'cash', prize_kind = 'wallet' WHERE id = {} AND prize <> 'cash'",
            ids[3]
        )))
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE game_plays SET seed = '{}' WHERE id = {}", "00".repeat(32), ids[7])))
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE game_plays SET commitment = next_commitment WHERE id = {}", ids[10])))
            .execute(pool)
            .await
            .unwrap();
        let audit = app.get(&format!("/api/v1/games/wheel/audit?day={day}")).await.body;
        let failed: Vec<i64> = audit["failures"].as_array().unwrap().iter().map(|f| f["play_id"].as_i64().unwrap()).collect();
        let tampered_prize = first[3]["prize"] != "cash";
        let mut expected = vec![ids[10], ids[7]];
        if tampered_prize {
            expected.push(ids[3]);
        }
        expected.sort();
        let mut got = failed.clone();
        got.sort();
        assert_eq!(got, expected, "{audit}");
        app.finish().await;
    }
}

#[tokio::test]
async fn limits_and_refusals_change_nothing() {
    for app in common::apps().await {
        programme(&app).await;
        let c = customer_with_points(&app, "09125550002", 25).await;
        create(&app, wheel("daily", json!({"plays_per_day": 2}))).await;
        assert_eq!(play(&app, c, "daily", "a").await.status, 201);
        assert_eq!(play(&app, c, "daily", "b").await.status, 201);
        let view = app.get(&format!("/api/v1/customers/{c}/games/daily")).await.body;
        assert_eq!((view["plays_today"].as_i64(), view["plays_left_today"].as_i64()), (Some(2), Some(0)));
        assert_eq!(view["refusal"]["code"], "daily_play_limit");
        let points = balance(&app, c).await;
        let third = play(&app, c, "daily", "c").await;
        assert_eq!((third.status.as_u16(), third.body["code"].as_str()), (409, Some("daily_play_limit")));
        assert_eq!(balance(&app, c).await, points);

        let poor = customer_with_points(&app, "09125550003", 5).await;
        let r = play(&app, poor, "daily", "p").await;
        assert_eq!((r.status.as_u16(), r.body["code"].as_str()), (409, Some("insufficient_points")));
        assert_eq!(balance(&app, poor).await, 5);
        assert_eq!(app.get("/api/v1/games/daily/plays?limit=1000").await.body.as_array().unwrap().len(), 2);

        create(&app, wheel("gold", json!({"tiers": ["gold"]}))).await;
        assert_eq!(play(&app, c, "gold", "g").await.body["code"], "tier_required");
        create(&app, wheel("later", json!({"starts_at": "2099-01-01"}))).await;
        assert_eq!(play(&app, c, "later", "l").await.body["code"], "game_unavailable");
        create(&app, wheel("tokens", json!({"cost": {"spins": true}}))).await;
        assert_eq!(play(&app, c, "tokens", "t").await.body["code"], "no_spins");
        let nokey = app.post(&format!("/api/v1/customers/{c}/games/daily/play"), json!({})).await;
        assert_eq!(
            (nokey.status.as_u16(), nokey.body["errors"][0]["field"].as_str()),
            (422, Some("idempotency_key")),
            "{}",
            nokey.body
        );

        // Bad definitions name their fields.
        let mut bad = wheel("bad", json!({"cost": {"point_type": "nope", "points": 5}}));
        let r = app.post("/api/v1/games", bad.clone()).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("cost.point_type")), "{}", r.body);
        bad["cost"] = json!({});
        bad["prizes"][2]["reward"] = json!("missing");
        let r = app.post("/api/v1/games", bad.clone()).await;
        assert_eq!(r.body["errors"][0]["field"], "prizes[2].reward", "{}", r.body);
        bad["prizes"][0]["weight"] = json!(-1);
        let r = app.post("/api/v1/games", bad.clone()).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.to_string().contains("prizes[0].weight"), "{}", r.body);
        bad["prizes"][0]["weight"] = json!(2);
        bad["kind"] = json!("slot");
        let r = app.post("/api/v1/games", bad).await;
        assert_eq!(r.body["errors"][0]["field"], "prizes[0].symbol", "{}", r.body);
        assert_eq!(app.post("/api/v1/games", wheel("daily", json!({}))).await.body["code"], "code_taken");
        app.finish().await;
    }
}

#[tokio::test]
async fn slot_reels_show_three_of_a_kind_exactly_when_a_prize_is_won() {
    for app in common::apps().await {
        let slot = json!({
            "code": "slot", "name": "ماشین شانس", "kind": "slot",
            "prizes": [
                {"code": "cherry", "label": "۲۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 20, "weight": 3, "symbol": "🍒"},
                {"code": "gem", "label": "۱۰۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 100, "weight": 1, "symbol": "💎"},
                {"code": "none", "label": "پوچ", "kind": "nothing", "weight": 4}
            ]
        });
        create(&app, slot).await;
        let c = customer_with_points(&app, "09125550004", 0).await;
        let mut kinds = std::collections::HashSet::new();
        // Plays until every kind of outcome has come up (40 random plays once missed one).
        for i in 0..400 {
            if kinds.len() == 3 && i >= 40 {
                break;
            }
            let r = play(&app, c, "slot", &format!("s{i}")).await;
            assert_eq!(r.status, 201, "{}", r.body);
            let reels: Vec<&str> = r.body["reels"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            let three = reels[0] == reels[1] && reels[1] == reels[2];
            let prize = r.body["prize"].as_str().unwrap();
            kinds.insert(prize.to_string());
            assert_eq!(three, prize != "none", "{prize}: {reels:?}");
            if prize == "gem" {
                assert_eq!(reels[0], "💎");
            }
        }
        assert_eq!(kinds.len(), 3);
        let day = jiff::Timestamp::now().to_zoned(app.ctx.zone.clone()).date().to_string();
        let pool = app.engine.store.pool();
        sqlx::query("UPDATE game_plays SET reels = '[\"💎\",\"💎\",\"💎\"]' WHERE prize = 'none'").execute(pool).await.unwrap();
        let audit = app.get(&format!("/api/v1/games/slot/audit?day={day}")).await.body;
        let nones = 40 - audit["verified"].as_i64().unwrap();
        assert!(
            nones > 0
                && audit["failures"].as_array().unwrap().iter().all(|f| f["reason"] == "the reels do not follow from the draw"),
            "{audit}"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn five_hundred_concurrent_plays_win_a_stock_of_ten_exactly_ten_times() {
    for app in common::apps().await {
        let now = jiff::Timestamp::now().to_string();
        let invoices: Vec<Value> =
            (0..500).map(|i| common::invoice(&format!("c{i}"), &now, &format!("0912600{i:04}"), 1000)).collect();
        let r = app.post("/api/v1/invoices/batch", json!({"invoices": invoices})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let customers: Vec<i64> =
            r.body["results"].as_array().unwrap().iter().map(|x| x["customer_id"].as_i64().unwrap()).collect();
        create(
            &app,
            json!({"code": "rush", "name": "Rush", "kind": "wheel", "prizes": [
                {"code": "phone", "label": "گوشی", "kind": "wallet", "amount": 1000000, "weight": 1000, "stock": 10},
                {"code": "none", "label": "پوچ", "kind": "nothing", "weight": 1}
            ]}),
        )
        .await;
        let plays = customers.iter().map(|c| {
            let app = &app;
            async move { play(app, *c, "rush", &format!("rush-{c}")).await }
        });
        let results = futures::future::join_all(plays).await;
        assert!(results.iter().all(|r| r.status == 201), "{:?}", results.iter().find(|r| r.status != 201).map(|r| &r.body));
        let winners = results.iter().filter(|r| r.body["prize"] == "phone").count();
        assert_eq!(winners, 10);
        let game = app.get("/api/v1/games/rush").await.body;
        assert_eq!((game["stock"][0]["stock_left"].as_i64(), game["stock"][0]["won"].as_i64()), (Some(0), Some(10)));
        let report = app.get("/api/v1/games/rush/report?period=7d").await.body;
        assert_eq!((report["plays"].as_i64(), report["unique_players"].as_i64()), (Some(500), Some(500)), "{report}");
        assert_eq!(report["prize_value"].as_i64(), Some(10_000_000));
        // After the stock ran out the odds shown move the prize's weight to the fallback.
        let view = app.get(&format!("/api/v1/customers/{}/games/rush", customers[0])).await.body;
        assert_eq!(
            (view["prizes"][0]["unavailable"].as_bool(), view["prizes"][1]["chance_percent"].as_f64()),
            (Some(true), Some(100.0))
        );

        // Twenty concurrent clicks with one key: one play, one payment.
        let c = customers[1];
        let r = app
            .put("/api/v1/point-types/purchase", json!({"code": "purchase", "name": "امتیاز خرید", "expiry": {"kind": "never"}}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        app.post(
            &format!("/api/v1/customers/{c}/points/adjust"),
            json!({"point_type": "purchase", "points": 100, "reason": "آزمون", "idempotency_key": "dbl"}),
        )
        .await;
        create(&app, json!({"code": "paid", "name": "Paid", "kind": "wheel", "cost": {"point_type": "purchase", "points": 30},
            "prizes": [{"code": "a", "label": "a", "kind": "nothing", "weight": 1}, {"code": "b", "label": "b", "kind": "nothing", "weight": 1}]})).await;
        let before = balance(&app, c).await;
        let clicks = (0..20).map(|_| play(&app, c, "paid", "same-click"));
        let results = futures::future::join_all(clicks).await;
        let ids: std::collections::HashSet<i64> = results.iter().map(|r| r.body["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 1);
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);
        assert_eq!(balance(&app, c).await, before - 30);
        app.finish().await;
    }
}
