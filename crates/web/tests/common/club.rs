//! What the club's tests set up: an SMS provider on the local Kavenegar server, a wheel, a
//! mission that waits for the customer, and reading the code the SMS server received.

use super::TestApp;
use super::panel::{Page, Panel};
use super::providers::Providers;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub async fn connect_sms(app: &TestApp, p: &Providers) {
    let r = app
        .put(
            "/api/v1/channels/sms",
            json!({"provider": "kavenegar", "api_key": "kv-test-key", "sender": "10004346", "base_url": p.base}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A wheel costing 10 points whose prizes are points (`code`, points), equally likely.
pub async fn wheel(app: &TestApp, prizes: &[(&str, i64)]) {
    let prizes: Vec<Value> = prizes
        .iter()
        .map(|(code, points)| json!({"code": code, "label": format!("{points} امتیاز"), "kind": "points", "point_type": "purchase", "points": points, "weight": 1}))
        .collect();
    let r = app
        .post("/api/v1/games", json!({"code": "wheel", "name": "گردونه شانس", "kind": "wheel", "cost": {"point_type": "purchase", "points": 10}, "prizes": prizes}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// The mission `two-buys`: two purchases, started by the customer.
pub async fn opt_in_mission(app: &TestApp) {
    let r = app
        .post(
            "/api/v1/missions",
            json!({"code": "two-buys", "name": "دو خرید", "enrolment": "opt_in",
            "goal": {"fact": "invoice", "target": 2}, "reward": {"point_type": "purchase", "points": 20}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// The six digits of the newest code the SMS server received for `national` (0912… form).
pub fn last_code(p: &Providers, national: &str) -> String {
    let sent = p.sent("kavenegar");
    let msg =
        sent.iter().rev().find(|r| r.fields.get("receptor").map(String::as_str) == Some(national)).expect("a code was sent");
    let text = philia_domain::digits::ascii_digits(&msg.fields["message"]);
    let at = text.find(|c: char| c.is_ascii_digit()).expect("the message has the code");
    text[at..at + 6].to_string()
}

/// Asks for a code for `mobile` from the club's sign-in page.
pub async fn ask_code(club: &mut Panel, slug: &str, mobile: &str) -> Page {
    let page = club.get(&format!("/club/{slug}/sign-in")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    club.post(&format!("/club/{slug}/sign-in"), &[("csrf", &csrf), ("mobile", mobile)]).await
}

pub async fn enter_code(club: &mut Panel, slug: &str, mobile: &str, code: &str) -> Page {
    let csrf = club.cookie("philia_club_pre").expect("the sign-in page set its token");
    club.post(&format!("/club/{slug}/sign-in/code"), &[("csrf", &csrf), ("mobile", mobile), ("code", code)]).await
}

/// A customer signed in to the club of `shop` through the whole SMS round trip.
pub async fn signed_in(app: &TestApp, p: &Providers, mobile: &str) -> Panel {
    let mut club = Panel::new(&app.base);
    let asked = ask_code(&mut club, "shop", mobile).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.html);
    let code = last_code(p, mobile);
    let done = enter_code(&mut club, "shop", mobile, &code).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    club
}

/// The value of a form field in a page.
pub fn field_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).expect("the form has the field") + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}
