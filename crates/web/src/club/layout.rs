//! The club's page shell in the brand's look: its name and logo, its colours and font, a tab bar
//! at the bottom of a phone's screen, and the language switch. Nothing names the platform.

use super::assets;
use super::text::C;
use super::view::ClubView;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use philia_domain::staff_auth::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Home,
    Missions,
    Games,
    Rewards,
    Profile,
    None,
}

const TABS: [(Tab, &str, C, &str); 5] = [
    (Tab::Home, "", C::Home, "⌂"),
    (Tab::Missions, "/missions", C::Missions, "◎"),
    (Tab::Games, "/games", C::Games, "✦"),
    (Tab::Rewards, "/rewards", C::Rewards, "❖"),
    (Tab::Profile, "/me", C::Profile, "☺"),
];

/// The brand's colours and font as CSS variables. The values were checked when saved
/// (`#rrggbb` and a font from a fixed list), so they are safe inside a style element.
fn brand_style(v: &ClubView) -> Markup {
    let css = format!(
        ":root{{--brand:{};--accent:{};font-family:{}}}",
        v.brand.primary_colour,
        v.brand.accent_colour,
        v.brand.font_stack()
    );
    html! { style { (PreEscaped(css)) } }
}

fn head(v: &ClubView, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="theme-color" content=(v.brand.primary_colour);
            title { (title) " · " (v.club_name) }
            link rel="stylesheet" href=(assets::ASSETS.stylesheet_href());
            (brand_style(v))
            script src=(assets::ASSETS.script_href()) defer {}
        }
    }
}

fn brand_bar(v: &ClubView) -> Markup {
    html! {
        header.brand {
            a.club href=(v.href("")) {
                @if let Some(logo) = &v.brand.logo_url { img.logo src=(logo) alt=""; }
                span { (v.club_name) }
            }
            (language_switch(v))
        }
    }
}

/// A page inside a web shop's frame: the brand's bar leads back to the widget's panel; no tabs
/// and no language switch (the shop's page chose the language).
fn framed_page(v: &ClubView, home: &str, title: &str, body: Markup) -> Markup {
    let dir = if v.lang.is_rtl() { "rtl" } else { "ltr" };
    html! {
        (DOCTYPE)
        html lang=(v.lang.as_str()) dir=(dir) {
            (head(v, title))
            body.club.framed.(format!("layout-{}", v.brand.layout)) {
                header.brand {
                    a.club href=(home) {
                        @if let Some(logo) = &v.brand.logo_url { img.logo src=(logo) alt=""; }
                        span { (v.club_name) }
                    }
                }
                main #main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page of the club.
pub fn page(v: &ClubView, tab: Tab, title: &str, body: Markup) -> Markup {
    if let Some(home) = v.frame_home() {
        return framed_page(v, &home, title, body);
    }
    let dir = if v.lang.is_rtl() { "rtl" } else { "ltr" };
    html! {
        (DOCTYPE)
        html lang=(v.lang.as_str()) dir=(dir) {
            (head(v, title))
            body.club.(format!("layout-{}", v.brand.layout)) {
                (brand_bar(v))
                main #main {
                    h1 { (title) }
                    (body)
                }
                @if v.signed_in {
                    nav.tabs aria-label=(v.t(C::Club)) {
                        @for (t, path, label, icon) in TABS {
                            a href=(v.href(path)) aria-current=[(t == tab).then_some("page")] {
                                span.icon aria-hidden="true" { (icon) } span { (v.t(label)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Posts the other language; the page comes back in it.
fn language_switch(v: &ClubView) -> Markup {
    let (other, label) = match v.lang {
        Lang::Fa => ("en", C::English),
        Lang::En => ("fa", C::Persian),
    };
    html! {
        form.lang method="post" action=(v.href("/language")) {
            input type="hidden" name="csrf" value=(v.csrf);
            input type="hidden" name="lang" value=(other);
            button.link type="submit" lang=(other) title=(v.t(C::Language)) { (v.t(label)) }
        }
    }
}

/// The form's proof of its session; inside a shop's frame the form's address carries the shop's
/// token instead, so there is no session to prove.
pub fn csrf_field(v: &ClubView) -> Markup {
    html! { @if v.frame.is_none() { input type="hidden" name="csrf" value=(v.csrf); } }
}

pub fn notice(text: &str, is_error: bool) -> Markup {
    html! { p.notice.error[is_error] role=(if is_error { "alert" } else { "status" }) { (text) } }
}

/// A bar filled to `percent`, with its words for screen readers.
pub fn progress(percent: u8, label: &str) -> Markup {
    html! {
        div.progress role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(percent) aria-label=(label) {
            span style=(format!("width:{percent}%")) {}
        }
    }
}
