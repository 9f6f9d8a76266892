//! The till page. The cart lives in the browser (and in its storage, so a lost connection or a
//! reload loses nothing); the script asks the JSON calls in `pos/api.rs` for products,
//! customers, the quote and the sale. The page's words are given to the script here.

use crate::pos::guard::Till;
use crate::pos::layout::{self, who};
use crate::pos::text::P;
use maud::{Markup, html};
use philia_domain::pos::{discount_limit_percent, may_override_stock};

pub async fn page(till: Till) -> Markup {
    let v = till.view();
    let t = |k: P| till.t(k);
    let words = serde_json::json!({
        "empty": t(P::EmptyCart), "remove": t(P::Remove), "walkin": t(P::Walkin), "notFound": t(P::NotFound),
        "points": t(P::Points), "wallet": t(P::Wallet), "tier": t(P::Tier), "codes": t(P::Codes), "stock": t(P::Stock),
        "subtotal": t(P::Subtotal), "discounts": t(P::Discounts), "loyaltyPaid": t(P::LoyaltyPaid), "toPay": t(P::ToPay),
        "earns": t(P::Earns),
    });
    let branch = till.session.branch.clone().unwrap_or_default();
    let body = html! {
        div #offline.notice.error role="alert" hidden { (t(P::Offline)) }
        noscript { p.notice.error { "JavaScript" } }
        div.till data-branch=(branch) data-currency=(v.currency) data-words=(words.to_string())
            data-discount-limit=(discount_limit_percent(till.session.role)) {
            section.products {
                input #search type="search" autocomplete="off" placeholder=(t(P::Search)) aria-label=(t(P::Search)) autofocus;
                ul #results role="listbox" {}
            }
            section.cart {
                h2 { (t(P::Cart)) }
                table #cart {
                    thead { tr { th { (t(P::Product)) } th.num { (t(P::Quantity)) } th.num { (t(P::Price)) } th {} } }
                    tbody {}
                }
                p #cart-empty.muted { (t(P::EmptyCart)) }
            }
            section.customer {
                h2 { (t(P::Customer)) }
                form #find-customer.inline {
                    input #customer-mobile type="tel" dir="ltr" inputmode="numeric" placeholder="09…" aria-label=(t(P::Mobile));
                    button type="submit" { (t(P::Find)) }
                }
                div #customer-card.muted { (t(P::Walkin)) }
                form #add-customer.inline hidden {
                    input #new-name placeholder=(t(P::Name)) aria-label=(t(P::Name));
                    button type="submit" { (t(P::NewCustomer)) }
                }
            }
            section.pay {
                div.field.inline {
                    label for="discount" { (t(P::Discount)) }
                    input #discount type="number" min="0" inputmode="numeric";
                    select #discount-kind aria-label=(t(P::Discount)) {
                        option value="percent" { (t(P::Percent)) } option value="amount" { (t(P::Amount)) }
                    }
                }
                div.field.inline { label for="code" { (t(P::Code)) } input #code autocomplete="off" dir="ltr"; }
                div.field.inline { label for="pay-points" { (t(P::PayPoints)) } input #pay-points type="number" min="0" inputmode="numeric"; }
                div.field.inline { label for="pay-wallet" { (t(P::PayWallet)) } input #pay-wallet type="number" min="0" inputmode="numeric"; }
                @if may_override_stock(till.session.role) {
                    label.check { input #override type="checkbox"; " " (t(P::Override)) }
                }
                p #pay-error.error role="alert" {}
                dl #quote.facts {}
                div.actions {
                    button #quote-button type="button" { (t(P::Quote)) }
                    button #checkout.big type="button" disabled { (t(P::Checkout)) }
                }
            }
        }
    };
    layout::page(&v, t(P::Till), who(&v, till.session.branch.as_deref()), body)
}
