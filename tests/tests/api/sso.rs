//! Single sign-on against a provider played by the test: the authorization code flow with PKCE,
//! the ID token checked against its JWKS, the groups mapped to a role, and the ways a sign-in
//! must fail (replayed, started in another browser, no mapped group).

use axum::http::header;
use shared::access::{Me, TeamRole};
use tocsin_tests::oidc_provider::{EMAIL, FakeProvider, NAME};
use tocsin_tests::{TestApp, set_cookie, spawn_app_with};

async fn app_with(provider: &FakeProvider) -> TestApp {
    let settings = provider.settings();
    spawn_app_with(move |s| s.oidc = Some(settings)).await
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303, "a redirect");
    response.headers()[header::LOCATION.as_str()].to_str().unwrap().to_owned()
}

/// Starts at Tocsin, passes the provider, and answers the callback URL and the state cookie.
async fn through_the_provider(app: &TestApp) -> (String, String) {
    let start = browser().get(app.url("/api/oidc/start?next=/dashboard/incidents")).send().await.unwrap();
    let state_cookie = set_cookie(&start, "__Host-tocsin-oidc").expect("a state cookie");
    let raw = start.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert!(raw.iter().any(|c| c.contains("SameSite=Lax") && c.contains("HttpOnly")), "{raw:?}");
    let at_provider = browser().get(location(&start)).send().await.unwrap();
    (location(&at_provider), state_cookie)
}

#[tokio::test]
async fn single_sign_on_makes_the_account_from_the_providers_groups() {
    let provider = FakeProvider::start().await;
    provider.set_groups(&["irt", "irt-leads", "sales"]);
    let app = app_with(&provider).await;
    let settings: shared::api::ClientSettings = app.get_json("/api/client-settings").await;
    assert!(settings.single_sign_on);

    let (callback, state_cookie) = through_the_provider(&app).await;
    let done = browser().get(&callback).header("Cookie", &state_cookie).send().await.unwrap();
    assert_eq!(location(&done), "/dashboard/incidents", "back where the sign-in started");
    let session = set_cookie(&done, "__Host-tocsin-session").expect("a session");
    let me: Me = tocsin_tests::client_with_cookie(&session)
        .get(app.url("/api/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((me.email.as_str(), me.name.as_str(), me.role), (EMAIL, NAME, TeamRole::Lead));

    // The same answer twice: the state works once.
    let replay = browser().get(&callback).header("Cookie", &state_cookie).send().await.unwrap();
    assert!(location(&replay).starts_with("/sign-in?sso_error="), "{}", location(&replay));
    // An SSO account has no password to guess.
    assert_eq!(app.sign_in(EMAIL, "", "123456", None).await.status(), 401);
}

#[tokio::test]
async fn a_sign_in_fails_from_another_browser_or_without_a_mapped_group() {
    let provider = FakeProvider::start().await;
    provider.set_groups(&["irt"]);
    let app = app_with(&provider).await;

    // An attacker's callback link opened in the victim's browser carries no matching state cookie.
    let (callback, _) = through_the_provider(&app).await;
    let forced = browser().get(&callback).send().await.unwrap();
    assert!(location(&forced).contains("not%20started%20in%20this%20browser"), "{}", location(&forced));
    assert!(set_cookie(&forced, "__Host-tocsin-session").is_none());

    provider.set_groups(&["sales"]);
    let (callback, state_cookie) = through_the_provider(&app).await;
    let refused = browser().get(&callback).header("Cookie", &state_cookie).send().await.unwrap();
    assert!(location(&refused).contains("no%20group"), "{}", location(&refused));
    assert!(set_cookie(&refused, "__Host-tocsin-session").is_none());
    let team: Vec<shared::access::TeamMember> = app.get_json("/api/accounts").await;
    assert_eq!(team.len(), 1, "no account was made");
}
