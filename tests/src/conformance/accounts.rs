//! [`AccountStore`]: accounts, emailed tokens, sessions, sign-in failure counts and secrets.

use std::sync::Arc;

use functions::ports::{Account, AccountStore, AccountToken, Session, StoreError, TokenPurpose};
use shared::access::TeamRole;

use super::fixtures::at;

fn account(email: &str) -> Account {
    Account {
        id: format!("id-{email}"),
        email: email.to_owned(),
        name: "Ada".to_owned(),
        role: TeamRole::Member,
        password_hash: "$argon2id$stored".to_owned(),
        totp_secret: vec![7; 20],
        last_totp_step: 0,
        recovery_codes: vec!["hash".to_owned()],
        trusted_devices: vec![],
        disabled: false,
        sessions_valid_after: at(1, 0),
        created_at: at(1, 0),
    }
}

pub async fn accounts_are_unique_by_email_and_change_only_from_what_was_read(accounts: Arc<dyn AccountStore>) {
    accounts.insert_account(account("ada@example.com")).await.unwrap();
    let again = Account { id: "another".into(), ..account("ada@example.com") };
    assert!(matches!(accounts.insert_account(again).await, Err(StoreError::Conflict(_))));
    accounts.insert_account(account("bob@example.com")).await.unwrap();
    let (ada, version) = accounts.account_by_email("ada@example.com").await.unwrap().unwrap();
    assert_eq!(accounts.account(&ada.id).await.unwrap().unwrap(), (ada.clone(), version));
    assert!(accounts.account_by_email("nobody@example.com").await.unwrap().is_none());
    let listed: Vec<String> = accounts.accounts().await.unwrap().into_iter().map(|a| a.email).collect();
    assert_eq!(listed, ["ada@example.com", "bob@example.com"]);

    let lead = Account { role: TeamRole::Lead, last_totp_step: 9, ..ada.clone() };
    accounts.update_account(lead.clone(), version).await.unwrap();
    let stale = Account { role: TeamRole::Admin, ..ada };
    assert!(matches!(accounts.update_account(stale, version).await, Err(StoreError::Conflict(_))), "stale version");
    assert_eq!(accounts.account(&lead.id).await.unwrap().unwrap().0, lead);
}

pub async fn emailed_tokens_work_once_and_never_after_expiry(accounts: Arc<dyn AccountStore>) {
    let purpose =
        TokenPurpose::Invitation { email: "ada@example.com".into(), name: "Ada".into(), role: TeamRole::Lead };
    let token = AccountToken { hash: "a".repeat(64), purpose, expires_at: at(8, 0) };
    accounts.insert_token(token.clone()).await.unwrap();
    assert_eq!(accounts.token(&token.hash, at(7, 0)).await.unwrap(), Some(token.clone()));
    assert_eq!(accounts.token(&token.hash, at(8, 0)).await.unwrap(), None, "expired");
    assert!(matches!(accounts.use_token(&token.hash, at(8, 1)).await, Err(StoreError::Conflict(_))), "expired");
    assert!(accounts.token(&"b".repeat(64), at(7, 0)).await.unwrap().is_none());

    let (first, second) =
        tokio::join!(accounts.use_token(&token.hash, at(7, 0)), accounts.use_token(&token.hash, at(7, 0)));
    assert_eq!([first.is_ok(), second.is_ok()].iter().filter(|ok| **ok).count(), 1, "a token works once");
    assert_eq!(accounts.token(&token.hash, at(7, 0)).await.unwrap(), None, "used");
}

pub async fn sessions_failure_counts_and_secrets_are_kept(accounts: Arc<dyn AccountStore>) {
    let session =
        Session { hash: "s".repeat(64), account: "id-ada".into(), created_at: at(2, 0), last_seen_at: at(2, 0) };
    accounts.insert_session(session.clone()).await.unwrap();
    assert_eq!(accounts.session(&session.hash).await.unwrap(), Some(session.clone()));
    accounts.touch_session(&session.hash, at(2, 1)).await.unwrap();
    assert_eq!(accounts.session(&session.hash).await.unwrap().unwrap().last_seen_at, at(2, 1));
    accounts.delete_session(&session.hash).await.unwrap();
    assert_eq!(accounts.session(&session.hash).await.unwrap(), None);
    accounts.touch_session(&session.hash, at(2, 2)).await.unwrap();
    assert_eq!(accounts.session(&session.hash).await.unwrap(), None, "touching an ended session does not revive it");

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let accounts = accounts.clone();
        tasks.spawn(async move { accounts.add_failure("account:ada", at(3, 0)).await.unwrap() });
    }
    let mut counts: Vec<u32> = tasks.join_all().await;
    counts.sort();
    assert_eq!(counts, [1, 2, 3, 4, 5], "concurrent failures are each counted");
    assert_eq!(accounts.failures("account:ada", at(3, 0)).await.unwrap(), 5);
    assert_eq!(accounts.failures("account:ada", at(3, 1)).await.unwrap(), 0, "another window");
    assert_eq!(accounts.failures("account:bob", at(3, 0)).await.unwrap(), 0);

    let first = accounts.secret("form-ticket", vec![1; 32]).await.unwrap();
    let second = accounts.secret("form-ticket", vec![2; 32]).await.unwrap();
    assert_eq!((first, second), (vec![1; 32], vec![1; 32]), "the first secret stays");
}

/// What works once stays spent: of ten concurrent spenders exactly one wins, and a later one
/// changes nothing; another key is its own.
pub async fn a_key_is_spent_once(accounts: Arc<dyn AccountStore>) {
    let until = chrono::Utc::now() + chrono::Duration::hours(1);
    let spenders = (0..10).map(|_| {
        let accounts = accounts.clone();
        tokio::spawn(async move { accounts.spend_once("report-ticket:abc", until).await.unwrap() })
    });
    let mut won = 0;
    for spender in spenders {
        won += usize::from(spender.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one spends it");
    assert!(!accounts.spend_once("report-ticket:abc", until).await.unwrap(), "spent stays spent");
    assert!(accounts.spend_once("report-ticket:def", until).await.unwrap(), "another key is its own");
}
