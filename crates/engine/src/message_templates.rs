//! Message templates of a tenant, the ready-made library (one per trigger, Persian and English)
//! and previews.

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::message_templates::{MessageTemplate, Rendered, TemplateInput};
use philia_domain::messaging::{Channel, SmsLength, sms_length};
use philia_store::Conn;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored template.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplateRecord {
    pub id: i64,
    #[serde(flatten)]
    pub template: TemplateInput,
}

/// A template rendered for one customer, with the SMS length it bills.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub customer_id: Option<i64>,
    #[serde(flatten)]
    pub rendered: Rendered,
    /// For SMS: characters, encoding and parts.
    pub sms: Option<SmsLength>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    /// The customer to render for; absent: a sample customer.
    pub customer_id: Option<i64>,
    /// `fa` or `en`; absent: the customer's language.
    pub language: Option<String>,
    /// What a trigger would add as `data`.
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableLibraryInput {
    /// A promotion whose personal code the messages carry.
    pub promotion: Option<String>,
}

fn both(code: &str, name: &str, purpose: &str, fa: &str, en: &str) -> TemplateInput {
    serde_json::from_value(json!({
        "code": code, "name": name, "channel": "sms", "purpose": purpose,
        "versions": {"fa": {"body": fa}, "en": {"body": en}}
    }))
    .expect("library templates are valid input")
}

/// Ready-made templates, one per trigger of the automations, in Persian and English.
pub fn library() -> Vec<TemplateInput> {
    let mut out = vec![
        both(
            "welcome",
            "Welcome to the club",
            "marketing",
            "{{ customer.first_name }} عزیز، به باشگاه مشتریان {{ tenant.name }} خوش آمدید! کد معرفی شما: {{ referral_code }}{% if club_link %}\n{{ club_link }}{% endif %}",
            "Welcome to the {{ tenant.name }} club, {{ customer.first_name }}! Your referral code: {{ referral_code }}{% if club_link %}\n{{ club_link }}{% endif %}",
        ),
        both(
            "purchase_thanks",
            "Thanks for your purchase",
            "marketing",
            "{{ customer.first_name }} عزیز، از خرید شما سپاسگزاریم.{% if data.points %} {{ data.points | number }} امتیاز گرفتید.{% endif %} موجودی امتیاز: {{ points | number }}",
            "Thank you for your purchase, {{ customer.first_name }}!{% if data.points %} You earned {{ data.points | number }} points.{% endif %} Balance: {{ points | number }} points.",
        ),
        both(
            "birthday",
            "Happy birthday",
            "marketing",
            "{{ customer.first_name }} عزیز، تولدتان مبارک! 🎂{% if code %} هدیهٔ ما: کد {{ code }} تا {{ code_expires_at | date }}{% endif %}",
            "Happy birthday, {{ customer.first_name }}! 🎂{% if code %} Our gift: code {{ code }}, valid until {{ code_expires_at | date }}.{% endif %}",
        ),
        both(
            "win_back",
            "We miss you",
            "marketing",
            "{{ customer.first_name }} عزیز، دلمان برایتان تنگ شده!{% if code %} با کد {{ code }} تا {{ code_expires_at | date }} تخفیف بگیرید.{% endif %}",
            "We miss you, {{ customer.first_name }}!{% if code %} Use code {{ code }} before {{ code_expires_at | date }} for a discount.{% endif %}",
        ),
        both(
            "mission_completed",
            "Mission completed",
            "marketing",
            "آفرین {{ customer.first_name }}! مأموریت «{{ mission.name }}» را کامل کردید. موجودی امتیاز: {{ points | number }}",
            "Well done, {{ customer.first_name }}! You completed “{{ mission.name }}”. Balance: {{ points | number }} points.",
        ),
        both(
            "tier_changed",
            "New tier",
            "marketing",
            "{{ customer.first_name }} عزیز، سطح شما در باشگاه {{ tenant.name }} اکنون «{{ tier }}» است.",
            "{{ customer.first_name }}, your {{ tenant.name }} club tier is now “{{ tier }}”.",
        ),
        both(
            "points_expiring",
            "Points expiring soon",
            "marketing",
            "{{ customer.first_name }} عزیز، {{ expiring_points | number }} امتیاز شما در {{ expiring_at | date }} منقضی می‌شود. فرصت استفاده را از دست ندهید!",
            "{{ customer.first_name }}, {{ expiring_points | number }} of your points expire on {{ expiring_at | date }}. Use them before then!",
        ),
        both(
            "reward_redeemed",
            "Reward redeemed",
            "transactional",
            "جایزهٔ «{{ data.reward }}» برای شما ثبت شد.{% if data.code %} کد: {{ data.code }}{% endif %} موجودی امتیاز: {{ points | number }}",
            "Your reward “{{ data.reward }}” is confirmed.{% if data.code %} Code: {{ data.code }}.{% endif %} Balance: {{ points | number }} points.",
        ),
        both(
            "login_code",
            "Club sign-in code",
            "transactional",
            "کد ورود شما به باشگاه {{ tenant.name }}: {{ data.code }}\nاین کد را به کسی ندهید.",
            "Your {{ tenant.name }} club sign-in code: {{ data.code }}\nDo not share it.",
        ),
    ];
    out.push(
        serde_json::from_value(json!({
            "code": "welcome_email", "name": "Welcome email", "channel": "email", "purpose": "marketing",
            "versions": {
                "fa": {
                    "subject": "به باشگاه {{ tenant.name }} خوش آمدید",
                    "body": "{{ customer.first_name }} عزیز،\n\nعضویت شما در باشگاه مشتریان {{ tenant.name }} ثبت شد. کد معرفی شما {{ referral_code }} است.\n{{ club_link }}",
                    "html": "<div dir=\"rtl\"><p>{{ customer.first_name }} عزیز،</p><p>عضویت شما در باشگاه مشتریان {{ tenant.name }} ثبت شد. کد معرفی شما <b>{{ referral_code }}</b> است.</p>{% if club_link %}<p><a href=\"{{ club_link }}\">ورود به باشگاه</a></p>{% endif %}</div>"
                },
                "en": {
                    "subject": "Welcome to the {{ tenant.name }} club",
                    "body": "Dear {{ customer.first_name }},\n\nYou are now a member of the {{ tenant.name }} club. Your referral code is {{ referral_code }}.\n{{ club_link }}",
                    "html": "<p>Dear {{ customer.first_name }},</p><p>You are now a member of the {{ tenant.name }} club. Your referral code is <b>{{ referral_code }}</b>.</p>{% if club_link %}<p><a href=\"{{ club_link }}\">Open the club</a></p>{% endif %}"
                }
            }
        }))
        .expect("library templates are valid input"),
    );
    // Push notifications: a title and a line, for the browsers customers allowed in the club.
    for (code, name, fa, en) in [
        (
            "points_expiring_push",
            "Points expiring (push)",
            ("امتیازهایتان منقضی می‌شود", "{{ expiring_points | number }} امتیاز شما در {{ expiring_at | date }} منقضی می‌شود."),
            ("Your points are expiring", "{{ expiring_points | number }} of your points expire on {{ expiring_at | date }}."),
        ),
        (
            "mission_completed_push",
            "Mission completed (push)",
            ("مأموریت انجام شد 🎉", "«{{ mission.name }}» را کامل کردید و جایزه‌اش در باشگاه منتظر شماست."),
            ("Mission complete 🎉", "You completed “{{ mission.name }}”; your reward is waiting in the club."),
        ),
    ] {
        out.push(
            serde_json::from_value(json!({
                "code": code, "name": name, "channel": "push", "purpose": "marketing",
                "versions": {"fa": {"subject": fa.0, "body": fa.1}, "en": {"subject": en.0, "body": en.1}}
            }))
            .expect("library templates are valid input"),
        );
    }
    out
}

