//! Team accounts: sign-in with a password and a second factor, sessions and their limits,
//! invitations, password resets, throttling that cannot lock the owner out, role changes, and the
//! security log that records them.

use chrono::{Duration, Utc};
use serde_json::json;
use shared::access::{Me, TeamMember};
use shared::api::{ErrorBody, ErrorCode, Page, TimelineEntry};
use tocsin_tests::{ADMIN_EMAIL, PASSWORD, TestApp, client_with_cookie, set_cookie, spawn_app};

fn next_code(app: &TestApp) -> String {
    // The harness's sign-up used the current step; the next one is still accepted (clock drift).
    app.admin.code_at(Utc::now() + Duration::seconds(30))
}

/// Every entry of this year's security log, described.
async fn security_log(app: &TestApp) -> Vec<String> {
    let page: Page<TimelineEntry> =
        app.get_json(&format!("/api/security-log/{}?limit=500", chrono::Datelike::year(&Utc::now()))).await;
    page.items.into_iter().map(|entry| format!("{}: {}", entry.actor, entry.summary)).collect()
}

#[tokio::test]
async fn sign_in_takes_password_and_a_fresh_code_and_sets_a_strict_host_only_cookie() {
    let app = spawn_app().await;
    let wrong = app.sign_in(ADMIN_EMAIL, "not the password at all", &next_code(&app), None).await;
    assert_eq!(wrong.status(), 401);
    let body: ErrorBody = wrong.json().await.unwrap();
    assert_eq!(body.message, "The email address, password or code is not right");

    let replayed = app.admin.code_at(app.admin.enrolled_at);
    let replay = app.sign_in(ADMIN_EMAIL, PASSWORD, &replayed, None).await;
    assert_eq!(replay.status(), 401, "the code used at sign-up does not work again");

    let response = app.sign_in(&ADMIN_EMAIL.to_uppercase(), PASSWORD, &next_code(&app), None).await;
    assert_eq!(response.status(), 200);
    let set =
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    let session = set.iter().find(|c| c.starts_with("__Host-tocsin-session=")).expect("a session cookie");
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{session} lacks {attribute}");
    }
    assert!(!session.contains("Domain") && !session.contains("Max-Age"), "{session}");
    let cookie = set_cookie(&response, "__Host-tocsin-session").unwrap();
    let me: Me = response.json().await.unwrap();
    assert_eq!(me.email, ADMIN_EMAIL);
    let again: Me =
        client_with_cookie(&cookie).get(app.url("/api/session")).send().await.unwrap().json().await.unwrap();
    assert_eq!(again, me);

    // A recovery code works once.
    let code = &app.admin.recovery_codes[0];
    assert_eq!(app.sign_in(ADMIN_EMAIL, PASSWORD, &code.to_uppercase(), None).await.status(), 200);
    assert_eq!(app.sign_in(ADMIN_EMAIL, PASSWORD, code, None).await.status(), 401);

    let log = security_log(&app).await;
    assert!(log.iter().any(|e| e.contains("Sign-in as tyler@tocsin.example from 127.0.0.1 refused")), "{log:#?}");
    assert!(log.iter().any(|e| e.contains("used a recovery code (9 left)")), "{log:#?}");
}

