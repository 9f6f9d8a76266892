//! The schema, written once in the SQL both databases accept, applied as numbered migrations.

use crate::Result;
use crate::db::{Backend, Store};
use sqlx::{Executor, Row};

/// Migration 1: tenants, access, customers and identities, catalogue, facts and rollups.
const V1: &[&str] = &[
    "CREATE TABLE tenants (
        id BIGINT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL, currency TEXT NOT NULL,
        time_zone TEXT NOT NULL, calendar TEXT NOT NULL, created_at BIGINT NOT NULL)",
    "CREATE TABLE api_keys (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
        prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL,
        revoked_at BIGINT, PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE staff_users (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, email TEXT NOT NULL, name TEXT NOT NULL,
        role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at BIGINT NOT NULL, disabled_at BIGINT,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, email))",
    "CREATE TABLE customers (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, merged_into BIGINT,
        first_name TEXT, last_name TEXT, gender TEXT, birth_date TEXT,
        province TEXT, city TEXT, address_line TEXT, postal_code TEXT,
        mobile TEXT, email TEXT, social TEXT NOT NULL DEFAULT '{}', attributes TEXT NOT NULL DEFAULT '{}',
        tags TEXT NOT NULL DEFAULT '[]', interests TEXT NOT NULL DEFAULT '[]',
        sms_opt_in BIGINT, sms_consent_at BIGINT, email_opt_in BIGINT, email_consent_at BIGINT,
        tier TEXT, loyalty_class TEXT, rfm_segment TEXT,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX customers_mobile ON customers (tenant_id, mobile)",
    "CREATE INDEX customers_email ON customers (tenant_id, email)",
    "CREATE INDEX customers_last_name ON customers (tenant_id, last_name)",
    "CREATE INDEX customers_first_name ON customers (tenant_id, first_name)",
    "CREATE TABLE customer_tags (
        tenant_id BIGINT NOT NULL, tag TEXT NOT NULL, customer_id BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, tag, customer_id))",
    "CREATE INDEX customer_tags_customer ON customer_tags (tenant_id, customer_id)",
    "CREATE TABLE customer_identities (
        tenant_id BIGINT NOT NULL, key TEXT NOT NULL, customer_id BIGINT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, key))",
    "CREATE INDEX customer_identities_customer ON customer_identities (tenant_id, customer_id)",
    "CREATE TABLE customer_merges (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, survivor_id BIGINT NOT NULL, merged_id BIGINT NOT NULL,
        merged_profile TEXT NOT NULL, merged_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE consent_log (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, customer_id BIGINT NOT NULL, channel TEXT NOT NULL,
        opted_in BIGINT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX consent_log_customer ON consent_log (tenant_id, customer_id)",
    "CREATE TABLE identity_conflicts (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, created_at BIGINT NOT NULL, source TEXT NOT NULL,
        keys TEXT NOT NULL, customer_ids TEXT NOT NULL, chosen_customer_id BIGINT NOT NULL,
        status TEXT NOT NULL, PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE categories (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, parent_code TEXT,
        updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE products (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, sku TEXT NOT NULL, name TEXT NOT NULL, category_code TEXT,
        price BIGINT NOT NULL, active BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, sku))",
    "CREATE TABLE branches (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, city TEXT,
        address TEXT, active BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE branch_stock (
        tenant_id BIGINT NOT NULL, branch_id BIGINT NOT NULL, product_id BIGINT NOT NULL,
        quantity BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, branch_id, product_id))",
    "CREATE TABLE stock_movements (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, branch_id BIGINT NOT NULL, product_id BIGINT NOT NULL,
        delta BIGINT NOT NULL, quantity_after BIGINT NOT NULL, reason TEXT, at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE invoices (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, source TEXT NOT NULL, external_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL, customer_id BIGINT, issued_at BIGINT NOT NULL, day TEXT NOT NULL,
        channel TEXT NOT NULL, branch_code TEXT, status TEXT NOT NULL,
        subtotal BIGINT NOT NULL, discount BIGINT NOT NULL, shipping BIGINT NOT NULL, total BIGINT NOT NULL,
        refunded_total BIGINT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, external_id, source))",
    "CREATE INDEX invoices_customer ON invoices (tenant_id, customer_id, issued_at)",
    "CREATE TABLE invoice_lines (
        tenant_id BIGINT NOT NULL, invoice_id BIGINT NOT NULL, line_no BIGINT NOT NULL,
        sku TEXT, product_name TEXT, category TEXT, quantity_milli BIGINT NOT NULL,
        unit_price BIGINT NOT NULL, discount BIGINT NOT NULL, total BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, invoice_id, line_no))",
    "CREATE TABLE refunds (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, invoice_id BIGINT NOT NULL, customer_id BIGINT,
        source TEXT NOT NULL, external_id TEXT NOT NULL, amount BIGINT NOT NULL, reason TEXT,
        refunded_at BIGINT NOT NULL, day TEXT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, source, external_id))",
    "CREATE INDEX refunds_invoice ON refunds (tenant_id, invoice_id)",
    "CREATE INDEX refunds_customer ON refunds (tenant_id, customer_id)",
    "CREATE TABLE events (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, event_key TEXT, customer_id BIGINT, type TEXT NOT NULL,
        source TEXT NOT NULL, occurred_at BIGINT NOT NULL, day TEXT NOT NULL, properties TEXT NOT NULL,
        created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, event_key))",
    "CREATE INDEX events_customer ON events (tenant_id, customer_id, occurred_at)",
    "CREATE TABLE customer_stats (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL,
        first_purchase_at BIGINT, first_purchase_day TEXT, last_purchase_at BIGINT,
        invoice_count BIGINT NOT NULL, gross_spend BIGINT NOT NULL, refund_total BIGINT NOT NULL,
        refund_count BIGINT NOT NULL, refunded_invoice_count BIGINT NOT NULL, event_count BIGINT NOT NULL,
        first_login_at BIGINT, last_login_at BIGINT, last_logout_at BIGINT,
        PRIMARY KEY (tenant_id, customer_id))",
    "CREATE TABLE customer_category_stats (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, category TEXT NOT NULL,
        lines BIGINT NOT NULL, quantity_milli BIGINT NOT NULL, spend BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, category))",
    "CREATE TABLE customer_event_stats (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, type TEXT NOT NULL,
        count BIGINT NOT NULL, first_at BIGINT NOT NULL, last_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, type))",
    "CREATE TABLE customer_days (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, day TEXT NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, day))",
    "CREATE TABLE tenant_daily_stats (
        tenant_id BIGINT NOT NULL, day TEXT NOT NULL, sales BIGINT NOT NULL, invoices BIGINT NOT NULL,
        refunds BIGINT NOT NULL, refund_count BIGINT NOT NULL, new_customers BIGINT NOT NULL,
        active_customers BIGINT NOT NULL, events BIGINT NOT NULL, PRIMARY KEY (tenant_id, day))",
    "CREATE TABLE import_staging (
        tenant_id BIGINT NOT NULL, import_id BIGINT NOT NULL, group_key TEXT NOT NULL, row_no BIGINT NOT NULL,
        data TEXT NOT NULL, PRIMARY KEY (tenant_id, import_id, group_key, row_no))",
];

