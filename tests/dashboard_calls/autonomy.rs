//! Admin and autonomy: `/api/admin/health-check` and `/api/admin/email/broadcast` (admins only;
//! SMTP to a local sink; 503 unset; audited), the bodyguard system check, the learning report
//! and the on-demand profit reinvestment.

use crate::common::{Engine, TestConfig};
use crate::on_both_engines;
use crate::portfolio_support::json_of;
use crate::{seeded, seeded_on, smtp_sink};
use base64::Engine as _;
use serde_json::{json, Value};

async fn audit_actions(app: &crate::common::TestApp, admin: &str) -> Vec<Value> {
    let logs = json_of(app.get_auth("/api/admin/audit-logs", admin).await).await;
    logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"] == "email_broadcast")
        .cloned()
        .collect()
}

async fn admin_routes_are_for_admins_and_email_is_503_when_unset(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let admin = app.admin_token("admin@example.com").await;
    assert_eq!(
        app.get_auth("/api/admin/health-check", &me.token)
            .await
            .status(),
        403
    );
    let resp = app
        .post_auth(
            "/api/admin/email/broadcast",
            &me.token,
            json!({"subject": "s", "message": "m"}),
        )
        .await;
    assert_eq!(resp.status(), 403);

    let h = json_of(app.get_auth("/api/admin/health-check", &admin).await).await;
    assert_eq!(h["services"]["database"], "ok");
    assert_eq!(h["services"]["email"], "not_configured");
    assert_eq!(
        (h["health_score"].as_f64(), h["overall_health"].as_str()),
        (Some(100.0), Some("healthy"))
    );
    assert_eq!(h["statistics"]["users_active"], 2);
    assert_eq!(
        (
            h["statistics"]["bots_total"].as_u64(),
            h["statistics"]["bots_active"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert!(h["warnings"].as_array().unwrap().is_empty());

    let resp = app
        .post_auth(
            "/api/admin/email/broadcast",
            &admin,
            json!({"subject": "Hello", "message": "News"}),
        )
        .await;
    assert_eq!(resp.status(), 503);
    let body = json_of(resp).await;
    assert_eq!(body["error"]["code"], "EMAIL_NOT_CONFIGURED");
    assert!(body["detail"].as_str().unwrap().contains("SMTP_URL"));
    let audited = audit_actions(&app, &admin).await;
    assert_eq!(audited.len(), 1, "refused broadcasts are audited too");
    assert_eq!(audited[0]["details"]["error"], "EMAIL_NOT_CONFIGURED");
}

async fn a_broadcast_mails_every_active_user_through_smtp(engine: Engine) {
    let (port, sink) = smtp_sink::start().await;
    let config = TestConfig::new(&engine)
        .set("SMTP_URL", &format!("smtp://bot:pa%40ss@127.0.0.1:{port}"))
        .set("SMTP_FROM", "noreply@amarktai.test");
    let (app, _me, _clock) = seeded_on(config).await;
    let admin = app.admin_token("admin@example.com").await;
    app.register("reject@example.com").await;

    let resp = app
        .post_auth(
            "/api/admin/email/broadcast",
            &admin,
            json!({"subject": "", "message": " "}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let fields: Vec<String> = json_of(resp).await["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["subject", "message"]);
    assert!(sink.mails().is_empty());

    let resp = app
        .post_auth(
            "/api/admin/email/broadcast",
            &admin,
            json!({"subject": "Maintenance\r\nBcc: x@evil.test", "message": "Back at 10:00.\n.Dot line"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    // owner and admin accepted; the sink refuses reject@example.com.
    assert_eq!(json_of(resp).await, json!({"sent": 2, "failed": 1}));
    let mails = sink.mails();
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["admin@example.com", "owner@example.com"]);
    let m = &mails[0];
    assert_eq!(m.from, "noreply@amarktai.test");
    assert!(
        m.data.contains("Subject: Maintenance  Bcc: x@evil.test\n"),
        "one header line: {}",
        m.data
    );
    assert!(!m.data.contains("\nBcc:"));
    assert!(
        m.data.ends_with("\n\nBack at 10:00.\n..Dot line\n"),
        "dot-stuffed: {}",
        m.data
    );
    let auth = sink.auth.lock().unwrap().clone();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&auth[0])
        .unwrap();
    assert_eq!(decoded, b"\0bot\0pa@ss");

    let audited = audit_actions(&app, &admin).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(
        (
            audited[0]["details"]["sent"].as_u64(),
            audited[0]["details"]["failed"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let h = json_of(app.get_auth("/api/admin/health-check", &admin).await).await;
    assert_eq!(h["services"]["email"], "ok");
}

async fn an_unreachable_mail_server_is_503_and_audited(engine: Engine) {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = TestConfig::new(&engine)
        .set("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))
        .set("SMTP_FROM", "noreply@amarktai.test");
    let (app, _me, _clock) = seeded_on(config).await;
    let admin = app.admin_token("admin@example.com").await;
    let resp = app
        .post_auth(
            "/api/admin/email/broadcast",
            &admin,
            json!({"subject": "Hi", "message": "News"}),
        )
        .await;
    assert_eq!(resp.status(), 503);
    let body = json_of(resp).await;
    assert_eq!(body["error"]["code"], "EMAIL_UNAVAILABLE");
    let audited = audit_actions(&app, &admin).await;
    assert_eq!(audited[0]["details"]["error"], "EMAIL_UNAVAILABLE");
}

async fn the_bodyguard_check_and_learning_report_read_real_results(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let c = json_of(
        app.post_auth(
            "/api/autonomous/bodyguard/system-check",
            &me.token,
            json!(null),
        )
        .await,
    )
    .await;
    // Database, emergency stop, bot Alpha's rules, daily loss: all pass.
    assert_eq!(
        (c["passed_checks"].as_u64(), c["total_checks"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(
        (c["health_score"].as_f64(), c["health_status"].as_str()),
        (Some(100.0), Some("healthy"))
    );
    let t = &c["trading_health"];
    assert_eq!(
        (t["active_bots"].as_u64(), t["trades_today"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (t["total_profit"].as_f64(), t["status"].as_str()),
        (Some(140.0), Some("ok"))
    );
    assert!(c["issues"].as_array().unwrap().is_empty());
    assert!(c["system_health"]["status"].is_string());

    app.post_auth("/api/system/emergency-stop", &me.token, json!({}))
        .await;
    let c = json_of(
        app.post_auth(
            "/api/autonomous/bodyguard/system-check",
            &me.token,
            json!(null),
        )
        .await,
    )
    .await;
    assert_eq!(
        (c["passed_checks"].as_u64(), c["health_score"].as_f64()),
        (Some(3), Some(75.0))
    );
    assert_eq!(
        (
            c["health_status"].as_str(),
            c["trading_health"]["status"].as_str()
        ),
        (Some("degraded"), Some("stopped"))
    );
    assert!(c["warnings"][0]
        .as_str()
        .unwrap()
        .contains("emergency stop"));

    let l = json_of(
        app.post_auth("/api/autonomous/learning/trigger", &me.token, json!(null))
            .await,
    )
    .await;
    let r = &l["report"];
    // +50 +100 +20 -30: 3 of 4 won, 35 on average.
    assert_eq!(
        (
            r["trades_analyzed"].as_u64(),
            r["win_rate"].as_f64(),
            r["avg_profit"].as_f64()
        ),
        (Some(4), Some(75.0), Some(35.0))
    );
    assert_eq!(
        r["updates"],
        json!(["Alpha: 4 trades, 75% won, average 35.00 per trade"])
    );
    assert!(l["message"]
        .as_str()
        .unwrap()
        .contains("no strategy parameters were changed"));
}

async fn reinvestment_moves_paper_profit_into_a_new_bot_once_a_day(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let r = json_of(
        app.post_auth("/api/profits/reinvest", &me.token, json!(null))
            .await,
    )
    .await;
    // Alpha holds 140 above its 1000 start: all of it moves into one new bot.
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(
        (r["amount"].as_f64(), r["bots_updated"].as_u64()),
        (Some(140.0), Some(1))
    );
    assert_eq!(r["new_total_capital"], 1140.0, "moved, not created");
    let bots = json_of(app.get_auth("/api/bots", &me.token).await).await;
    let capitals: Vec<f64> = bots
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["current_capital"].as_f64().unwrap())
        .collect();
    assert_eq!(capitals.len(), 2);
    assert!(
        capitals.contains(&1000.0) && capitals.contains(&140.0),
        "{capitals:?}"
    );
    let again = json_of(
        app.post_auth("/api/profits/reinvest", &me.token, json!(null))
            .await,
    )
    .await;
    assert_eq!(
        (again["success"].as_bool(), again["amount"].as_f64()),
        (Some(false), Some(0.0))
    );
    assert!(again["message"]
        .as_str()
        .unwrap()
        .starts_with("Nothing to reinvest"));
}

on_both_engines!(
    admin_routes_are_for_admins_and_email_is_503_when_unset,
    a_broadcast_mails_every_active_user_through_smtp,
    an_unreachable_mail_server_is_503_and_audited,
    the_bodyguard_check_and_learning_report_read_real_results,
    reinvestment_moves_paper_profit_into_a_new_bot_once_a_day,
);