#[tokio::test]
async fn dashboard_routes_need_a_session_and_sign_out_ends_it_on_the_server() {
    let app = spawn_app().await;
    let anonymous = reqwest::Client::new();
    let response = anonymous.get(app.url("/api/reports")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::Unauthorized);
    let forged = client_with_cookie("__Host-tocsin-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(forged.get(app.url("/api/reports")).send().await.unwrap().status(), 401);

    assert_eq!(app.get("/api/reports").await.status(), 200);
    let out = app.client.delete(app.url("/api/session")).send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(app.get("/api/reports").await.status(), 401, "the old cookie is dead on the server too");
}

#[tokio::test]
async fn sessions_end_after_30_idle_minutes_or_12_hours() {
    let app = spawn_app().await;
    let set = |column: &str, ago: Duration| {
        let at = (Utc::now() - ago).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        app.database().execute(&format!("UPDATE sessions SET {column} = ?1"), [at]).unwrap();
    };
    set("last_seen_at", Duration::minutes(29));
    assert_eq!(app.get("/api/session").await.status(), 200, "29 minutes idle is fine, and renews");
    set("last_seen_at", Duration::minutes(31));
    assert_eq!(app.get("/api/session").await.status(), 401);

    let member = app.join_as("member", "Mia Member", "mia@tocsin.example").await;
    set("created_at", Duration::hours(12) + Duration::minutes(1));
    set("last_seen_at", Duration::minutes(1));
    assert_eq!(member.client().get(app.url("/api/session")).send().await.unwrap().status(), 401, "12 h at most");
}

#[tokio::test]
async fn an_invitation_works_once_and_a_reset_still_needs_the_second_factor() {
    let app = spawn_app().await;
    let invited = app
        .client
        .post(app.url("/api/invitations"))
        .json(&json!({ "email": "Nia@Tocsin.Example", "name": "Nia Lead", "role": "lead" }))
        .send()
        .await
        .unwrap();
    assert_eq!(invited.status(), 201);
    let email = app.outbox().pop().unwrap();
    assert_eq!(email.entry.to, ["nia@tocsin.example"]);
    assert!(email.text.contains("Tyler King invited you") && email.text.contains("Team lead"));
    let token = email.text.split("/welcome#").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let again = app
        .client
        .post(app.url("/api/invitations"))
        .json(&json!({ "email": "nia@tocsin.example", "name": "Nia", "role": "lead" }));
    assert_eq!(again.send().await.unwrap().status(), 201, "a second invitation while the first is pending");

    let member = app.join_as("member", "Mia Member", "mia@tocsin.example").await;
    let open = reqwest::Client::new().post(app.url("/api/invitations/open")).json(&json!({ "token": token }));
    assert_eq!(open.send().await.unwrap().status(), 200);
    let garbage = reqwest::Client::new().post(app.url("/api/invitations/open")).json(&json!({ "token": "nope" }));
    assert_eq!(garbage.send().await.unwrap().status(), 409);

    // Password reset: the link goes to the owner; the new password also needs a code.
    let ask = |address: &str| {
        reqwest::Client::new().post(app.url("/api/password-resets")).json(&json!({ "email": address })).send()
    };
    assert_eq!(ask("nobody@tocsin.example").await.unwrap().status(), 202, "the same answer for no account");
    let before = app.outbox().len();
    assert_eq!(ask("mia@tocsin.example").await.unwrap().status(), 202);
    let outbox = app.outbox();
    assert_eq!(outbox.len(), before + 1);
    let reset = outbox.last().unwrap();
    let token = reset.text.split("/reset-password#").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let complete = |password: &str, code: &str| {
        reqwest::Client::new()
            .post(app.url("/api/password-resets/complete"))
            .json(&json!({ "token": token, "password": password, "code": code }))
            .send()
    };
    let refused = complete("another long passphrase", "000000").await.unwrap();
    assert_eq!(refused.status(), 422);
    let fields: ErrorBody = refused.json().await.unwrap();
    assert_eq!(fields.fields[0].field, "code");
    assert_eq!(complete("short", &member.recovery_codes[0]).await.unwrap().status(), 422);
    assert_eq!(complete("another long passphrase", &member.recovery_codes[0]).await.unwrap().status(), 204);
    assert_eq!(complete("a third long passphrase", &member.recovery_codes[1]).await.unwrap().status(), 409, "once");
    assert_eq!(member.client().get(app.url("/api/session")).send().await.unwrap().status(), 401, "signed out");
    let old = app.sign_in("mia@tocsin.example", PASSWORD, &member.recovery_codes[1], None).await;
    assert_eq!(old.status(), 401);
    let new = app.sign_in("mia@tocsin.example", "another long passphrase", &member.recovery_codes[2], None).await;
    assert_eq!(new.status(), 200);
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_without_locking_the_owner_out() {
    let app = spawn_app().await;
    let member = app.join_as("member", "Mia Member", "mia@tocsin.example").await;
    for _ in 0..5 {
        let guess = app.sign_in("mia@tocsin.example", "guess guess guess", "123456", None).await;
        assert_eq!(guess.status(), 401);
    }
    // Even the right password and code are now refused from browsers the account never used...
    let throttled = app.sign_in("mia@tocsin.example", PASSWORD, &member.recovery_codes[0], None).await;
    assert_eq!(throttled.status(), 429);
    // Five failures in this window count until it is no longer the one before: up to 30 minutes.
    assert!(throttled.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() <= 30 * 60);
    assert_eq!(throttled.json::<ErrorBody>().await.unwrap().code, ErrorCode::TooManyRequests);
    // ...but the owner's own browser, which signed in before, still gets in.
    let owner =
        app.sign_in("mia@tocsin.example", PASSWORD, &member.recovery_codes[0], Some(&member.device_cookie)).await;
    assert_eq!(owner.status(), 200);
    assert!(set_cookie(&owner, "__Host-tocsin-device").is_none(), "a known browser keeps its cookie");

    // Per address, across accounts: guessing many addresses from one place stops too.
    for n in 0..25 {
        app.sign_in(&format!("someone{n}@tocsin.example"), "guess guess guess", "123456", None).await;
    }
    assert_eq!(app.sign_in("tyler@tocsin.example", PASSWORD, "123456", None).await.status(), 429);
    // One guesser behind the owner's address (a shared NAT) does not lock out a trusted browser.
    let owner =
        app.sign_in("mia@tocsin.example", PASSWORD, &member.recovery_codes[1], Some(&member.device_cookie)).await;
    assert_eq!(owner.status(), 200, "a trusted browser is not held back by the address's failures");
    let log = security_log(&app).await;
    assert!(log.iter().filter(|e| e.contains("too many failed attempts")).count() >= 2, "{log:#?}");
}

#[tokio::test]
async fn a_client_that_waits_as_told_is_not_refused_again() {
    let app = spawn_app().await;
    let member = app.join_as("member", "Mia Member", "mia@tocsin.example").await;
    // Failures late in one window and early in the next still count together.
    for _ in 0..3 {
        app.sign_in("mia@tocsin.example", "guess guess guess", "123456", None).await;
    }
    app.clock.advance(chrono::Duration::minutes(15));
    for _ in 0..2 {
        app.sign_in("mia@tocsin.example", "guess guess guess", "123456", None).await;
    }
    let throttled = app.sign_in("mia@tocsin.example", PASSWORD, &member.recovery_codes[0], None).await;
    assert_eq!(throttled.status(), 429);
    let retry_after: i64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    app.clock.advance(chrono::Duration::seconds(retry_after));
    let after_waiting = app.sign_in("mia@tocsin.example", PASSWORD, &member.recovery_codes[0], None).await;
    let status = after_waiting.status();
    assert_eq!(
        status,
        200,
        "told {retry_after} s, waited that long, and let in: {}",
        after_waiting.text().await.unwrap()
    );
}

#[tokio::test]
async fn role_changes_sign_the_account_out_are_logged_and_never_remove_the_last_admin() {
    let app = spawn_app().await;
    let member = app.join_as("member", "Mia Member", "mia@tocsin.example").await;
    let team: Vec<TeamMember> = app.get_json("/api/accounts").await;
    assert_eq!(team.len(), 2);
    let admin_id = team.iter().find(|m| m.email == ADMIN_EMAIL).unwrap().id.clone();
    let mia_id = team.iter().find(|m| m.email == "mia@tocsin.example").unwrap().id.clone();

    let patch = |id: &str, body: serde_json::Value| {
        app.client.patch(app.url(&format!("/api/accounts/{id}"))).json(&body).send()
    };
    let last = patch(&admin_id, json!({ "role": "member" })).await.unwrap();
    assert_eq!(last.status(), 409);
    assert!(last.json::<ErrorBody>().await.unwrap().message.contains("last admin"));
    assert_eq!(patch(&admin_id, json!({ "disabled": true })).await.unwrap().status(), 409);

    let promoted: TeamMember = patch(&mia_id, json!({ "role": "lead" })).await.unwrap().json().await.unwrap();
    assert_eq!(promoted.role, shared::access::TeamRole::Lead);
    assert_eq!(member.client().get(app.url("/api/session")).send().await.unwrap().status(), 401);
    let disabled: TeamMember = patch(&mia_id, json!({ "disabled": true })).await.unwrap().json().await.unwrap();
    assert!(disabled.disabled);
    let code = &member.recovery_codes[0];
    assert_eq!(app.sign_in("mia@tocsin.example", PASSWORD, code, Some(&member.device_cookie)).await.status(), 401);

    let log = security_log(&app).await;
    assert!(
        log.contains(&"Tyler King: mia@tocsin.example: role changed from Team member to Team lead".to_owned()),
        "{log:#?}"
    );
    assert!(log.contains(&"Tyler King: mia@tocsin.example: account disabled".to_owned()), "{log:#?}");
    let verification: serde_json::Value =
        app.get_json(&format!("/api/audit/SEC-{}-000001/verify", chrono::Datelike::year(&Utc::now()))).await;
    assert_eq!(verification["broken"], serde_json::Value::Null, "the security log's chain holds");
}

/// A second sign-in is never silent: from a browser the account has not used, its owner is
/// emailed when and from where, with the way to react; from a known browser, nothing is sent.
#[tokio::test]
async fn a_sign_in_from_a_new_browser_is_emailed_to_the_owner() {
    let app = spawn_app().await;
    let member = app.join_as("member", "Mia Member", "mia@tocsin.example").await;
    let told =
        |app: &TestApp| app.outbox().into_iter().filter(|e| e.subject == "New sign-in to your Tocsin account").count();
    assert_eq!(told(&app), 0, "setting the account up is its first browser");

    let known =
        app.sign_in("mia@tocsin.example", PASSWORD, &member.recovery_codes[0], Some(&member.device_cookie)).await;
    assert_eq!(known.status(), 200);
    assert_eq!(told(&app), 0, "a known browser");

    let elsewhere = app.sign_in("mia@tocsin.example", PASSWORD, &member.recovery_codes[1], None).await;
    assert_eq!(elsewhere.status(), 200);
    let sent: Vec<_> = app.outbox().into_iter().filter(|e| e.subject == "New sign-in to your Tocsin account").collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].entry.to, ["mia@tocsin.example"]);
    assert!(sent[0].text.contains("Address: 127.0.0.1"), "{}", sent[0].text);
    assert!(sent[0].text.contains("/forgot-password"), "{}", sent[0].text);
    assert!(sent[0].html.contains("reset your password now"), "{}", sent[0].html);
}