/// Migration 2: the loyalty ledger — point types, versioned earning rules, ledger entries (earned
/// ones are lots that remember what is left), which lots each debit drew from, balances and
/// rule usage per period.
const V2: &[&str] = &[
    "CREATE TABLE point_types (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, expiry TEXT NOT NULL,
        counts_for_tiers BIGINT NOT NULL, spendable BIGINT NOT NULL, warn_days BIGINT NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE earning_rules (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, rule_id BIGINT NOT NULL, version BIGINT NOT NULL,
        trigger TEXT NOT NULL, body TEXT NOT NULL, effective_from BIGINT NOT NULL, effective_until BIGINT,
        created_at BIGINT NOT NULL, created_by TEXT, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, rule_id, version))",
    "CREATE INDEX earning_rules_trigger ON earning_rules (tenant_id, trigger, effective_from)",
    "CREATE TABLE point_entries (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, customer_id BIGINT NOT NULL, point_type_id BIGINT NOT NULL,
        kind TEXT NOT NULL, points BIGINT NOT NULL, remaining BIGINT NOT NULL, debt_change BIGINT NOT NULL,
        at BIGINT NOT NULL, expires_at BIGINT, warned BIGINT NOT NULL, source_kind TEXT NOT NULL, source_id BIGINT,
        ref_entry_id BIGINT, idem_key TEXT, reason TEXT, actor TEXT, detail TEXT, created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id))",
    "CREATE UNIQUE INDEX point_entries_key ON point_entries (tenant_id, idem_key) WHERE idem_key IS NOT NULL",
    "CREATE INDEX point_entries_account ON point_entries (tenant_id, customer_id, point_type_id, id)",
    "CREATE INDEX point_entries_source ON point_entries (tenant_id, source_kind, source_id)",
    "CREATE INDEX point_entries_ref ON point_entries (tenant_id, ref_entry_id) WHERE ref_entry_id IS NOT NULL",
    "CREATE INDEX point_lots_open ON point_entries (tenant_id, customer_id, point_type_id) WHERE remaining > 0",
    "CREATE INDEX point_lots_expiry ON point_entries (expires_at) WHERE remaining > 0",
    "CREATE TABLE point_draws (
        tenant_id BIGINT NOT NULL, entry_id BIGINT NOT NULL, lot_id BIGINT NOT NULL, points BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, entry_id, lot_id))",
    "CREATE INDEX point_draws_lot ON point_draws (tenant_id, lot_id)",
    "CREATE TABLE point_balances (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, point_type_id BIGINT NOT NULL,
        balance BIGINT NOT NULL, debt BIGINT NOT NULL, earned BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, point_type_id))",
    "CREATE TABLE rule_usage (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, rule_id BIGINT NOT NULL, period TEXT NOT NULL,
        points BIGINT NOT NULL, PRIMARY KEY (tenant_id, customer_id, rule_id, period))",
];

/// Migration 3: tiers — the programme, each customer's tier state, and the history of changes.
const V3: &[&str] = &[
    "CREATE TABLE tier_programmes (tenant_id BIGINT PRIMARY KEY, body TEXT NOT NULL, updated_at BIGINT NOT NULL)",
    "ALTER TABLE customers ADD COLUMN tier_since BIGINT",
    "ALTER TABLE customers ADD COLUMN tier_below_since BIGINT",
    "CREATE TABLE tier_history (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, customer_id BIGINT NOT NULL, from_tier TEXT, to_tier TEXT NOT NULL,
        reason TEXT NOT NULL, metric BIGINT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX tier_history_customer ON tier_history (tenant_id, customer_id, at)",
];

/// Migration 4: point values at checkout, programme settings (cashback, referrals), wallet,
/// rewards catalogue and redemptions, entitlements, discount codes, referrals.
const V4: &[&str] = &[
    "ALTER TABLE point_types ADD COLUMN cash_value BIGINT",
    "CREATE TABLE programme_settings (
        tenant_id BIGINT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, name))",
    "CREATE TABLE wallet_entries (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, customer_id BIGINT NOT NULL, kind TEXT NOT NULL, amount BIGINT NOT NULL,
        available_at BIGINT NOT NULL, source_kind TEXT NOT NULL, source_id BIGINT, ref_entry_id BIGINT, idem_key TEXT,
        reason TEXT, actor TEXT, created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, idem_key))",
    "CREATE INDEX wallet_entries_customer ON wallet_entries (tenant_id, customer_id, id)",
    "CREATE INDEX wallet_entries_source ON wallet_entries (tenant_id, source_kind, source_id)",
    "CREATE TABLE wallet_balances (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, balance BIGINT NOT NULL, PRIMARY KEY (tenant_id, customer_id))",
    "CREATE TABLE rewards (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
        stock_left BIGINT, redeemed BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE redemptions (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, reward_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, status TEXT NOT NULL,
        points BIGINT NOT NULL, point_entry_id BIGINT NOT NULL, idem_key TEXT NOT NULL, outcome TEXT NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, idem_key))",
    "CREATE INDEX redemptions_customer ON redemptions (tenant_id, customer_id, reward_id)",
    "CREATE TABLE entitlements (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, customer_id BIGINT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
        quantity BIGINT NOT NULL, valid_until BIGINT, redemption_id BIGINT, created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX entitlements_customer ON entitlements (tenant_id, customer_id, kind)",
    "CREATE TABLE promotions (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, body TEXT NOT NULL, total_limit BIGINT,
        used BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE discount_codes (
        tenant_id BIGINT NOT NULL, code TEXT NOT NULL, promotion_id BIGINT NOT NULL, customer_id BIGINT,
        used BIGINT NOT NULL DEFAULT 0, expires_at BIGINT, PRIMARY KEY (tenant_id, code))",
    "CREATE INDEX discount_codes_promotion ON discount_codes (tenant_id, promotion_id)",
    "CREATE TABLE promotion_customer_usage (
        tenant_id BIGINT NOT NULL, promotion_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, used BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, promotion_id, customer_id))",
    "CREATE TABLE code_usages (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, promotion_id BIGINT NOT NULL, customer_id BIGINT,
        status TEXT NOT NULL, invoice_id BIGINT, amount BIGINT NOT NULL, expires_at BIGINT, idem_key TEXT,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, idem_key))",
    "CREATE INDEX code_usages_code ON code_usages (tenant_id, code)",
    "CREATE INDEX code_usages_reserved ON code_usages (expires_at) WHERE status = 'reserved'",
    "CREATE TABLE referrals (
        tenant_id BIGINT NOT NULL, referee_id BIGINT NOT NULL, referrer_id BIGINT NOT NULL, status TEXT NOT NULL,
        created_at BIGINT NOT NULL, decided_at BIGINT, invoice_id BIGINT, PRIMARY KEY (tenant_id, referee_id))",
    "CREATE INDEX referrals_referrer ON referrals (tenant_id, referrer_id)",
];

