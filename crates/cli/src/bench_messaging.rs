//! `bench messaging`: a broadcast campaign to every customer of a tenant, queued and then sent to
//! a local server that speaks Kavenegar's wire format, beside two floors measured in the same
//! run: writing the same number of outbox rows with nothing else to do (the database's share of
//! queuing), and sending the same number of SMS straight through the same provider client at the
//! same concurrency, with no outbox (the provider round trip's share of sending).

use crate::bench_loyalty::{seed_customers, tenant};
use anyhow::{Context, Result};
use axum::routing::post;
use philia_channels::{Kavenegar, Secret, SmsMessage, SmsProvider};
use philia_domain::campaigns::CampaignInput;
use philia_domain::message_templates::TemplateInput;
use philia_domain::messaging::DeliveryRulesInput;
use philia_store::messages::NewMessage;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A Kavenegar-speaking server that accepts every message.
async fn provider() -> Result<(String, Arc<AtomicU64>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let app = axum::Router::new().route(
        "/v1/{key}/sms/send.json",
        post(move || {
            let n = counter.fetch_add(1, Ordering::Relaxed) as i64;
            async move {
                json!({"return": {"status": 200, "message": "تایید شد"},
                       "entries": [{"messageid": 10_000_000 + n, "message": "", "status": 1, "statustext": "در صف ارسال",
                                    "sender": "10004346", "receptor": "", "date": 1356619709, "cost": 120}]})
                .to_string()
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((base, received))
}

pub async fn messaging(database_url: &str, customers: u64) -> Result<()> {
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let engine = crate::open(database_url).await?.with_vault(philia_engine::secrets::Vault::ephemeral());
    let ctx = tenant(&engine, &format!("bench-messaging-{}", std::process::id())).await?;
    let ids = seed_customers(&engine, &ctx, customers).await?;
    let (base, received) = provider().await?;
    let kavenegar = SmsProvider::Kavenegar(Kavenegar { api_key: Secret::new("bench"), sender: None, base_url: Some(base) });
    engine.set_channel(Some(&ctx), "sms", serde_json::to_value(&kavenegar)?).await.map_err(crate::explain)?;
    let no_quiet = DeliveryRulesInput { quiet_start: None, quiet_end: None, max_per_day: None, max_per_week: None };
    engine.set_delivery_rules(&ctx, &no_quiet).await.map_err(crate::explain)?;
    let template: TemplateInput = serde_json::from_value(json!({
        "code": "broadcast", "name": "broadcast", "channel": "sms",
        "versions": {"fa": {"body": "{{ customer.first_name }} عزیز، {{ points | number }} امتیاز دارید. شب یلدا مبارک!"}}
    }))?;
    engine.create_template(&ctx, &template).await.map_err(crate::explain)?;

    // Floor 1: the same number of outbox rows written in the same chunks, already final
    // (skipped), so the sender never sees them.
    eprintln!("writing {customers} outbox rows (floor)…");
    let started = Instant::now();
    let now = philia_engine::now_ms();
    for chunk in ids.chunks(5_000) {
        let mut tx = engine.store.begin_write().await?;
        let new_ids = engine.store.allocate_ids(&mut tx, chunk.len()).await?;
        let rows: Vec<NewMessage> = chunk
            .iter()
            .zip(new_ids)
            .map(|(c, id)| NewMessage {
                id,
                customer_id: Some(*c),
                channel: "sms".into(),
                recipient: format!("+98919{c:07}"),
                purpose: "marketing".into(),
                template: Some("broadcast".into()),
                subject: None,
                body: "سارا عزیز، ۱٬۰۰۰ امتیاز دارید. شب یلدا مبارک!".into(),
                html: None,
                source: "floor".into(),
                dedupe_key: format!("floor:{c}"),
                status: "skipped".into(),
                reason: Some("floor".into()),
                due_at: now,
            })
            .collect();
        engine.store.insert_messages(&mut tx, ctx.id, &rows, now).await?;
        philia_store::commit(tx).await?;
    }
    let floor_queue = started.elapsed().as_secs_f64();

    eprintln!("queuing a campaign to {customers} customers…");
    let campaign: CampaignInput = serde_json::from_value(json!({"code": "yalda", "name": "yalda", "template": "broadcast"}))?;
    engine.create_campaign(&ctx, &campaign).await.map_err(crate::explain)?;
    let started = Instant::now();
    let record = engine.send_campaign(&ctx, "yalda").await.map_err(crate::explain)?;
    let queue = started.elapsed().as_secs_f64();
    let queued = record.messages.get("queued").copied().unwrap_or(0);
    anyhow::ensure!(queued == customers as i64, "queued {queued} of {customers}");

    eprintln!("sending {queued} messages through the outbox…");
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let round = engine.deliver_due(philia_engine::now_ms(), 500).await.map_err(crate::explain)?;
        if round.claimed == 0 {
            break;
        }
        sent += round.sent;
    }
    let send = started.elapsed().as_secs_f64();
    anyhow::ensure!(sent as i64 == queued, "sent {sent} of {queued}");

    eprintln!("sending {customers} messages straight through the provider client (floor)…");
    let channels = philia_channels::Channels::new();
    let limiter = Arc::new(tokio::sync::Semaphore::new(64));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in &ids {
        let (channels, provider, permit) = (channels.clone(), kavenegar.clone(), limiter.clone().acquire_owned().await?);
        let message = SmsMessage { to: format!("+98919{c:07}"), text: "شب یلدا مبارک!".into(), lookup: None };
        tasks.spawn(async move {
            let r = channels.send_sms(&provider, &message).await;
            drop(permit);
            r
        });
    }
    while let Some(r) = tasks.join_next().await {
        r?.map_err(|e| anyhow::anyhow!(e)).context("the floor's send")?;
    }
    let floor_send = started.elapsed().as_secs_f64();
    anyhow::ensure!(received.load(Ordering::Relaxed) == 2 * customers, "the provider saw every message");

    let per_second = |n: f64, s: f64| (n / s).round();
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "backend": backend,
            "customers": customers,
            "queue_seconds": crate::bench::round(queue),
            "queue_floor_seconds": crate::bench::round(floor_queue),
            "send_per_second": per_second(queued as f64, send),
            "send_floor_per_second": per_second(customers as f64, floor_send),
        }))?
    );
    Ok(())
}
