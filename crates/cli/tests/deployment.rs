//! The documented PostgreSQL deployment: two `philia serve` processes on one database share the
//! work. One is stopped (SIGTERM) while invoices arrive and messages go out: every request it
//! accepted is answered, nothing it was sending is lost or sent twice, and the other process
//! carries on. PostgreSQL only (several processes on one SQLite file is not a supported setup).

mod common;

use axum::extract::State;
use axum::routing::post;
use philia_domain::message_templates::TemplateInput;
use philia_domain::messaging::DeliveryRulesInput;
use philia_domain::tenant::NewTenant;
use philia_engine::Engine;
use philia_engine::message_queue::SendInput;
use philia_engine::secrets::Vault;
use serde_json::json;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "5e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f001";
const MESSAGES: usize = 300;
const INVOICES: usize = 80;

/// Kavenegar's send, a little slow, so a stop finds messages in hand.
async fn send(State(received): State<Arc<Mutex<Vec<String>>>>, body: axum::body::Bytes) -> String {
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let n = {
        let mut r = received.lock().unwrap();
        r.push(fields["receptor"].clone());
        r.len()
    };
    json!({"return": {"status": 200, "message": "تایید شد"},
           "entries": [{"messageid": 5000 + n, "status": 1, "statustext": "در صف ارسال", "receptor": fields["receptor"], "cost": 120}]})
    .to_string()
}

/// Starts `philia serve` on a free port; returns the process and its address.
fn start_server(db: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_philia"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", db)
        .env("PHILIA_SECRET_KEY", KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("philia serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines.next().expect("the server says where it serves").unwrap();
        if let Some(rest) = line.strip_prefix("Philia is serving on ") {
            break rest.trim().to_string();
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}

fn invoice(i: usize) -> serde_json::Value {
    json!({"external_id": format!("two-{i}"), "issued_at": jiff::Timestamp::now().to_string(),
           "customer": {"mobile": format!("0913{:07}", 3_000_000 + i % 40)},
           "lines": [{"sku": "A", "product_name": "قهوه", "quantity": 1, "unit_price": 90_000}]})
}

#[test]
fn two_servers_share_the_work_and_one_stops_without_losing_any() {
    let dir = tempfile::tempdir().unwrap();
    let Some((db, Some(pg))) = common::databases(dir.path()).into_iter().nth(1) else {
        eprintln!("PHILIA_TEST_DATABASE_URL is not set: the two-process deployment runs on PostgreSQL only");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let received = Arc::new(Mutex::new(Vec::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let provider = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().route("/v1/{key}/sms/send.json", post(send)).with_state(received.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let engine = Engine::open(&db).await.unwrap().with_vault(Vault::from_hex(KEY).unwrap());
        engine.create_tenant(NewTenant::parse("two", "دو سرور", None, None, None).unwrap()).await.unwrap();
        let ctx = engine.tenant("two").await.unwrap();
        let api_key = engine.create_api_key(&ctx, "integration", None).await.unwrap().key;
        engine
            .set_channel(Some(&ctx), "sms", json!({"provider": "kavenegar", "api_key": "k", "base_url": provider}))
            .await
            .unwrap();
        let no_limits = DeliveryRulesInput { quiet_start: None, quiet_end: None, max_per_day: None, max_per_week: None };
        engine.set_delivery_rules(&ctx, &no_limits).await.unwrap();
        let template: TemplateInput =
            serde_json::from_value(json!({"code": "t", "name": "t", "channel": "sms", "versions": {"fa": {"body": "سلام"}}}))
                .unwrap();
        engine.create_template(&ctx, &template).await.unwrap();

        for i in 0..MESSAGES {
            let patch = philia_domain::customer::CustomerInput {
                mobile: Some(format!("0912{:07}", 4_000_000 + i)),
                ..Default::default()
            };
            let id = engine.upsert_customers(&ctx, "api", &[patch.parse().unwrap()]).await.unwrap()[0].customer_id;
            let input = SendInput { template: "t".into(), data: None, idempotency_key: Some(format!("m{i}")) };
            engine.send_to_customer(&ctx, id, &input, None).await.unwrap();
        }
        // Both servers start with the messages waiting and send them side by side.
        let (mut a, a_url) = start_server(&db);
        let (mut b, b_url) = start_server(&db);

        // Wait until the messages are going out, so the stop finds some in hand.
        let deadline = Instant::now() + Duration::from_secs(30);
        while received.lock().unwrap().len() < 20 {
            assert!(Instant::now() < deadline, "the servers did not start sending");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        // Invoices go to both servers at once; A is stopped while they are on their way.
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for i in 0..INVOICES {
            let (client, key) = (client.clone(), api_key.clone());
            let url = format!("{}/api/v1/invoices", if i % 2 == 0 { &a_url } else { &b_url });
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(5 * i as u64)).await;
                let answer = client.post(&url).bearer_auth(&key).json(&invoice(i)).send().await;
                (i, answer.map(|r| r.status().as_u16()).ok())
            }));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        let stopped_at = Instant::now();
        let sent_by_then = received.lock().unwrap().len();
        assert!(Command::new("kill").args(["-TERM", &a.id().to_string()]).status().unwrap().success());
        let mut unanswered = Vec::new();
        for t in tasks {
            let (i, status) = t.await.unwrap();
            match status {
                Some(s) => assert!((200..300).contains(&s), "invoice {i} answered {s}"),
                // Refused before it was accepted: the client knows and sends it elsewhere.
                None => unanswered.push(i),
            }
        }
        let exit = tokio::task::spawn_blocking(move || a.wait().unwrap()).await.unwrap();
        assert!(exit.success(), "a stopped server exits cleanly: {exit:?}");
        eprintln!("at the stop: {} of {INVOICES} invoices refused, {sent_by_then} of {MESSAGES} messages sent", unanswered.len());
        assert!(stopped_at.elapsed() < Duration::from_secs(40), "it stops within its grace period");
        for i in &unanswered {
            assert!(*i % 2 == 0, "only the stopped server refused requests");
            let r =
                client.post(format!("{b_url}/api/v1/invoices")).bearer_auth(&api_key).json(&invoice(*i)).send().await.unwrap();
            assert!(r.status().is_success());
        }
        let listed = client
            .get(format!("{b_url}/api/v1/invoices?limit=500"))
            .bearer_auth(&api_key)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        assert_eq!(listed["items"].as_array().unwrap().len(), INVOICES, "every invoice once");

        // Every message is sent exactly once, the rest by the server still running.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let log = engine.message_log(&ctx, None, None, None, 1000).await.unwrap();
            if log.len() == MESSAGES && log.iter().all(|m| m.status == "sent") {
                break;
            }
            assert!(Instant::now() < deadline, "messages still waiting: {:?}", log.iter().filter(|m| m.status != "sent").count());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut counts: HashMap<String, usize> = HashMap::new();
        for r in received.lock().unwrap().iter() {
            *counts.entry(r.clone()).or_default() += 1;
        }
        assert_eq!(counts.len(), MESSAGES, "every message arrived");
        assert!(counts.values().all(|n| *n == 1), "no message was sent twice: {counts:?}");
        b.kill().unwrap();
        b.wait().unwrap();
        engine.store.close().await;
    });
    common::drop_database(&pg);
}