/// Migration 5: RFM scores kept per customer, and the history of their segment changes; dynamic
/// segments and static lists with their members; the sales and refunds of identified customers
/// per day (for the average customer value over time).
const V5: &[&str] = &[
    "ALTER TABLE tenant_daily_stats ADD COLUMN customer_sales BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE tenant_daily_stats ADD COLUMN customer_refunds BIGINT NOT NULL DEFAULT 0",
    "UPDATE tenant_daily_stats SET customer_sales = x.amount FROM (
        SELECT tenant_id, day, SUM(total) AS amount FROM invoices WHERE status = 'completed' AND customer_id IS NOT NULL
        GROUP BY tenant_id, day) x WHERE x.tenant_id = tenant_daily_stats.tenant_id AND x.day = tenant_daily_stats.day",
    "UPDATE tenant_daily_stats SET customer_refunds = x.amount FROM (
        SELECT tenant_id, day, SUM(amount) AS amount FROM refunds WHERE customer_id IS NOT NULL
        GROUP BY tenant_id, day) x WHERE x.tenant_id = tenant_daily_stats.tenant_id AND x.day = tenant_daily_stats.day",
    "CREATE TABLE customer_rfm (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, r BIGINT NOT NULL, f BIGINT NOT NULL, m BIGINT NOT NULL,
        segment TEXT NOT NULL, scored_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, customer_id))",
    "CREATE TABLE rfm_history (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, customer_id BIGINT NOT NULL, from_segment TEXT, to_segment TEXT,
        at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX rfm_history_customer ON rfm_history (tenant_id, customer_id, at)",
    // Reports count the buyers of a range of days.
    "CREATE INDEX customer_days_day ON customer_days (tenant_id, day, customer_id)",
    "CREATE TABLE segments (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
        rule TEXT NOT NULL, members BIGINT NOT NULL, evaluated_at BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE lists (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, members BIGINT NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE list_members (
        tenant_id BIGINT NOT NULL, list_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, added_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, list_id, customer_id))",
    "CREATE INDEX list_members_customer ON list_members (tenant_id, customer_id)",
    "CREATE TABLE segment_members (
        tenant_id BIGINT NOT NULL, segment_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, since BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, segment_id, customer_id))",
];

/// Migration 6: chance games, their prizes' stock and daily wins, each player's next committed
/// seed, and every play with what proves its draw.
const V6: &[&str] = &[
    "CREATE TABLE games (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE game_prizes (
        tenant_id BIGINT NOT NULL, game_id BIGINT NOT NULL, code TEXT NOT NULL, stock_left BIGINT, won BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, game_id, code))",
    "CREATE TABLE game_prize_days (
        tenant_id BIGINT NOT NULL, game_id BIGINT NOT NULL, code TEXT NOT NULL, day TEXT NOT NULL, won BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, game_id, code, day))",
    "CREATE TABLE game_players (
        tenant_id BIGINT NOT NULL, game_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, seed TEXT NOT NULL,
        commitment TEXT NOT NULL, nonce BIGINT NOT NULL, plays BIGINT NOT NULL, day TEXT, plays_day BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, game_id, customer_id))",
    "CREATE TABLE game_plays (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, game_id BIGINT NOT NULL, customer_id BIGINT NOT NULL,
        idem_key TEXT NOT NULL, at BIGINT NOT NULL, day TEXT NOT NULL, paid_with TEXT NOT NULL, cost_points BIGINT NOT NULL,
        cost_value BIGINT, prize TEXT NOT NULL, prize_kind TEXT NOT NULL, prize_value BIGINT, outcome TEXT NOT NULL,
        seed TEXT NOT NULL, commitment TEXT NOT NULL, next_commitment TEXT NOT NULL, client_seed TEXT NOT NULL,
        nonce BIGINT NOT NULL, weights TEXT NOT NULL, roll BIGINT NOT NULL, reels TEXT,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, idem_key))",
    "CREATE INDEX game_plays_day ON game_plays (tenant_id, game_id, day)",
    "CREATE INDEX game_plays_customer ON game_plays (tenant_id, customer_id, game_id, id)",
];

/// Migration 7: missions and journeys, and each customer's progress per mission period.
const V7: &[&str] = &[
    "CREATE TABLE missions (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, body TEXT NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE mission_progress (
        tenant_id BIGINT NOT NULL, mission_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, period TEXT NOT NULL,
        step BIGINT NOT NULL, current BIGINT NOT NULL, seen TEXT NOT NULL, status TEXT NOT NULL, joined_at BIGINT NOT NULL,
        deadline_at BIGINT, completed_at BIGINT, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, mission_id, customer_id, period))",
    "CREATE INDEX mission_progress_customer ON mission_progress (tenant_id, customer_id)",
    "CREATE INDEX mission_progress_deadline ON mission_progress (deadline_at) WHERE status = 'active'",
];

/// Migration 8: messaging: provider settings per channel (sealed), message templates, the outbox
/// that is also the delivery log, and recipients that cannot receive.
const V8: &[&str] = &[
    "CREATE TABLE channel_settings (
        tenant_id BIGINT NOT NULL, channel TEXT NOT NULL, provider TEXT NOT NULL, sealed TEXT NOT NULL,
        updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, channel))",
    "CREATE TABLE message_templates (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, channel TEXT NOT NULL, body TEXT NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE messages (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, customer_id BIGINT, channel TEXT NOT NULL, recipient TEXT NOT NULL,
        purpose TEXT NOT NULL, template TEXT, subject TEXT, body TEXT NOT NULL, html TEXT, source TEXT NOT NULL,
        dedupe_key TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, attempts BIGINT NOT NULL, due_at BIGINT NOT NULL,
        lease_until BIGINT, provider TEXT, provider_id TEXT, cost BIGINT, created_at BIGINT NOT NULL, sent_at BIGINT,
        updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, dedupe_key))",
    "CREATE INDEX messages_due ON messages (due_at) WHERE status = 'queued'",
    "CREATE INDEX messages_leased ON messages (lease_until) WHERE status = 'sending'",
    "CREATE INDEX messages_customer ON messages (tenant_id, customer_id, created_at)",
    "CREATE INDEX messages_source ON messages (tenant_id, source, id)",
    "CREATE INDEX messages_reports ON messages (sent_at) WHERE status = 'sent' AND provider_id IS NOT NULL",
    "CREATE TABLE undeliverable (
        tenant_id BIGINT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL, reason TEXT NOT NULL, at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, channel, recipient))",
];

/// Migration 9: broadcast campaigns and who each was sent to or held out from.
const V9: &[&str] = &[
    "CREATE TABLE campaigns (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
        send_at BIGINT, lease_until BIGINT, launched_at BIGINT, finished_at BIGINT, created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE INDEX campaigns_due ON campaigns (send_at) WHERE status IN ('scheduled', 'sending')",
    "CREATE TABLE campaign_members (
        tenant_id BIGINT NOT NULL, campaign_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, held_out BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, campaign_id, customer_id))",
];

/// Migration 10: automations, how far each has read its trigger's facts, and every run (one per
/// customer per occurrence).
const V10: &[&str] = &[
    "CREATE TABLE automations (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL, body TEXT NOT NULL, paused BIGINT NOT NULL,
        position BIGINT NOT NULL, scanned_day TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code))",
    "CREATE TABLE automation_runs (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, automation_id BIGINT NOT NULL, customer_id BIGINT NOT NULL,
        occurrence TEXT NOT NULL, data TEXT NOT NULL, due_at BIGINT NOT NULL, status TEXT NOT NULL, result TEXT,
        lease_until BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, automation_id, customer_id, occurrence))",
    "CREATE INDEX automation_runs_due ON automation_runs (due_at) WHERE status = 'queued'",
    "CREATE INDEX automation_runs_leased ON automation_runs (lease_until) WHERE status = 'running'",
    "CREATE INDEX automation_runs_of ON automation_runs (tenant_id, automation_id, id)",
];

