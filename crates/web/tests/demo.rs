//! The demo tenant: its loyalty programme is set up and its data earns, moves tiers and rebuilds
//! to the same state — on every backend.

mod common;

use philia_engine::demo::{Demo, DemoSpec};

#[tokio::test]
async fn demo_data_runs_through_the_whole_programme() {
    for app in common::apps().await {
        let demo = Demo::new(DemoSpec { customers: 150, invoices: 900, seed: 7, end: jiff::civil::Date::constant(2026, 11, 1) });
        app.engine.load_demo(&app.ctx, &demo, &mut |_, _, _| {}).await.unwrap();
        assert_eq!(app.get("/api/v1/rewards").await.body.as_array().unwrap().len(), 5);
        assert_eq!(app.get("/api/v1/earning-rules").await.body.as_array().unwrap().len(), 5);
        let customers = app.get("/api/v1/customers?limit=200").await.body;
        let mut with_points = 0;
        let mut tiers = std::collections::BTreeSet::new();
        for c in customers["items"].as_array().unwrap() {
            if let Some(t) = c["tier"].as_str() {
                tiers.insert(t.to_string());
            }
            let balances = app.get(&format!("/api/v1/customers/{}/points", c["id"])).await.body;
            if balances.as_array().unwrap().iter().any(|b| b["earned"].as_i64().unwrap_or(0) > 0) {
                with_points += 1;
            }
        }
        assert!(with_points > 50, "{with_points} customers earned points");
        assert!(tiers.contains("bronze") && tiers.len() >= 2, "{tiers:?}");
        // The demo games are in place and shown to a demo customer with their odds.
        let games = app.get("/api/v1/games").await.body;
        assert_eq!(games.as_array().unwrap().iter().map(|g| g["code"].as_str().unwrap()).collect::<Vec<_>>(), ["wheel", "slot"]);
        let id = customers["items"][0]["id"].as_i64().unwrap();
        let view = app.get(&format!("/api/v1/customers/{id}/games/slot")).await;
        assert_eq!(view.status, 200, "{}", view.body);
        let missions = app.get(&format!("/api/v1/customers/{id}/missions")).await.body;
        assert_eq!(missions.as_array().unwrap().len(), 5, "{missions}");
        let chances: f64 = view.body["prizes"].as_array().unwrap().iter().map(|p| p["chance_percent"].as_f64().unwrap()).sum();
        assert!((chances - 100.0).abs() < 0.05, "{chances}");
        assert_eq!(view.body["prizes"].as_array().unwrap().len(), 4);
        // Templates, automations and a draft campaign; nothing was triggered by the loaded history.
        assert_eq!(app.get("/api/v1/message-templates").await.body.as_array().unwrap().len(), 6);
        let automations = app.get("/api/v1/automations").await.body;
        assert_eq!(automations.as_array().unwrap().len(), 5, "{automations}");
        assert_eq!(app.get("/api/v1/campaigns/coffee-comeback").await.body["status"], "draft");
        let round = app.engine.automation_round(philia_engine::now_ms()).await.unwrap();
        assert_eq!(app.get("/api/v1/automations/big-purchase-thanks/runs").await.body, serde_json::json!([]), "{round:?}");
        // RFM scores and the demo segments are in place.
        let rfm = app.get("/api/v1/rfm?limit=1").await.body;
        assert!(rfm["population"].as_i64().unwrap() > 100, "{rfm}");
        let regulars = app.get("/api/v1/segments/tehran_regulars").await.body;
        let live = app.get("/api/v1/segments/tehran_regulars/count").await.body;
        assert!(regulars["members"].as_i64().unwrap() > 0 && regulars["members"] == live["count"], "{regulars} {live}");
        let before = (
            app.engine.store.points_snapshot(app.ctx.id).await.unwrap(),
            app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap(),
        );
        app.engine.rebuild(&app.ctx).await.unwrap();
        let after = (
            app.engine.store.points_snapshot(app.ctx.id).await.unwrap(),
            app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap(),
        );
        assert_eq!(before, after, "{}", app.backend);
        app.finish().await;
    }
}
