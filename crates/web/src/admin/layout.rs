//! The page shell: head, header with the brand, navigation, language switch and sign-out, and
//! the small pieces every form uses.

use super::assets;
use super::forms::FormState;
use super::text::T;
use super::view::View;
use maud::{DOCTYPE, Markup, html};
use philia_domain::staff_auth::Lang;

/// The sections of the panel, in menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Customers,
    Segments,
    Programme,
    Games,
    Messaging,
    Settings,
    Inbox,
    None,
}

const MENU: [(Section, &str, T); 8] = [
    (Section::Dashboard, "/admin", T::Dashboard),
    (Section::Customers, "/admin/customers", T::Customers),
    (Section::Segments, "/admin/segments", T::Segments),
    (Section::Programme, "/admin/programme", T::Programme),
    (Section::Games, "/admin/games", T::Games),
    (Section::Messaging, "/admin/messaging", T::Messaging),
    (Section::Settings, "/admin/settings", T::Settings),
    (Section::Inbox, "/admin/inbox", T::Inbox),
];

fn head(view: &View, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (view.t(T::Product)) }
            link rel="stylesheet" href=(assets::ASSETS.stylesheet_href());
            script src=(assets::ASSETS.script_href()) defer {}
        }
    }
}

/// A page of the signed-in panel.
pub fn page(view: &View, section: Section, title: &str, body: Markup) -> Markup {
    let dir = if view.lang.is_rtl() { "rtl" } else { "ltr" };
    html! {
        (DOCTYPE)
        html lang=(view.lang.as_str()) dir=(dir) {
            (head(view, title))
            body {
                a.skip href="#main" { (title) }
                header.top {
                    div.brand {
                        strong { (view.t(T::Product)) }
                        @if let Some(staff) = &view.staff { span.tenant { (staff.tenant_name) } }
                    }
                    nav.menu aria-label=(view.t(T::Menu)) {
                        @for (s, href, label) in MENU {
                            a href=(href) aria-current=[(s == section).then_some("page")] { (view.t(label)) }
                        }
                    }
                    div.me {
                        @if let Some(staff) = &view.staff { span.who { (staff.name) } }
                        (language_switch(view))
                        form method="post" action="/admin/sign-out" {
                            (csrf_field(view))
                            button.link type="submit" { (view.t(T::SignOut)) }
                        }
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

/// A page outside the panel's navigation (sign-in, a message).
pub fn bare_page(view: &View, title: &str, body: Markup) -> Markup {
    let dir = if view.lang.is_rtl() { "rtl" } else { "ltr" };
    html! {
        (DOCTYPE)
        html lang=(view.lang.as_str()) dir=(dir) {
            (head(view, title))
            body.bare {
                main #main.narrow {
                    p.product { (view.t(T::Product)) }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// Posts the other language; the page comes back in it.
fn language_switch(view: &View) -> Markup {
    let (other, label) = match view.lang {
        Lang::Fa => ("en", T::English),
        Lang::En => ("fa", T::Persian),
    };
    html! {
        form.lang method="post" action="/admin/language" {
            (csrf_field(view))
            input type="hidden" name="lang" value=(other);
            button.link type="submit" lang=(other) title=(view.t(T::Language)) { (view.t(label)) }
        }
    }
}

pub fn csrf_field(view: &View) -> Markup {
    html! { input type="hidden" name="csrf" value=(view.csrf); }
}

/// A labelled input with its error beside it and what was typed kept.
pub fn field(label: &str, name: &str, kind: &str, value: &str, error: Option<&str>) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value)
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())];
            @if let Some(e) = error { p.error id=(err_id) role="alert" { (e) } }
        }
    }
}

/// The name field and the code beside it: typed for a new item; on an edit shown, and sent
/// along unchanged (the code names the item in its address).
pub fn name_and_code(v: &View, form: &FormState, editing: bool) -> Markup {
    html! {
        (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
        @if editing {
            input type="hidden" name="code" value=(form.value("code"));
            div.field { label { (v.t(T::Code)) } code { (form.value("code")) } }
        } @else {
            (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code")))
        }
    }
}

/// A notice at the top of a page (after a save, or an error that is not one field's).
pub fn notice(text: &str, is_error: bool) -> Markup {
    html! { p.notice.error[is_error] role=(if is_error { "alert" } else { "status" }) { (text) } }
}