/// Migration 11: staff notes on customers with their earlier versions, and staff inboxes.
const V11: &[&str] = &[
    "CREATE TABLE customer_notes (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, customer_id BIGINT NOT NULL, author_id BIGINT NOT NULL,
        body TEXT NOT NULL, mentions TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX customer_notes_customer ON customer_notes (tenant_id, customer_id, id)",
    "CREATE TABLE customer_note_versions (
        tenant_id BIGINT NOT NULL, note_id BIGINT NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL,
        written_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, note_id, version))",
    "CREATE TABLE staff_notifications (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, staff_id BIGINT NOT NULL, kind TEXT NOT NULL, customer_id BIGINT,
        note_id BIGINT, text TEXT NOT NULL, created_at BIGINT NOT NULL, read_at BIGINT,
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, staff_id, note_id, kind))",
    "CREATE INDEX staff_notifications_inbox ON staff_notifications (tenant_id, staff_id, id)",
];

/// Staff sign-in for the admin panel: sessions, the reading language, and wrong-password counts.
const V12: &[&str] = &[
    "ALTER TABLE staff_users ADD COLUMN lang TEXT NOT NULL DEFAULT 'fa'",
    "CREATE TABLE staff_sessions (
        token_hash TEXT PRIMARY KEY, tenant_id BIGINT NOT NULL, staff_id BIGINT NOT NULL, csrf TEXT NOT NULL,
        created_at BIGINT NOT NULL, seen_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
    "CREATE INDEX staff_sessions_staff ON staff_sessions (tenant_id, staff_id)",
    "CREATE TABLE sign_in_failures (
        email TEXT PRIMARY KEY, failures BIGINT NOT NULL, window_start BIGINT NOT NULL, locked_until BIGINT)",
];

/// The customer club: one-time sign-in codes (hashed), customers' sessions, and the host names
/// brands serve their club on. The till: the branch a staff session sells at, and every action
/// taken at a till with its cashier.
const V13: &[&str] = &[
    "CREATE TABLE club_codes (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, mobile TEXT NOT NULL, address TEXT NOT NULL,
        code_hash TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, attempts BIGINT NOT NULL,
        used_at BIGINT, PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX club_codes_mobile ON club_codes (tenant_id, mobile, created_at)",
    "CREATE INDEX club_codes_address ON club_codes (address, created_at)",
    "CREATE TABLE customer_sessions (
        token_hash TEXT PRIMARY KEY, tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, csrf TEXT NOT NULL,
        lang TEXT NOT NULL, created_at BIGINT NOT NULL, seen_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
    "CREATE INDEX customer_sessions_customer ON customer_sessions (tenant_id, customer_id)",
    "CREATE TABLE club_domains (host TEXT PRIMARY KEY, tenant_id BIGINT NOT NULL)",
    "CREATE INDEX club_domains_tenant ON club_domains (tenant_id)",
    "ALTER TABLE staff_sessions ADD COLUMN branch TEXT",
    "CREATE TABLE pos_actions (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, staff_id BIGINT NOT NULL, branch TEXT NOT NULL,
        action TEXT NOT NULL, invoice_id BIGINT, detail TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX pos_actions_invoice ON pos_actions (tenant_id, invoice_id)",
    "ALTER TABLE products ADD COLUMN search_key TEXT NOT NULL DEFAULT ''",
    "UPDATE products SET search_key = LOWER(sku) || ' ' || LOWER(name)",
];

/// Integrations: a tenant's connections to shops and other systems, every delivery they send
/// (kept before it is answered, applied from the queue), and what Philia holds of each record a
/// connection names (an order's newest applied state and the invoice that counts for it).
const V14: &[&str] = &[
    "CREATE TABLE connections (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
        secret_sealed TEXT NOT NULL, settings_sealed TEXT, currency TEXT NOT NULL, status TEXT NOT NULL,
        sync_state TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
    "CREATE UNIQUE INDEX connections_code ON connections (tenant_id, code)",
    "CREATE TABLE inbound_deliveries (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, connection_id BIGINT NOT NULL, received_at BIGINT NOT NULL,
        topic TEXT NOT NULL, delivery_ref TEXT, body TEXT, status TEXT NOT NULL, attempts BIGINT NOT NULL,
        due_at BIGINT NOT NULL, lease_until BIGINT, outcome TEXT, processed_at BIGINT, PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX inbound_deliveries_due ON inbound_deliveries (status, due_at)",
    "CREATE INDEX inbound_deliveries_connection ON inbound_deliveries (tenant_id, connection_id, id)",
    "CREATE TABLE shop_records (
        tenant_id BIGINT NOT NULL, connection_id BIGINT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL,
        version BIGINT, digest TEXT, generation BIGINT NOT NULL, invoice_id BIGINT, fingerprint TEXT,
        updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, connection_id, kind, record_id))",
];

/// Plans (SPEC J3): tenants made before plans existed keep every feature.
const V15: &[&str] = &["ALTER TABLE tenants ADD COLUMN plan TEXT NOT NULL DEFAULT 'prime'"];

/// The audit log: every change staff, API keys and the operator make to configuration, points,
/// rewards and customers, with what was there before and after.
const V16: &[&str] = &[
    "CREATE TABLE audit_log (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, at BIGINT NOT NULL, actor TEXT NOT NULL, actor_name TEXT NOT NULL,
        action TEXT NOT NULL, entity TEXT NOT NULL, entity_key TEXT NOT NULL, before_value TEXT, after_value TEXT,
        PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity, entity_key, id)",
    "CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor, id)",
];

/// Customers erased at their request: the profile row stays (facts point to it) without
/// anything that identifies the person.
const V17: &[&str] = &[
    "CREATE TABLE customer_erasures (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, erased_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, customer_id))",
];

/// Rotating an API key: the replaced secret may keep working for a grace period.
const V18: &[&str] = &[
    "ALTER TABLE api_keys ADD COLUMN previous_hash TEXT",
    "ALTER TABLE api_keys ADD COLUMN previous_until BIGINT",
    "CREATE INDEX api_keys_previous ON api_keys (previous_hash)",
];

