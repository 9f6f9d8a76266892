//! The staff web panel at `/admin`: pages rendered on the server in Persian (RTL) or English,
//! forms that work without scripts, charts in SVG. Handlers call the engine like the API's do.

pub mod assets;
pub mod charts;
pub mod condition_builder;
pub mod failure;
pub mod forms;
pub mod guard;
pub mod layout;
pub mod pages;
pub mod session;
pub mod text;
pub mod view;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use pages::{
    automation_editor, automations, branches, branding, campaigns, catalogue, customer_actions, customer_privacy, customers,
    dashboard, earning_rules, feed, games, imports, inbox, integrations, lists, loyalty_classes, messaging, mission_editor,
    missions, networks, onboarding, platform, programme, promotions, push_channel, referrals_cashback, retention, rewards, rfm,
    segments, sign_in, team, template_editor, till_report, webhooks,
};

pub fn router(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/admin", get(dashboard::page))
        .route("/admin/customers", get(customers::list))
        .route("/admin/customers/{id}", get(customers::profile))
        .route("/admin/customers/{id}/edit", post(customer_actions::edit))
        .route("/admin/customers/{id}/notes", post(customer_actions::add_note))
        .route("/admin/customers/{id}/points", post(customer_actions::adjust_points))
        .route("/admin/customers/{id}/merge", post(customer_actions::merge))
        .route("/admin/customers/{id}/export.json", get(customer_privacy::export_json))
        .route("/admin/customers/{id}/export.csv", get(customer_privacy::export_csv))
        .route("/admin/customers/{id}/erase", post(customer_privacy::erase))
        .route("/admin/imports", get(imports::form).post(imports::upload))
        .route("/admin/imports/{id}", get(imports::job))
        .route("/admin/segments", get(segments::list).post(segments::create))
        .route("/admin/segments/new", get(segments::new))
        .route("/admin/segments/count", post(segments::count))
        .route("/admin/segments/{code}", get(segments::show).post(segments::update))
        .route("/admin/segments/{code}/export", get(segments::export))
        .route("/admin/rfm", get(rfm::page))
        .route("/admin/catalogue", get(catalogue::page))
        .route("/admin/catalogue/products", post(catalogue::save_product))
        .route("/admin/catalogue/categories", post(catalogue::save_category))
        .route("/admin/branches", get(branches::list).post(branches::save))
        .route("/admin/branches/{code}", get(branches::show))
        .route("/admin/branches/{code}/stock", post(branches::change_stock))
        .route("/admin/lists", get(lists::page).post(lists::upload))
        .route("/admin/lists/{code}/delete", post(lists::delete))
        .route("/admin/programme", get(programme::page))
        .route("/admin/programme/point-types", post(programme::create_point_type))
        .route("/admin/programme/tiers", post(programme::save_tiers))
        .route("/admin/programme/referrals-cashback", get(referrals_cashback::page))
        .route("/admin/programme/classes", get(loyalty_classes::page).post(loyalty_classes::save))
        .route("/admin/programme/referrals", post(referrals_cashback::save_referrals))
        .route("/admin/programme/cashback", post(referrals_cashback::save_cashback))
        .route("/admin/programme/rules", get(earning_rules::page).post(earning_rules::create))
        .route("/admin/programme/rules/dry-run", post(earning_rules::dry_run))
        .route("/admin/programme/rules/{id}/disable", post(earning_rules::disable))
        .route("/admin/rewards", get(rewards::list).post(rewards::create))
        .route("/admin/rewards/{code}", get(rewards::edit).post(rewards::update))
        .route("/admin/rewards/{code}/off", post(rewards::take_off))
        .route("/admin/rewards/{code}/on", post(rewards::put_on))
        .route("/admin/promotions", get(promotions::list).post(promotions::create))
        .route("/admin/promotions/{code}", get(promotions::show).post(promotions::update))
        .route("/admin/promotions/{code}/codes", post(promotions::generate))
        .route("/admin/promotions/{code}/codes.csv", get(promotions::download))
        .route("/admin/games", get(games::list).post(games::create))
        .route("/admin/games/{code}", get(games::show).post(games::update))
        .route("/admin/missions", get(missions::list).post(mission_editor::create))
        .route("/admin/missions/new", get(mission_editor::new))
        .route("/admin/missions/templates/{code}", post(missions::enable))
        .route("/admin/missions/{code}", get(missions::show).post(missions::update))
        .route("/admin/messaging", get(messaging::page))
        .route("/admin/messaging/sms", post(messaging::save_sms))
        .route("/admin/messaging/email", post(messaging::save_email))
        .route("/admin/messaging/push", post(push_channel::save))
        .route("/admin/messaging/rules", post(messaging::save_rules))
        .route("/admin/messaging/templates", post(template_editor::create))
        .route("/admin/messaging/templates/new", get(template_editor::new))
        .route("/admin/messaging/templates/{code}", get(messaging::template).post(messaging::save_template))
        .route("/admin/automations", get(automations::list).post(automation_editor::create))
        .route("/admin/automations/new", get(automation_editor::new))
        .route("/admin/automations/{code}", get(automations::show).post(automations::update))
        .route("/admin/automations/{code}/pause", post(automations::pause))
        .route("/admin/automations/{code}/resume", post(automations::resume))
        .route("/admin/campaigns", get(campaigns::list).post(campaigns::create))
        .route("/admin/campaigns/{code}", get(campaigns::show))
        .route("/admin/campaigns/{code}/send", post(campaigns::send))
        .route("/admin/campaigns/{code}/cancel", post(campaigns::cancel))
        .route("/admin/settings", get(team::page))
        .route("/admin/setup", get(onboarding::setup))
        .route("/admin/setup/missions", post(onboarding::missions))
        .route("/admin/setup/games/{code}", post(onboarding::game))
        .route("/admin/usage", get(platform::usage))
        .route("/admin/audit", get(platform::audit))
        .route("/admin/retention", get(retention::page).post(retention::save))
        .route("/admin/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/admin/webhooks/{id}", get(webhooks::show))
        .route("/admin/webhooks/{id}/pause", post(webhooks::pause))
        .route("/admin/webhooks/{id}/resume", post(webhooks::resume))
        .route("/admin/webhooks/{id}/deliveries/{delivery}/replay", post(webhooks::replay))
        .route("/admin/networks", get(networks::list))
        .route("/admin/networks/{network}", get(networks::show))
        .route("/admin/networks/{network}/accept", post(networks::accept))
        .route("/admin/networks/{network}/leave", post(networks::leave))
        .route("/admin/networks/{network}/offers", post(networks::publish))
        .route("/admin/networks/{network}/offers/{id}/withdraw", post(networks::withdraw))
        .route("/admin/branding", get(branding::page).post(branding::save))
        .route("/admin/settings/staff", post(team::add_staff))
        .route("/admin/settings/keys", post(team::add_key))
        .route("/admin/settings/keys/{id}/revoke", post(team::revoke_key))
        .route("/admin/settings/keys/{id}/rotate", post(team::rotate_key))
        .route("/admin/till-report", get(till_report::page))
        .route("/admin/integrations", get(integrations::list).post(integrations::create))
        .route("/admin/integrations/{code}", get(integrations::show))
        .route("/admin/integrations/{code}/access", post(integrations::save_access))
        .route("/admin/integrations/{code}/mapping", post(feed::submit))
        .route("/admin/integrations/{code}/backfill", post(integrations::backfill))
        .route("/admin/integrations/{code}/pause", post(integrations::pause))
        .route("/admin/integrations/{code}/resume", post(integrations::resume))
        .route("/admin/integrations/{code}/secret", post(integrations::new_secret))
        .route("/admin/integrations/{code}/deliveries/{id}/retry", post(integrations::retry))
        .route("/admin/inbox", get(inbox::page))
        .route("/admin/inbox/{id}/read", post(inbox::mark_read))
        .route("/admin/language", post(sign_in::language))
        .route("/admin/sign-out", post(sign_in::sign_out))
        .route_layer(axum::middleware::from_fn_with_state(state, guard::guard));
    Router::new()
        .merge(assets::ASSETS.router())
        .route("/admin/sign-in", get(sign_in::page).post(sign_in::submit))
        .route("/admin/sign-up", get(onboarding::page).post(onboarding::submit))
        .merge(signed_in)
}
