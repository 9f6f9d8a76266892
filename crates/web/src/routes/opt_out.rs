//! The customer-facing ends of opting out: the unsubscribe page an email links to, and the
//! address an SMS panel forwards replies to.

use crate::AppState;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use philia_engine::EngineError;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/unsubscribe/{token}", get(confirm_page).post(unsubscribe))
        .route("/hooks/sms/{tenant}/{token}", get(inbound_query).post(inbound_form))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(title_fa: &str, title_en: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"fa\" dir=\"rtl\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title_fa}</title><style>body{{font-family:Vazirmatn,Tahoma,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.8}}\
         button{{font:inherit;padding:.6rem 1.4rem;border-radius:.5rem;border:0;background:#b3261e;color:#fff}}.en{{direction:ltr;color:#555}}</style></head>\
         <body><h1>{title_fa}</h1><p class=\"en\">{title_en}</p>{body}</body></html>"
    ))
}

/// Asks before acting, so a link checker that opens every link does not unsubscribe anyone.
async fn confirm_page(Path(token): Path<String>) -> Html<String> {
    let token = escape(&token);
    page(
        "لغو دریافت پیام",
        "Stop receiving these messages?",
        &format!(
            "<form method=\"post\" action=\"/unsubscribe/{token}\"><button type=\"submit\">بله، دیگر نفرستید / Yes, unsubscribe</button></form>"
        ),
    )
}

/// Withdraws the consent (also the one-click `List-Unsubscribe-Post` of mail clients).
async fn unsubscribe(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match s.engine.unsubscribe(&token).await {
        Ok(done) => {
            let (fa, en) = match done.channel {
                philia_domain::messaging::Channel::Sms => ("پیامک", "text messages"),
                philia_domain::messaging::Channel::Email => ("ایمیل", "emails"),
                philia_domain::messaging::Channel::Push => ("اعلان", "notifications"),
            };
            let name = escape(&done.tenant_name);
            page(
                "لغو شد",
                &format!("You will receive no more marketing {en} from {name}."),
                &format!("<p>دیگر {fa} تبلیغاتی از {name} برای شما فرستاده نمی‌شود.</p>"),
            )
            .into_response()
        }
        Err(EngineError::NotFound(_)) => {
            (StatusCode::NOT_FOUND, page("پیوند نامعتبر", "This link is not valid.", "")).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "unsubscribe failed");
            (StatusCode::INTERNAL_SERVER_ERROR, page("خطا", "Something went wrong; please try again.", "")).into_response()
        }
    }
}

/// Kavenegar forwards replies with `from`, `to`, `message` and `messageid`, by GET or POST.
async fn inbound(s: AppState, tenant: String, token: String, fields: HashMap<String, String>) -> StatusCode {
    let (Some(from), Some(text)) = (fields.get("from"), fields.get("message").or_else(|| fields.get("text"))) else {
        return StatusCode::BAD_REQUEST;
    };
    match s.engine.inbound_sms(&tenant, &token, from, text).await {
        Ok(_) => StatusCode::OK,
        Err(EngineError::Unauthenticated | EngineError::NotFound(_)) => StatusCode::NOT_FOUND,
        Err(e) => {
            tracing::error!(error = %e, "inbound SMS failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

async fn inbound_query(
    State(s): State<AppState>,
    Path((tenant, token)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> StatusCode {
    inbound(s, tenant, token, q).await
}

async fn inbound_form(
    State(s): State<AppState>,
    Path((tenant, token)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> StatusCode {
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    inbound(s, tenant, token, fields).await
}