/// Coalition networks (SPEC I1–I4): members and their rates, the people who joined, network
/// points as lots that keep their issuer, exchanges, settlements between members and offers
/// published to the network.
const V19: &[&str] = &[
    "CREATE TABLE networks (
        id BIGINT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL, point_name TEXT NOT NULL,
        point_value BIGINT NOT NULL, currency TEXT NOT NULL, time_zone TEXT NOT NULL, calendar TEXT NOT NULL,
        created_at BIGINT NOT NULL)",
    "CREATE TABLE network_members (
        network_id BIGINT NOT NULL, tenant_id BIGINT NOT NULL, status TEXT NOT NULL, rate_own BIGINT NOT NULL,
        rate_network BIGINT NOT NULL, point_type TEXT, invited_at BIGINT NOT NULL, joined_at BIGINT, left_at BIGINT,
        PRIMARY KEY (network_id, tenant_id))",
    "CREATE INDEX network_members_tenant ON network_members (tenant_id)",
    "CREATE TABLE network_joins (
        network_id BIGINT NOT NULL, tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, mobile TEXT NOT NULL,
        joined_at BIGINT NOT NULL, left_at BIGINT, PRIMARY KEY (network_id, tenant_id, customer_id))",
    "CREATE INDEX network_joins_mobile ON network_joins (network_id, mobile)",
    "CREATE TABLE network_people (
        network_id BIGINT NOT NULL, mobile TEXT NOT NULL, balance BIGINT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (network_id, mobile))",
    "CREATE TABLE network_lots (
        network_id BIGINT NOT NULL, id BIGINT NOT NULL, mobile TEXT NOT NULL, issuer_id BIGINT NOT NULL,
        entry_id BIGINT NOT NULL, points BIGINT NOT NULL, remaining BIGINT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (network_id, id))",
    "CREATE INDEX network_lots_person ON network_lots (network_id, mobile, id)",
    "CREATE TABLE network_entries (
        network_id BIGINT NOT NULL, id BIGINT NOT NULL, mobile TEXT NOT NULL, tenant_id BIGINT NOT NULL,
        customer_id BIGINT NOT NULL, direction TEXT NOT NULL, points BIGINT NOT NULL, own_points BIGINT NOT NULL,
        point_type TEXT NOT NULL, idem_key TEXT NOT NULL, at BIGINT NOT NULL,
        PRIMARY KEY (network_id, id), UNIQUE (network_id, tenant_id, idem_key))",
    "CREATE INDEX network_entries_person ON network_entries (network_id, mobile, id)",
    "CREATE INDEX network_entries_at ON network_entries (network_id, at)",
    "CREATE TABLE network_settlements (
        network_id BIGINT NOT NULL, id BIGINT NOT NULL, entry_id BIGINT NOT NULL, debtor_id BIGINT NOT NULL,
        creditor_id BIGINT NOT NULL, points BIGINT NOT NULL, amount BIGINT NOT NULL, at BIGINT NOT NULL,
        PRIMARY KEY (network_id, id))",
    "CREATE INDEX network_settlements_at ON network_settlements (network_id, at)",
    "CREATE TABLE network_offers (
        network_id BIGINT NOT NULL, id BIGINT NOT NULL, tenant_id BIGINT NOT NULL, promotion_code TEXT NOT NULL,
        title TEXT NOT NULL, description TEXT, valid_days BIGINT NOT NULL, published_at BIGINT NOT NULL,
        withdrawn_at BIGINT, PRIMARY KEY (network_id, id))",
    "CREATE TABLE network_offer_claims (
        network_id BIGINT NOT NULL, offer_id BIGINT NOT NULL, mobile TEXT NOT NULL, shown_by_id BIGINT NOT NULL,
        customer_id BIGINT NOT NULL, code TEXT NOT NULL, claimed_at BIGINT NOT NULL,
        PRIMARY KEY (network_id, offer_id, mobile))",
];

/// Outgoing webhooks: endpoints with the topics they take and how far each source has been read,
/// and deliveries queued with leases like messages.
const V20: &[&str] = &[
    "CREATE TABLE webhook_endpoints (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, url TEXT NOT NULL, topics TEXT NOT NULL, description TEXT,
        secret_sealed TEXT NOT NULL, active BIGINT NOT NULL, invoices_after BIGINT NOT NULL, customers_after BIGINT NOT NULL,
        events_after BIGINT NOT NULL, points_after BIGINT NOT NULL, merges_after BIGINT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE webhook_deliveries (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, endpoint_id BIGINT NOT NULL, customer_id BIGINT, topic TEXT NOT NULL,
        occurrence TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL,
        due_at BIGINT NOT NULL, lease_until BIGINT, response_status BIGINT, last_error TEXT, created_at BIGINT NOT NULL,
        delivered_at BIGINT, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, endpoint_id, occurrence))",
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, due_at)",
    "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, id)",
    "CREATE INDEX webhook_deliveries_customer ON webhook_deliveries (tenant_id, endpoint_id, customer_id, id)",
];

/// Statements that exist in one form per database: the id source.
fn id_source(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Postgres => &["CREATE SEQUENCE IF NOT EXISTS philia_ids START 1000 CACHE 1"],
        Backend::Sqlite => &[
            "CREATE TABLE IF NOT EXISTS id_counter (name TEXT PRIMARY KEY, next_id BIGINT NOT NULL)",
            "INSERT INTO id_counter (name, next_id) VALUES ('ids', 1000) ON CONFLICT (name) DO NOTHING",
        ],
    }
}

/// The schema version a current database has.
/// Events a shop names (Shopify's `X-Shopify-Event-Id`): a retried event is kept once.
const V21: &[&str] = &["CREATE TABLE inbound_event_ids (
        tenant_id BIGINT NOT NULL, connection_id BIGINT NOT NULL, event_id TEXT NOT NULL, delivery_id BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, connection_id, event_id))"];

/// The cashier report reads a branch's or a tenant's till actions by time.
const V22: &[&str] = &["CREATE INDEX pos_actions_at ON pos_actions (tenant_id, at)"];

/// Mission progress keeps the facts that advanced it (so a refund can take its part back) and
/// how many times a refund undid steps already done; a referral remembers the purchase that
/// decided it.
const V23: &[&str] = &[
    "ALTER TABLE mission_progress ADD COLUMN counted TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE mission_progress ADD COLUMN refund_round BIGINT NOT NULL DEFAULT 0",
    "CREATE INDEX referrals_invoice ON referrals (tenant_id, invoice_id)",
];

/// Imports run in the background from the panel, with their progress and outcome.
const V24: &[&str] = &["CREATE TABLE import_jobs (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, rows_read BIGINT NOT NULL,
        report TEXT, error TEXT, started_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))"];

/// The browsers each customer allowed to show the club's notifications (Web Push subscriptions).
const V25: &[&str] = &[
    "CREATE TABLE push_subscriptions (
        tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, customer_id BIGINT NOT NULL, endpoint TEXT NOT NULL,
        p256dh TEXT NOT NULL, auth TEXT NOT NULL, user_agent TEXT, created_at BIGINT NOT NULL, last_sent_at BIGINT,
        PRIMARY KEY (tenant_id, id))",
    "CREATE UNIQUE INDEX push_subscriptions_endpoint ON push_subscriptions (tenant_id, endpoint)",
    "CREATE INDEX push_subscriptions_customer ON push_subscriptions (tenant_id, customer_id)",
];

/// Reports on big tenants: customers per tier and per RFM segment read a narrow index instead of
/// every profile, and the top customers are sought from the highest lifetime spend down.
const V26: &[&str] = &[
    "CREATE INDEX customers_tier_rfm ON customers (tenant_id, tier, rfm_segment, merged_into)",
    "CREATE INDEX customer_stats_gross ON customer_stats (tenant_id, gross_spend)",
];

/// Each purchase day links to the customer's next one (`9999-12-31` when none is known), so the
/// buyers of a range of days are counted from the index of days alone: one row per buyer is the
/// last day in the range whose next day lies past it (`philia_domain::buyer_days`).
const V27: &[&str] = &[
    "ALTER TABLE customer_days ADD COLUMN next_day TEXT NOT NULL DEFAULT '9999-12-31'",
    "UPDATE customer_days SET next_day = COALESCE((SELECT MIN(n.day) FROM customer_days n
        WHERE n.tenant_id = customer_days.tenant_id AND n.customer_id = customer_days.customer_id AND n.day > customer_days.day),
        '9999-12-31')",
    "DROP INDEX customer_days_day",
    "CREATE INDEX customer_days_day ON customer_days (tenant_id, day, next_day, customer_id)",
];

