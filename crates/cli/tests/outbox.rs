//! The outbox survives a sender killed mid-send: a `philia worker` process is killed (SIGKILL)
//! while the provider holds some of its messages unanswered; another sender takes the abandoned
//! messages over when their lease runs out. Every message arrives; the only ones that arrive
//! twice are those that were in flight when the worker died.

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
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615f4e3";
/// How many messages the provider answers before it starts holding them.
const ANSWERED: usize = 10;
const MESSAGES: usize = 30;

#[derive(Clone, Default)]
struct Provider {
    received: Arc<Mutex<Vec<String>>>,
    holding: Arc<AtomicBool>,
}

/// Kavenegar's send: the first messages are answered; after them, none is answered while
/// `holding` is set, so the worker has messages in flight when it is killed.
async fn send(State(p): State<Provider>, body: axum::body::Bytes) -> String {
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let receptor = fields["receptor"].clone();
    let n = {
        let mut r = p.received.lock().unwrap();
        r.push(receptor.clone());
        r.len()
    };
    while n > ANSWERED && p.holding.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    json!({"return": {"status": 200, "message": "تایید شد"},
           "entries": [{"messageid": 1000 + n, "status": 1, "statustext": "در صف ارسال", "receptor": receptor, "cost": 120}]})
    .to_string()
}

async fn statuses(engine: &Engine, ctx: &philia_engine::TenantContext) -> HashMap<String, String> {
    let log = engine.message_log(ctx, None, Some("api"), None, 1000).await.unwrap();
    log.into_iter().map(|m| (m.recipient, m.status)).collect()
}

#[test]
fn a_killed_worker_loses_nothing_and_repeats_only_what_was_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    for (db, pg) in common::databases(dir.path()) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let provider = Provider { holding: Arc::new(AtomicBool::new(true)), ..Default::default() };
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let app = axum::Router::new().route("/v1/{key}/sms/send.json", post(send)).with_state(provider.clone());
            tokio::spawn(async move { axum::serve(listener, app).await });

            let engine = Engine::open(&db).await.unwrap().with_vault(Vault::from_hex(KEY).unwrap());
            engine.create_tenant(NewTenant::parse("kill", "Kill test", None, None, None).unwrap()).await.unwrap();
            let ctx = engine.tenant("kill").await.unwrap();
            engine
                .set_channel(Some(&ctx), "sms", json!({"provider": "kavenegar", "api_key": "k", "base_url": base}))
                .await
                .unwrap();
            let no_quiet = DeliveryRulesInput { quiet_start: None, quiet_end: None, max_per_day: None, max_per_week: None };
            engine.set_delivery_rules(&ctx, &no_quiet).await.unwrap();
            let template: TemplateInput =
                serde_json::from_value(json!({"code": "t", "name": "t", "channel": "sms", "versions": {"fa": {"body": "سلام"}}}))
                    .unwrap();
            engine.create_template(&ctx, &template).await.unwrap();
            for i in 0..MESSAGES {
                let patch = philia_domain::customer::CustomerInput {
                    mobile: Some(format!("0912{:07}", 2_000_000 + i)),
                    ..Default::default()
                };
                let outcome = engine.upsert_customers(&ctx, "api", &[patch.parse().unwrap()]).await.unwrap();
                let id = outcome[0].customer_id;
                let input = SendInput { template: "t".into(), data: None, idempotency_key: Some(format!("m{i}")) };
                engine.send_to_customer(&ctx, id, &input, None).await.unwrap();
            }

            let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_philia"))
                .arg("worker")
                .env("DATABASE_URL", &db)
                .env("PHILIA_SECRET_KEY", KEY)
                .env("RUST_LOG", "warn")
                .spawn()
                .expect("the worker starts");
            // Wait until the worker has recorded the answered messages and holds the rest.
            let deadline = Instant::now() + Duration::from_secs(60);
            let recorded_before_kill = loop {
                let s = statuses(&engine, &ctx).await;
                let sent: HashSet<String> = s.iter().filter(|(_, st)| *st == "sent").map(|(r, _)| r.clone()).collect();
                if sent.len() == ANSWERED && provider.received.lock().unwrap().len() == MESSAGES {
                    break sent;
                }
                assert!(Instant::now() < deadline, "the worker did not get going: {s:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            worker.kill().unwrap();
            worker.wait().unwrap();
            let in_flight: HashSet<String> = provider
                .received
                .lock()
                .unwrap()
                .iter()
                .map(|r| format!("+98{}", &r[1..]))
                .filter(|r| !recorded_before_kill.contains(r))
                .collect();
            assert_eq!(in_flight.len(), MESSAGES - ANSWERED);
            provider.holding.store(false, Ordering::SeqCst);

            // Nothing happens before the lease runs out; after it another sender takes over.
            assert_eq!(engine.deliver_due(philia_engine::now_ms(), 1000).await.unwrap().claimed, 0);
            let later = philia_engine::now_ms() + philia_engine::outbox::LEASE_MS + 1000;
            let round = engine.deliver_due(later, 1000).await.unwrap();
            assert_eq!((round.requeued as usize, round.sent), (MESSAGES - ANSWERED, MESSAGES - ANSWERED));

            let s = statuses(&engine, &ctx).await;
            assert_eq!(s.len(), MESSAGES);
            assert!(s.values().all(|st| st == "sent"), "{s:?}");
            let mut counts: HashMap<String, usize> = HashMap::new();
            for r in provider.received.lock().unwrap().iter() {
                *counts.entry(format!("+98{}", &r[1..])).or_default() += 1;
            }
            assert_eq!(counts.len(), MESSAGES, "every message arrived");
            for (recipient, n) in &counts {
                if recorded_before_kill.contains(recipient) {
                    assert_eq!(*n, 1, "{recipient} was recorded before the kill and must not repeat");
                } else {
                    assert!(*n <= 2 && in_flight.contains(recipient), "{recipient} arrived {n} times");
                }
            }
            engine.store.close().await;
        });
        if let Some(name) = pg {
            common::drop_database(&name);
        }
    }
}
