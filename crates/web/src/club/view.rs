//! What every club page renders with: the customer's language, the brand, the tenant's calendar
//! and currency (through the panel's number and date writers), and the session's CSRF token.

use super::text::C;
use crate::admin::view::View;
use philia_domain::club::Branding;
use philia_domain::staff_auth::Lang;
use philia_engine::TenantContext;

#[derive(Debug, Clone)]
pub struct ClubView {
    pub lang: Lang,
    /// Numbers, money and dates in the reader's script and the tenant's calendar.
    pub fmt: View,
    pub brand: Branding,
    pub club_name: String,
    pub slug: String,
    pub csrf: String,
    /// Whether a customer is signed in (the navigation shows).
    pub signed_in: bool,
    /// Inside a web shop's frame: the widget's query (connection, shop token, language), which
    /// every address and form there carries instead of a cookie.
    pub frame: Option<String>,
}

impl ClubView {
    pub fn new(ctx: &TenantContext, brand: Branding, lang: Lang, csrf: String, signed_in: bool) -> ClubView {
        let mut fmt = View::anonymous(lang, csrf.clone());
        fmt.calendar = ctx.calendar;
        fmt.zone = ctx.zone.clone();
        fmt.currency = ctx.currency.clone();
        let club_name = brand.club_name.clone().unwrap_or_else(|| ctx.name.clone());
        ClubView { lang, fmt, brand, club_name, slug: ctx.slug.clone(), csrf, signed_in, frame: None }
    }

    /// The same view for a page inside a shop's frame.
    pub fn framed(mut self, query: String) -> ClubView {
        self.frame = Some(query);
        self
    }

    /// A games address (`rest` after `/games`): in the shop's frame, its own widget page.
    pub fn games_href(&self, rest: &str) -> String {
        match &self.frame {
            Some(q) => format!("/club/{}/widget/games{rest}?{q}", self.slug),
            None => self.href(&format!("/games{rest}")),
        }
    }

    /// The widget's panel, where a framed page leads back to.
    pub fn frame_home(&self) -> Option<String> {
        self.frame.as_ref().map(|q| format!("/club/{}/widget?{q}", self.slug))
    }

    pub fn t(&self, key: C) -> &'static str {
        key.get(self.lang)
    }

    /// An address inside this club.
    pub fn href(&self, path: &str) -> String {
        format!("/club/{}{path}", self.slug)
    }

    /// Text in the reader's language from a pair (engine messages come in both).
    pub fn pick<'a>(&self, en: &'a str, fa: &'a str) -> &'a str {
        if self.lang == Lang::Fa { fa } else { en }
    }
}