/// A short period's invoices are read by their day (the top customers of a week group them).
const V28: &[&str] = &["CREATE INDEX invoices_day ON invoices (tenant_id, day)"];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Mission progress keeps new facts as JSON lines that a batch appends to, with their number, so
/// a purchase neither reads nor rewrites the facts kept before it (`counted` keeps older ones).
const V29: &[&str] = &[
    "ALTER TABLE mission_progress ADD COLUMN facts TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE mission_progress ADD COLUMN facts_counted BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE mission_progress ADD COLUMN facts_reserved BIGINT NOT NULL DEFAULT 0",
];

/// Discount codes compare byte by byte on PostgreSQL as they do on SQLite: codes are ASCII, and a
/// locale's collation made each comparison in the key's B-tree several times dearer (a million
/// generated codes: ~5 s of index work under `C.UTF-8`, ~2.5 s under `C`).
const V30: &[&str] = &[r#"/* postgres */ ALTER TABLE discount_codes ALTER COLUMN code TYPE TEXT COLLATE "C""#];

/// Live customers per (tier, RFM segment) kept as counts, so the reports and pages that show
/// them (points and tiers, the RFM page and chart, the combined view) read a few rows instead of
/// counting a big tenant's profiles (~70–150 ms for a million). Triggers on `customers` keep them
/// in the same transaction as every change, whatever statement makes it. An empty text stands for
/// no tier or no segment (keys cannot be NULL; tier codes and segments are never empty).
///
/// On SQLite, which has one writer, the triggers add to the counts directly. On PostgreSQL, where
/// transactions write side by side, two of them moving customers between the same tiers in
/// opposite directions would wait on each other's count rows; there the triggers append changes
/// instead, which readers add to the counts and a background job folds in
/// (`Store::fold_count_changes`).
const V31: &[&str] = &[
    "CREATE TABLE customer_counts (
        tenant_id BIGINT NOT NULL, tier TEXT NOT NULL, rfm_segment TEXT NOT NULL, customers BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, tier, rfm_segment))",
    "CREATE TABLE customer_count_changes (tenant_id BIGINT NOT NULL, tier TEXT NOT NULL, rfm_segment TEXT NOT NULL, change BIGINT NOT NULL)",
    "CREATE INDEX customer_count_changes_tenant ON customer_count_changes (tenant_id, tier, rfm_segment)",
    "INSERT INTO customer_counts (tenant_id, tier, rfm_segment, customers)
        SELECT tenant_id, COALESCE(tier, ''), COALESCE(rfm_segment, ''), COUNT(*) FROM customers WHERE merged_into IS NULL
        GROUP BY tenant_id, COALESCE(tier, ''), COALESCE(rfm_segment, '')",
    "/* sqlite */ CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers WHEN NEW.merged_into IS NULL BEGIN
        INSERT INTO customer_counts (tenant_id, tier, rfm_segment, customers)
            VALUES (NEW.tenant_id, COALESCE(NEW.tier, ''), COALESCE(NEW.rfm_segment, ''), 1)
            ON CONFLICT (tenant_id, tier, rfm_segment) DO UPDATE SET customers = customers + 1;
    END",
    "/* sqlite */ CREATE TRIGGER customer_counts_update AFTER UPDATE OF tier, rfm_segment, merged_into ON customers
    WHEN OLD.tier IS NOT NEW.tier OR OLD.rfm_segment IS NOT NEW.rfm_segment OR (OLD.merged_into IS NULL) <> (NEW.merged_into IS NULL)
    BEGIN
        UPDATE customer_counts SET customers = customers - 1 WHERE OLD.merged_into IS NULL AND tenant_id = OLD.tenant_id
            AND tier = COALESCE(OLD.tier, '') AND rfm_segment = COALESCE(OLD.rfm_segment, '');
        INSERT INTO customer_counts (tenant_id, tier, rfm_segment, customers)
            SELECT NEW.tenant_id, COALESCE(NEW.tier, ''), COALESCE(NEW.rfm_segment, ''), 1 WHERE NEW.merged_into IS NULL
            ON CONFLICT (tenant_id, tier, rfm_segment) DO UPDATE SET customers = customers + 1;
    END",
    "/* sqlite */ CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers WHEN OLD.merged_into IS NULL BEGIN
        UPDATE customer_counts SET customers = customers - 1 WHERE tenant_id = OLD.tenant_id
            AND tier = COALESCE(OLD.tier, '') AND rfm_segment = COALESCE(OLD.rfm_segment, '');
    END",
    "/* postgres */ CREATE FUNCTION customer_count_change() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.merged_into IS NULL THEN
            INSERT INTO customer_count_changes (tenant_id, tier, rfm_segment, change)
                VALUES (OLD.tenant_id, COALESCE(OLD.tier, ''), COALESCE(OLD.rfm_segment, ''), -1);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.merged_into IS NULL THEN
            INSERT INTO customer_count_changes (tenant_id, tier, rfm_segment, change)
                VALUES (NEW.tenant_id, COALESCE(NEW.tier, ''), COALESCE(NEW.rfm_segment, ''), 1);
        END IF;
        RETURN NULL;
    END
    $body$",
    "/* postgres */ CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers FOR EACH ROW
        EXECUTE FUNCTION customer_count_change()",
    "/* postgres */ CREATE TRIGGER customer_counts_update AFTER UPDATE OF tier, rfm_segment, merged_into ON customers FOR EACH ROW
        WHEN (OLD.tier IS DISTINCT FROM NEW.tier OR OLD.rfm_segment IS DISTINCT FROM NEW.rfm_segment
            OR (OLD.merged_into IS NULL) <> (NEW.merged_into IS NULL))
        EXECUTE FUNCTION customer_count_change()",
    "/* postgres */ CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers FOR EACH ROW
        EXECUTE FUNCTION customer_count_change()",
];

/// A customer's time between purchases in hundredths of a day, rounded down, from their
/// statistics row (`s`), for customers with two invoices or more (REPORTS.md, G2); a row without
/// purchase times (none is written so) counts as 0.
macro_rules! purchase_gap {
    ($s:literal) => {
        concat!(
            "COALESCE(",
            $s,
            ".last_purchase_at - ",
            $s,
            ".first_purchase_at, 0) * 100 / ((",
            $s,
            ".invoice_count - 1) * 86400000)"
        )
    };
}

