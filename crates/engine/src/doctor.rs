//! `philia doctor`: checks that an installation can do its work — the database, the platform
//! key against what it sealed, the message providers' addresses, the public address — and says
//! what to fix.

use crate::messaging::seal_context;
use crate::{Engine, Result};
use philia_channels::{EmailProvider, SmsProvider};
use philia_store::health::SealedItem;
use serde::Serialize;
use std::time::Duration;

/// How long a provider's address may take to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Ok,
    Warning,
    Failure,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub area: String,
    pub health: Health,
    pub detail: String,
}

fn check(area: impl Into<String>, health: Health, detail: impl Into<String>) -> Check {
    Check { area: area.into(), health, detail: detail.into() }
}

async fn reachable(host: &str, port: u16) -> std::result::Result<(), String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())),
    }
}

impl Engine {
    pub async fn doctor(&self) -> Result<Vec<Check>> {
        let mut out = Vec::new();
        let version = self.store.schema_version().await?;
        out.push(check(
            "database",
            Health::Ok,
            format!("{:?} answers; schema version {version} of {}", self.store.backend(), philia_store::schema::LATEST),
        ));
        if let Some(answer) = self.store.sqlite_quick_check().await? {
            let health = if answer == "ok" { Health::Ok } else { Health::Failure };
            out.push(check("database file", health, format!("quick check: {answer}")));
        }
        let items = self.store.sealed_items().await?;
        let unopened: Vec<String> = items
            .iter()
            .filter_map(|item| {
                let (sealed, context, name) = match item {
                    SealedItem::Channel { owner, channel, sealed } => {
                        (sealed, seal_context(*owner, channel), format!("{channel} settings of {}", owner_name(*owner)))
                    }
                    SealedItem::Connection { tenant_id, code, sealed } => (
                        sealed,
                        crate::connections::secret_context(*tenant_id, code),
                        format!("the secret of connection {code} (tenant {tenant_id})"),
                    ),
                };
                self.vault.open(sealed, &context).err().map(|_| name)
            })
            .collect();
        out.push(if unopened.is_empty() {
            check("platform key", Health::Ok, format!("{} opens all {} sealed settings", self.vault.source(), items.len()))
        } else {
            check(
                "platform key",
                Health::Failure,
                format!(
                    "{} does not open: {} — set PHILIA_SECRET_KEY to the key they were saved with, or enter them again",
                    self.vault.source(),
                    unopened.join(", ")
                ),
            )
        });
        out.extend(self.provider_checks(&items).await);
        out.push(match &self.public_url {
            Some(url) => check("public address", Health::Ok, format!("links in messages point to {url}")),
            None => check(
                "public address",
                Health::Warning,
                "PHILIA_PUBLIC_URL is not set: links in messages will use the address the server listens on",
            ),
        });
        Ok(out)
    }

    /// Each stored provider: its settings read, and its address accepts a connection.
    async fn provider_checks(&self, items: &[SealedItem]) -> Vec<Check> {
        let mut out = Vec::new();
        let mut platform = (false, false);
        for item in items {
            let SealedItem::Channel { owner, channel, sealed } = item else { continue };
            let area = format!("{channel} provider of {}", owner_name(*owner));
            if *owner == philia_store::messages::PLATFORM {
                match channel.as_str() {
                    "sms" => platform.0 = true,
                    _ => platform.1 = true,
                }
            }
            let Ok(plain) = self.vault.open(sealed, &seal_context(*owner, channel)) else { continue };
            let parsed = match channel.as_str() {
                "sms" => serde_json::from_str::<SmsProvider>(&plain).map(|p| (p.name(), p.endpoint(), p.problems())),
                _ => serde_json::from_str::<EmailProvider>(&plain).map(|p| (p.name(), p.endpoint(), p.problems())),
            };
            let (name, endpoint, problems) = match parsed {
                Ok(p) => p,
                Err(e) => {
                    out.push(check(area, Health::Failure, format!("stored settings do not read: {e}")));
                    continue;
                }
            };
            if !problems.is_empty() {
                let text: Vec<String> = problems.iter().map(|(f, m)| format!("{f}: {m}")).collect();
                out.push(check(area, Health::Failure, format!("{name}: {}", text.join("; "))));
                continue;
            }
            out.push(match endpoint {
                None => check(area, Health::Failure, format!("{name}: the address is not a usable URL")),
                Some((host, port)) => match reachable(&host, port).await {
                    Ok(()) => check(area, Health::Ok, format!("{name} at {host}:{port} accepts connections")),
                    Err(e) => check(area, Health::Failure, format!("{name} at {host}:{port} cannot be reached: {e}")),
                },
            });
        }
        if !platform.0 {
            out.push(check(
                "sms provider of the platform",
                Health::Warning,
                "none: tenants without their own SMS provider cannot send club sign-in codes or SMS (`philia channel set sms …`)",
            ));
        }
        if !platform.1 {
            out.push(check(
                "email provider of the platform",
                Health::Warning,
                "none: tenants without their own email provider cannot send email (`philia channel set email …`)",
            ));
        }
        out
    }
}

fn owner_name(owner: i64) -> String {
    if owner == philia_store::messages::PLATFORM { "the platform".into() } else { format!("tenant {owner}") }
}