/// A customer made up for previews, so a template can be seen before anyone matches.
fn sample_context(ctx: &TenantContext) -> serde_json::Value {
    json!({
        "customer": {"id": 0, "first_name": "سارا", "last_name": "محمدی", "name": "سارا محمدی", "mobile": "+989121234567", "email": "sara@example.com"},
        "tenant": {"name": ctx.name, "slug": ctx.slug},
        "tier": "طلایی",
        "points": 12500,
        "points_by_type": {"purchase": 12500},
        "wallet": 250000,
        "expiring_points": 1500,
        "expiring_at": now_ms() + 7 * 86_400_000,
        "code": "SAMPLE-7K2M9Q",
        "code_expires_at": now_ms() + 30 * 86_400_000,
        "referral_code": "R7K2M9Q",
        "referral_link": null,
        "club_link": null,
        "mission": {"name": "سه خرید در ماه", "current": 2, "target": 3},
    })
}

impl Engine {
    pub(crate) async fn template_in(&self, conn: &mut Conn, ctx: &TenantContext, code: &str) -> Result<MessageTemplate> {
        let row = self.store.template_by_code(conn, ctx.id, code).await?.ok_or(EngineError::NotFound("message template"))?;
        let input: TemplateInput =
            serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("template {code}: {e}")))?;
        input.parse().map_err(EngineError::Invalid)
    }

    async fn check_promotion(&self, conn: &mut Conn, ctx: &TenantContext, t: &MessageTemplate) -> Result<()> {
        if let Some(p) = &t.promotion
            && self.store.promotion_by_code(conn, ctx.id, p).await?.is_none()
        {
            return Err(EngineError::field(
                philia_domain::Issue::new(
                    "unknown_promotion",
                    format!("no promotion has the code {p}"),
                    format!("تخفیفی با کد {p} نیست"),
                )
                .at("promotion"),
            ));
        }
        Ok(())
    }

    pub async fn create_template(&self, ctx: &TenantContext, input: &TemplateInput) -> Result<TemplateRecord> {
        let t = input.parse()?;
        let mut tx = self.store.begin_write().await?;
        self.check_promotion(&mut tx, ctx, &t).await?;
        let id = self.store.allocate_ids(&mut tx, 1).await?[0];
        let body = serde_json::to_string(&t.input).expect("templates serialise");
        if !self.store.insert_template(&mut tx, ctx.id, id, &t.code, t.channel.as_str(), &body, now_ms()).await? {
            return Err(EngineError::conflict(
                "duplicate_code",
                format!("a template with code {} exists", t.code),
                "قالبی با این کد هست",
            ));
        }
        self.audit_in(&mut tx, ctx, "template.create", "template", &t.code, crate::audit::NOTHING, Some(&t.input)).await?;
        philia_store::commit(tx).await?;
        Ok(TemplateRecord { id, template: t.input })
    }

    pub async fn update_template(&self, ctx: &TenantContext, code: &str, input: &TemplateInput) -> Result<TemplateRecord> {
        let t = input.parse()?;
        if t.code != code {
            return Err(EngineError::field(
                philia_domain::Issue::new("code_changed", "must match the template being changed", "باید با کد قالب یکی باشد")
                    .at("code"),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        self.check_promotion(&mut tx, ctx, &t).await?;
        let body = serde_json::to_string(&t.input).expect("templates serialise");
        let was = self.store.template_by_code(&mut tx, ctx.id, code).await?.map(|r| crate::audit::stored(&r.body));
        if !self.store.update_template(&mut tx, ctx.id, code, t.channel.as_str(), &body, now_ms()).await? {
            return Err(EngineError::NotFound("message template"));
        }
        let id = self.store.template_by_code(&mut tx, ctx.id, code).await?.map(|r| r.id).unwrap_or_default();
        self.audit_in(&mut tx, ctx, "template.update", "template", code, was.as_ref(), Some(&t.input)).await?;
        philia_store::commit(tx).await?;
        Ok(TemplateRecord { id, template: t.input })
    }

    pub async fn templates(&self, ctx: &TenantContext) -> Result<Vec<TemplateRecord>> {
        let mut tx = self.store.begin_read().await?;
        let rows = self.store.templates(&mut tx, ctx.id).await?;
        rows.into_iter()
            .map(|r| {
                let template = serde_json::from_str(&r.body).map_err(|e| EngineError::Io(format!("template {}: {e}", r.code)))?;
                Ok(TemplateRecord { id: r.id, template })
            })
            .collect()
    }

    pub async fn template(&self, ctx: &TenantContext, code: &str) -> Result<TemplateRecord> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.template_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("message template"))?;
        let template = serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("template {code}: {e}")))?;
        Ok(TemplateRecord { id: row.id, template })
    }

    /// Copies a ready-made template into the tenant's templates, optionally with a promotion whose
    /// personal code its messages carry.
    pub async fn enable_library_template(
        &self,
        ctx: &TenantContext,
        code: &str,
        input: &EnableLibraryInput,
    ) -> Result<TemplateRecord> {
        let mut t = library().into_iter().find(|t| t.code == code).ok_or(EngineError::NotFound("library template"))?;
        t.promotion = input.promotion.clone();
        self.create_template(ctx, &t).await
    }

    /// Renders a template for a customer (or the sample customer) without sending anything.
    pub async fn preview_template(&self, ctx: &TenantContext, code: &str, input: &PreviewInput) -> Result<Preview> {
        let mut tx = self.store.begin_read().await?;
        let t = self.template_in(&mut tx, ctx, code).await?;
        let (mut context, preferred) = match input.customer_id {
            Some(id) => {
                let id = self.live_customer(&mut tx, ctx, id).await?;
                let mut contexts =
                    self.message_contexts(&mut tx, ctx, &[id], now_ms(), philia_store::messages::Wanted::ALL).await?;
                let c = contexts.remove(&id).ok_or(EngineError::NotFound("customer"))?;
                (c.variables, c.language)
            }
            None => (sample_context(ctx), None),
        };
        drop(tx);
        if let Some(data) = &input.data {
            context["data"] = data.clone();
        }
        if t.promotion.is_some() && context.get("code").is_none_or(|c| c.is_null()) {
            // A preview never issues a real code.
            context["code"] = "SAMPLE-7K2M9Q".into();
            context["code_expires_at"] = (now_ms() + i64::from(t.code_valid_days) * 86_400_000).into();
        }
        let language = input.language.clone().unwrap_or_else(|| t.language_for(preferred.as_deref()));
        let rendered = self.render_for(ctx, &t, &language, &context)?;
        let sms = (t.channel == Channel::Sms).then(|| sms_length(&rendered.body));
        Ok(Preview { customer_id: input.customer_id, rendered, sms })
    }

    pub(crate) fn render_for(
        &self,
        ctx: &TenantContext,
        t: &MessageTemplate,
        language: &str,
        context: &serde_json::Value,
    ) -> Result<Rendered> {
        t.render(language, context, ctx.calendar, ctx.zone.iana_name().unwrap_or("UTC"))
            .map_err(|i| EngineError::field(i.at(format!("versions.{language}"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_templates_are_valid_and_bilingual() {
        let lib = library();
        assert!(lib.len() >= 10);
        for t in lib {
            let parsed = t.parse().unwrap_or_else(|e| panic!("{}: {e}", t.code));
            assert!(parsed.input.versions.contains_key("fa") && parsed.input.versions.contains_key("en"), "{}", t.code);
        }
    }
}