/// The two figures of the customers report (G2) that read a big tenant's whole history, kept as
/// counts so a report reads tens of thousands of rows instead of millions:
/// - `purchase_link_counts`: the purchase days (`customer_days`) per (day, next purchase day),
///   from which the buyers of any range are counted (`domain::buyer_days`);
/// - `purchase_gap_counts`: customers with two invoices or more per time between purchases in
///   hundredths of a day, from which the mean, median and histogram come.
///
/// Triggers keep them in the transaction of every change, as with `customer_counts` (V31): on
/// SQLite they add to the counts; on PostgreSQL statement-level triggers append each statement's
/// changes, grouped, for readers to add and the minute job to fold. Days moved between customers
/// by a merge leave the link counts alone (the triggers fire only when a day or its link moves).
const V32: &[&str] = &[
    "CREATE TABLE purchase_link_counts (
        tenant_id BIGINT NOT NULL, day TEXT NOT NULL, next_day TEXT NOT NULL, customers BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, day, next_day))",
    "CREATE TABLE purchase_link_changes (tenant_id BIGINT NOT NULL, day TEXT NOT NULL, next_day TEXT NOT NULL, change BIGINT NOT NULL)",
    "CREATE INDEX purchase_link_changes_tenant ON purchase_link_changes (tenant_id, day)",
    "CREATE TABLE purchase_gap_counts (tenant_id BIGINT NOT NULL, gap BIGINT NOT NULL, customers BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, gap))",
    "CREATE TABLE purchase_gap_changes (tenant_id BIGINT NOT NULL, gap BIGINT NOT NULL, change BIGINT NOT NULL)",
    "CREATE INDEX purchase_gap_changes_tenant ON purchase_gap_changes (tenant_id, gap)",
    "INSERT INTO purchase_link_counts (tenant_id, day, next_day, customers)
        SELECT tenant_id, day, next_day, COUNT(*) FROM customer_days GROUP BY tenant_id, day, next_day",
    concat!(
        "INSERT INTO purchase_gap_counts (tenant_id, gap, customers) SELECT tenant_id, ",
        purchase_gap!("s"),
        ", COUNT(*) FROM customer_stats s WHERE invoice_count >= 2 GROUP BY 1, 2"
    ),
    "/* sqlite */ CREATE TRIGGER purchase_links_insert AFTER INSERT ON customer_days BEGIN
        INSERT INTO purchase_link_counts (tenant_id, day, next_day, customers) VALUES (NEW.tenant_id, NEW.day, NEW.next_day, 1)
            ON CONFLICT (tenant_id, day, next_day) DO UPDATE SET customers = customers + 1;
    END",
    "/* sqlite */ CREATE TRIGGER purchase_links_update AFTER UPDATE OF day, next_day ON customer_days
    WHEN OLD.day <> NEW.day OR OLD.next_day <> NEW.next_day BEGIN
        UPDATE purchase_link_counts SET customers = customers - 1
            WHERE tenant_id = OLD.tenant_id AND day = OLD.day AND next_day = OLD.next_day;
        INSERT INTO purchase_link_counts (tenant_id, day, next_day, customers) VALUES (NEW.tenant_id, NEW.day, NEW.next_day, 1)
            ON CONFLICT (tenant_id, day, next_day) DO UPDATE SET customers = customers + 1;
    END",
    "/* sqlite */ CREATE TRIGGER purchase_links_delete AFTER DELETE ON customer_days BEGIN
        UPDATE purchase_link_counts SET customers = customers - 1
            WHERE tenant_id = OLD.tenant_id AND day = OLD.day AND next_day = OLD.next_day;
    END",
    concat!(
        "/* sqlite */ CREATE TRIGGER purchase_gaps_insert AFTER INSERT ON customer_stats WHEN NEW.invoice_count >= 2 BEGIN
        INSERT INTO purchase_gap_counts (tenant_id, gap, customers) VALUES (NEW.tenant_id, ",
        purchase_gap!("NEW"),
        ", 1) ON CONFLICT (tenant_id, gap) DO UPDATE SET customers = customers + 1;
    END"
    ),
    concat!(
        "/* sqlite */ CREATE TRIGGER purchase_gaps_update AFTER UPDATE OF first_purchase_at, last_purchase_at, invoice_count
    ON customer_stats WHEN (OLD.invoice_count >= 2 OR NEW.invoice_count >= 2)
        AND NOT (OLD.invoice_count >= 2 AND NEW.invoice_count >= 2 AND ",
        purchase_gap!("OLD"),
        " = ",
        purchase_gap!("NEW"),
        ") BEGIN
        UPDATE purchase_gap_counts SET customers = customers - 1
            WHERE OLD.invoice_count >= 2 AND tenant_id = OLD.tenant_id AND gap = ",
        purchase_gap!("OLD"),
        ";
        INSERT INTO purchase_gap_counts (tenant_id, gap, customers) SELECT NEW.tenant_id, ",
        purchase_gap!("NEW"),
        ", 1 WHERE NEW.invoice_count >= 2 ON CONFLICT (tenant_id, gap) DO UPDATE SET customers = customers + 1;
    END"
    ),
    concat!(
        "/* sqlite */ CREATE TRIGGER purchase_gaps_delete AFTER DELETE ON customer_stats WHEN OLD.invoice_count >= 2 BEGIN
        UPDATE purchase_gap_counts SET customers = customers - 1 WHERE tenant_id = OLD.tenant_id AND gap = ",
        purchase_gap!("OLD"),
        ";
    END"
    ),
    "/* postgres */ CREATE FUNCTION purchase_link_change() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO purchase_link_changes (tenant_id, day, next_day, change)
                SELECT tenant_id, day, next_day, COUNT(*) FROM new_rows GROUP BY tenant_id, day, next_day;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO purchase_link_changes (tenant_id, day, next_day, change)
                SELECT tenant_id, day, next_day, -COUNT(*) FROM old_rows GROUP BY tenant_id, day, next_day;
        ELSE
            INSERT INTO purchase_link_changes (tenant_id, day, next_day, change)
                SELECT tenant_id, day, next_day, SUM(change) FROM (
                    SELECT tenant_id, day, next_day, -1 AS change FROM old_rows
                    UNION ALL SELECT tenant_id, day, next_day, 1 FROM new_rows) x
                GROUP BY tenant_id, day, next_day HAVING SUM(change) <> 0;
        END IF;
        RETURN NULL;
    END
    $body$",
    "/* postgres */ CREATE TRIGGER purchase_links_insert AFTER INSERT ON customer_days
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_link_change()",
    "/* postgres */ CREATE TRIGGER purchase_links_update AFTER UPDATE ON customer_days
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_link_change()",
    "/* postgres */ CREATE TRIGGER purchase_links_delete AFTER DELETE ON customer_days
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_link_change()",
    concat!(
        "/* postgres */ CREATE FUNCTION purchase_gap_change() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO purchase_gap_changes (tenant_id, gap, change)
                SELECT tenant_id, ",
        purchase_gap!("s"),
        ", COUNT(*) FROM new_rows s WHERE invoice_count >= 2 GROUP BY 1, 2;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO purchase_gap_changes (tenant_id, gap, change)
                SELECT tenant_id, ",
        purchase_gap!("s"),
        ", -COUNT(*) FROM old_rows s WHERE invoice_count >= 2 GROUP BY 1, 2;
        ELSE
            INSERT INTO purchase_gap_changes (tenant_id, gap, change)
                SELECT tenant_id, gap, SUM(change) FROM (
                    SELECT tenant_id, ",
        purchase_gap!("s"),
        " AS gap, -1 AS change FROM old_rows s WHERE invoice_count >= 2
                    UNION ALL SELECT tenant_id, ",
        purchase_gap!("s"),
        ", 1 FROM new_rows s WHERE invoice_count >= 2) x
                GROUP BY tenant_id, gap HAVING SUM(change) <> 0;
        END IF;
        RETURN NULL;
    END
    $body$"
    ),
    "/* postgres */ CREATE TRIGGER purchase_gaps_insert AFTER INSERT ON customer_stats
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_gap_change()",
    "/* postgres */ CREATE TRIGGER purchase_gaps_update AFTER UPDATE ON customer_stats
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_gap_change()",
    "/* postgres */ CREATE TRIGGER purchase_gaps_delete AFTER DELETE ON customer_stats
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_gap_change()",
];

/// The invoice indexes by customer and by day carry what the top-customers report (G6) adds up,
/// so summing a candidate's spend in a period, or grouping a period's invoices by customer, reads
/// an index alone instead of one table row per invoice (the table lookups were ~0.2 ms a
/// candidate on a 3M-invoice tenant; the biggest spenders hold dozens of invoices). The keys stay
/// (tenant, customer, time) and (tenant, day) for the timelines and daily reads that use them.
///
/// SQLite only: on PostgreSQL, whose index-only scans still visit the table for rows written since
/// the last vacuum, the wider customer index led the planner, on tables not yet analysed after a
/// bulk load, to a nested loop that made the rebuild of 100,000 customers' statistics take minutes
/// instead of seconds.
const V33: &[&str] = &[
    "/* sqlite */ DROP INDEX invoices_customer",
    "/* sqlite */ CREATE INDEX invoices_customer ON invoices (tenant_id, customer_id, issued_at, day, status, total, refunded_total)",
    "/* sqlite */ DROP INDEX invoices_day",
    "/* sqlite */ CREATE INDEX invoices_day ON invoices (tenant_id, day, customer_id, status, total, refunded_total)",
];

/// A segment whose rule demands a least net spend searches from the customers whose gross spend
/// reaches it (crate::segment_range); carrying refunds, invoice count and the last purchase in
/// that index lets the search test the rule's other purchase figures without reading a
/// statistics row per customer (on a 1M-customer tenant, 200,000 row reads cost ~0.4 s).
///
/// SQLite only, for the reason V33 gives: PostgreSQL's planner weighs its own indexes.
const V34: &[&str] = &[
    "/* sqlite */ DROP INDEX customer_stats_gross",
    "/* sqlite */ CREATE INDEX customer_stats_gross ON customer_stats (tenant_id, gross_spend, refund_total, invoice_count, last_purchase_at)",
];

/// Cap usage kept as one row per customer and period holding every capped rule's counter
/// (`philia_domain::cap_usage`) instead of one row per rule: a batch of invoices reads and writes
/// one row per customer and period it touches, found by its key.
const V35: &[&str] = &[
    "CREATE TABLE cap_usage (
        tenant_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, period TEXT NOT NULL, used TEXT NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, period))",
    "INSERT INTO cap_usage (tenant_id, customer_id, period, used)
     SELECT tenant_id, customer_id, period, string_agg(CAST(rule_id AS TEXT) || ':' || CAST(points AS TEXT), ';')
     FROM rule_usage WHERE points <> 0 GROUP BY tenant_id, customer_id, period",
    "DROP TABLE rule_usage",
];

