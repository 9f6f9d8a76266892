//! Staff notes on customers: written by a colleague, edited only by their author with every
//! earlier text kept, and mentions that reach the mentioned colleague's inbox (and their email
//! when the tenant has an email provider).

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::calendar::from_millis;
use philia_domain::messaging::Channel;
use philia_domain::notes::{Note, NoteInput, mention_matches, not_author};
use philia_store::Conn;
use philia_store::messages::NewMessage;
use philia_store::notes::{NoteRow, StaffRef};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffMention {
    pub staff_id: i64,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoteRecord {
    pub id: i64,
    pub customer_id: i64,
    pub author: String,
    pub body: String,
    pub mentions: Vec<StaffMention>,
    /// Mentions that name no colleague (or more than one).
    pub unresolved_mentions: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub edited: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoteVersion {
    pub version: i64,
    pub body: String,
    pub written_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    /// `mention`.
    pub kind: String,
    pub customer_id: Option<i64>,
    pub note_id: Option<i64>,
    pub text: String,
    /// Where the customer is in the admin panel.
    pub link: Option<String>,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// Which colleagues the mentions name: a mention matching exactly one active colleague counts.
fn resolve(mentions: &[String], staff: &[StaffRef]) -> (Vec<StaffMention>, Vec<String>) {
    let mut found = Vec::new();
    let mut unresolved = Vec::new();
    for m in mentions {
        let matches: Vec<&StaffRef> = staff.iter().filter(|s| !s.3 && mention_matches(m, &s.1)).collect();
        match matches.as_slice() {
            [one] if !found.iter().any(|f: &StaffMention| f.staff_id == one.0) => {
                found.push(StaffMention { staff_id: one.0, email: one.1.clone(), name: one.2.clone() })
            }
            [_] => {}
            _ => unresolved.push(m.clone()),
        }
    }
    (found, unresolved)
}

fn excerpt(text: &str) -> String {
    let short: String = text.chars().take(140).collect();
    if short.len() < text.len() { format!("{short}…") } else { short }
}

impl Engine {
    fn customer_link(&self, customer: i64) -> String {
        format!("{}/admin/customers/{customer}", self.public_url.as_deref().unwrap_or("").trim_end_matches('/'))
    }

    fn note_record(&self, n: &NoteRow, staff: &[StaffRef], unresolved: Vec<String>, edited: bool) -> NoteRecord {
        let ids: Vec<i64> = serde_json::from_str(&n.mentions).unwrap_or_default();
        let mentions = ids
            .iter()
            .filter_map(|id| staff.iter().find(|s| s.0 == *id))
            .map(|s| StaffMention { staff_id: s.0, email: s.1.clone(), name: s.2.clone() })
            .collect();
        NoteRecord {
            id: n.id,
            customer_id: n.customer_id,
            author: n.author_email.clone(),
            body: n.body.clone(),
            mentions,
            unresolved_mentions: unresolved,
            created_at: from_millis(n.created_at).to_string(),
            updated_at: from_millis(n.updated_at).to_string(),
            edited,
        }
    }

    fn author_of(note: &Note, staff: &[StaffRef]) -> Result<i64> {
        staff.iter().find(|s| !s.3 && s.1.eq_ignore_ascii_case(&note.author)).map(|s| s.0).ok_or_else(|| {
            EngineError::field(
                Issue::new("unknown_staff", "is not an active staff member of this tenant", "کارمند فعال این کسب‌وکار نیست")
                    .at("author"),
            )
        })
    }

    /// Tells each newly mentioned colleague (never the author): an inbox entry, and an email when
    /// the tenant (or the platform) has an email provider.
    async fn notify_mentions(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        note: &NoteRow,
        mentioned: &[StaffMention],
        author_name: &str,
        now: i64,
    ) -> Result<()> {
        let profiles = self.store.load_profiles(conn, ctx.id, &[note.customer_id]).await?;
        let customer_name = profiles
            .get(&note.customer_id)
            .map(|p| philia_domain::customer::full_name(p.first_name.as_deref(), p.last_name.as_deref()))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("#{}", note.customer_id));
        let email_ready = self.provider_for(conn, ctx.id, Channel::Email).await?.is_some();
        let text = format!("{author_name} mentioned you on {customer_name}: {}", excerpt(&note.body));
        for m in mentioned.iter().filter(|m| m.staff_id != note.author_id) {
            let id = self.store.allocate_ids(conn, 2).await?;
            let new = self
                .store
                .notify_staff(conn, ctx.id, id[0], m.staff_id, "mention", note.customer_id, note.id, &text, now)
                .await?;
            if new && email_ready {
                let message = NewMessage {
                    id: id[1],
                    customer_id: None,
                    channel: "email".into(),
                    recipient: m.email.clone(),
                    purpose: "transactional".into(),
                    template: None,
                    subject: Some(format!("{author_name} mentioned you: {customer_name}")),
                    body: format!("{text}\n\n{}", self.customer_link(note.customer_id)),
                    html: None,
                    source: format!("mention:{}", note.id),
                    dedupe_key: format!("mention:{}:{}", note.id, m.staff_id),
                    status: "queued".into(),
                    reason: None,
                    due_at: now,
                };
                self.store.insert_messages(conn, ctx.id, &[message], now).await?;
            }
        }
        Ok(())
    }

    pub async fn add_note(&self, ctx: &TenantContext, customer_id: i64, input: &NoteInput) -> Result<NoteRecord> {
        let note = input.parse()?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let customer = self.live_customer(&mut tx, ctx, customer_id).await?;
        let staff = self.store.staff_refs(&mut tx, ctx.id).await?;
        let author_id = Self::author_of(&note, &staff)?;
        let (mentioned, unresolved) = resolve(&note.mentions, &staff);
        let row = NoteRow {
            id: self.store.allocate_ids(&mut tx, 1).await?[0],
            customer_id: customer,
            author_id,
            author_email: note.author.clone(),
            body: note.body.clone(),
            mentions: serde_json::to_string(&mentioned.iter().map(|m| m.staff_id).collect::<Vec<_>>()).expect("ids serialise"),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_note(&mut tx, ctx.id, &row).await?;
        let author_name = staff.iter().find(|s| s.0 == author_id).map(|s| s.2.clone()).unwrap_or_default();
        self.notify_mentions(&mut tx, ctx, &row, &mentioned, &author_name, now).await?;
        philia_store::commit(tx).await?;
        self.outbox_signal.notify_one();
        Ok(self.note_record(&row, &staff, unresolved, false))
    }

    /// Replaces a note's text; only its author may. The earlier text is kept as a version;
    /// colleagues mentioned for the first time are told.
    pub async fn edit_note(&self, ctx: &TenantContext, customer_id: i64, note_id: i64, input: &NoteInput) -> Result<NoteRecord> {
        let note = input.parse()?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let customer = self.live_customer(&mut tx, ctx, customer_id).await?;
        let old = self
            .store
            .note(&mut tx, ctx.id, note_id)
            .await?
            .filter(|n| n.customer_id == customer)
            .ok_or(EngineError::NotFound("note"))?;
        let staff = self.store.staff_refs(&mut tx, ctx.id).await?;
        let author_id = Self::author_of(&note, &staff)?;
        if author_id != old.author_id {
            return Err(EngineError::refused(not_author()));
        }
        let (mentioned, unresolved) = resolve(&note.mentions, &staff);
        let mentions = serde_json::to_string(&mentioned.iter().map(|m| m.staff_id).collect::<Vec<_>>()).expect("ids serialise");
        self.store.edit_note(&mut tx, ctx.id, &old, &note.body, &mentions, now).await?;
        let row = NoteRow { body: note.body.clone(), mentions, updated_at: now, ..old };
        let author_name = staff.iter().find(|s| s.0 == author_id).map(|s| s.2.clone()).unwrap_or_default();
        self.notify_mentions(&mut tx, ctx, &row, &mentioned, &author_name, now).await?;
        philia_store::commit(tx).await?;
        self.outbox_signal.notify_one();
        Ok(self.note_record(&row, &staff, unresolved, true))
    }

    pub async fn notes(&self, ctx: &TenantContext, customer_id: i64, limit: i64) -> Result<Vec<NoteRecord>> {
        let mut tx = self.store.begin_read().await?;
        let customer = self.live_customer(&mut tx, ctx, customer_id).await?;
        let staff = self.store.staff_refs(&mut tx, ctx.id).await?;
        let rows = self.store.notes_of(&mut tx, ctx.id, customer, limit.clamp(1, 500)).await?;
        Ok(rows.iter().map(|n| self.note_record(n, &staff, Vec::new(), n.updated_at != n.created_at)).collect())
    }

    /// The earlier texts of a note, oldest first.
    pub async fn note_history(&self, ctx: &TenantContext, customer_id: i64, note_id: i64) -> Result<Vec<NoteVersion>> {
        let mut tx = self.store.begin_read().await?;
        let customer = self.live_customer(&mut tx, ctx, customer_id).await?;
        self.store
            .note(&mut tx, ctx.id, note_id)
            .await?
            .filter(|n| n.customer_id == customer)
            .ok_or(EngineError::NotFound("note"))?;
        let versions = self.store.note_versions(&mut tx, ctx.id, note_id).await?;
        Ok(versions
            .into_iter()
            .map(|(version, body, at)| NoteVersion { version, body, written_at: from_millis(at).to_string() })
            .collect())
    }

    /// A staff member's notifications, newest first.
    pub async fn staff_inbox(
        &self,
        ctx: &TenantContext,
        staff_id: i64,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let mut tx = self.store.begin_read().await?;
        if !self.store.staff_refs(&mut tx, ctx.id).await?.iter().any(|s| s.0 == staff_id) {
            return Err(EngineError::NotFound("staff member"));
        }
        let rows = self.store.inbox(&mut tx, ctx.id, staff_id, unread_only, limit.clamp(1, 500)).await?;
        Ok(rows
            .into_iter()
            .map(|n| Notification {
                id: n.id,
                kind: n.kind,
                link: n.customer_id.map(|c| self.customer_link(c)),
                customer_id: n.customer_id,
                note_id: n.note_id,
                text: n.text,
                created_at: from_millis(n.created_at).to_string(),
                read_at: n.read_at.map(|t| from_millis(t).to_string()),
            })
            .collect())
    }

    pub async fn mark_notification_read(&self, ctx: &TenantContext, staff_id: i64, id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let found = self.store.mark_read(&mut tx, ctx.id, staff_id, id, now_ms()).await?;
        philia_store::commit(tx).await?;
        if found { Ok(()) } else { Err(EngineError::NotFound("notification")) }
    }
}
