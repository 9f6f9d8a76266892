//! Staff notes: mentions reach the colleague's inbox and email (through a local SMTP server),
//! only the author edits and every earlier text is kept, notes and messages are on the timeline —
//! on both databases.

mod common;

use common::providers;
use philia_engine::now_ms;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn notes_mention_colleagues_keep_history_and_show_on_the_timeline() {
    for app in common::apps().await {
        let (smtp_port, mails) = providers::smtp().await;
        let r = app
            .put("/api/v1/channels/email", json!({"provider": "smtp", "host": "127.0.0.1", "port": smtp_port, "security": "none", "from": "Club <club@shop.ir>"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut staff = Vec::new();
        for (email, name) in [("maryam@shop.ir", "مریم"), ("reza@shop.ir", "رضا"), ("reza@other.ir", "رضا ۲")] {
            let r = app
                .post(
                    "/api/v1/staff",
                    json!({"email": email, "name": name, "role": "marketer", "password": "correct horse battery"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            staff.push(r.body["id"].as_i64().unwrap());
        }
        let c = app.post("/api/v1/customers", json!({"mobile": "09121234567", "first_name": "سارا", "last_name": "احمدی"})).await;
        let customer = c.body["customer"]["id"].as_i64().unwrap();

        let bad = app.post(&format!("/api/v1/customers/{customer}/notes"), json!({"author": "ghost@shop.ir", "body": "x"})).await;
        assert_eq!(bad.body["errors"][0]["field"], "author", "{}", bad.body);
        // `@reza` names two colleagues: unresolved; `@reza@shop.ir` is one.
        let r = app
            .post(
                &format!("/api/v1/customers/{customer}/notes"),
                json!({"author": "maryam@shop.ir", "body": "علاقه‌مند به عطر است. @reza پیگیری کن، @reza@shop.ir لطفاً تماس بگیر. @nobody"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let note = r.body["id"].as_i64().unwrap();
        assert_eq!(r.body["mentions"].as_array().unwrap().len(), 1);
        assert_eq!(r.body["mentions"][0]["email"], "reza@shop.ir");
        assert_eq!(r.body["unresolved_mentions"], json!(["reza", "nobody"]));

        let inbox = app.get(&format!("/api/v1/staff/{}/inbox", staff[1])).await.body;
        assert_eq!(inbox.as_array().unwrap().len(), 1, "{inbox}");
        assert!(inbox[0]["text"].as_str().unwrap().contains("مریم mentioned you on سارا احمدی"));
        assert!(inbox[0]["link"].as_str().unwrap().ends_with(&format!("/admin/customers/{customer}")));
        assert!(app.get(&format!("/api/v1/staff/{}/inbox", staff[0])).await.body.as_array().unwrap().is_empty());
        // The email goes through the outbox.
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        {
            let mails = mails.lock().unwrap();
            assert_eq!(mails.len(), 1);
            assert_eq!(mails[0].to, ["reza@shop.ir"]);
        }
        let n = inbox[0]["id"].as_i64().unwrap();
        assert_eq!(
            app.post(&format!("/api/v1/staff/{}/inbox/{n}/read", staff[1]), json!({})).await.status,
            StatusCode::NO_CONTENT
        );
        assert!(app.get(&format!("/api/v1/staff/{}/inbox?unread=true", staff[1])).await.body.as_array().unwrap().is_empty());

        // Only the author edits; the earlier text is kept; a newly mentioned colleague is told once.
        let path = format!("/api/v1/customers/{customer}/notes/{note}");
        let other = app.put(&path, json!({"author": "reza@shop.ir", "body": "changed"})).await;
        assert_eq!((other.status, other.body["code"].as_str()), (StatusCode::CONFLICT, Some("not_author")));
        let edited = app.put(&path, json!({"author": "maryam@shop.ir", "body": "با @reza@other.ir هماهنگ شد."})).await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
        assert_eq!(edited.body["edited"], true);
        app.put(&path, json!({"author": "maryam@shop.ir", "body": "با @reza@other.ir هماهنگ شد. تمام."})).await;
        let history = app.get(&format!("{path}/history")).await.body;
        let texts: Vec<&str> = history.as_array().unwrap().iter().map(|v| v["body"].as_str().unwrap()).collect();
        assert_eq!(texts.len(), 2);
        assert!(texts[0].starts_with("علاقه‌مند به عطر"));
        assert_eq!(texts[1], "با @reza@other.ir هماهنگ شد.");
        assert_eq!(app.get(&format!("/api/v1/staff/{}/inbox", staff[2])).await.body.as_array().unwrap().len(), 1);

        let timeline = app.get(&format!("/api/v1/customers/{customer}/timeline")).await;
        assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.body);
        let kinds: Vec<&str> = timeline.body.as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"note"), "{kinds:?}");
        app.finish().await;
    }
}