/// The open lots of an account are found through the account's index of entries, which now
/// carries what is left of each entry, instead of through a second index ordered by customer.
/// Every earn entry wrote both, and both are ordered by customer, so a batch of entries dirtied
/// the leaf pages of two such B-trees; an account's entries are next to each other in the
/// index, and `remaining > 0` is tested there without reading the rows.
const V36: &[&str] = &[
    "DROP INDEX point_lots_open",
    "DROP INDEX point_entries_account",
    "CREATE INDEX point_entries_account ON point_entries (tenant_id, customer_id, point_type_id, id, remaining)",
];

const MIGRATIONS: &[&[&str]] = &[
    V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15, V16, V17, V18, V19, V20, V21, V22, V23, V24, V25, V26, V27,
    V28, V29, V30, V31, V32, V33, V34, V35, V36,
];

/// Marks a statement that only PostgreSQL runs (SQLite already has what it sets up, or sets it
/// up in its own words).
const POSTGRES_ONLY: &str = "/* postgres */ ";

/// Marks a statement that only SQLite runs (PostgreSQL's words for the same follow it).
const SQLITE_ONLY: &str = "/* sqlite */ ";

/// The one difference in table definitions: SQLite stores a table whose key is not a single
/// integer as a row table plus a separate index of the key, so every insert writes both. Declared
/// `WITHOUT ROWID`, the rows live in the key's own B-tree and each insert writes once.
/// Only narrow tables gain: wide rows (invoices, lines, events, profiles) make the key B-tree
/// deeper than a row table with an index, which measured slower.
const WITHOUT_ROWID: [&str; 21] = [
    "campaign_members",
    "list_members",
    "segment_members",
    "customer_rfm",
    "customer_tags",
    "customer_identities",
    "customer_stats",
    "customer_category_stats",
    "customer_event_stats",
    "customer_days",
    "tenant_daily_stats",
    "point_draws",
    "point_balances",
    "rule_usage",
    "cap_usage",
    "wallet_balances",
    "discount_codes",
    "promotion_customer_usage",
    "customer_counts",
    "purchase_link_counts",
    "purchase_gap_counts",
];

/// The statement as `backend` runs it, or none when it is not for that database.
fn render(statement: &str, backend: Backend) -> Option<String> {
    if let Some(postgres) = statement.strip_prefix(POSTGRES_ONLY) {
        return (backend == Backend::Postgres).then(|| postgres.to_string());
    }
    if let Some(sqlite) = statement.strip_prefix(SQLITE_ONLY) {
        return (backend == Backend::Sqlite).then(|| sqlite.to_string());
    }
    let table = statement.trim_start().strip_prefix("CREATE TABLE ").and_then(|r| r.split_whitespace().next()).unwrap_or("");
    Some(if backend == Backend::Sqlite && WITHOUT_ROWID.contains(&table) {
        format!("{statement} WITHOUT ROWID")
    } else {
        statement.to_string()
    })
}

impl Store {
    /// Applies every migration not yet applied, all in one transaction. Safe to run from
    /// several processes at once on PostgreSQL (an advisory lock serialises them).
    pub async fn migrate(&self) -> Result<()> {
        self.migrate_up_to(MIGRATIONS.len() as i64).await
    }

    /// Applies the migrations not yet applied up to `last` (a database as an older release left
    /// it, for testing how a migration carries its data forward).
    pub async fn migrate_up_to(&self, last: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            tx.execute("SELECT pg_advisory_xact_lock(7243190)").await?;
        }
        tx.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .await?;
        for stmt in id_source(self.backend()) {
            tx.execute(*stmt).await?;
        }
        let applied: i64 = sqlx::query("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM schema_migrations")
            .fetch_one(&mut *tx)
            .await?
            .try_get("v")?;
        for (i, statements) in MIGRATIONS.iter().enumerate() {
            let version = i as i64 + 1;
            if version <= applied || version > last {
                continue;
            }
            for stmt in statements.iter().filter_map(|s| render(s, self.backend())) {
                tx.execute(crate::bulk::dynamic(stmt)).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(jiff::Timestamp::now().as_millisecond())
                .execute(&mut *tx)
                .await?;
        }
        crate::db::commit(tx).await?;
        Ok(())
    }
}
