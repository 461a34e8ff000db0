//! The AWS store's accounts, sessions, emailed tokens, sign-in failure counters and secrets (keys
//! in `docs/dynamodb.md`). Items that outlive their use carry `expires`, epoch seconds, for TTL.

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Duration, Utc};

use super::attributes::{Attributes, Item, corrupt, n, s, timestamp};
use super::keys::{
    ACCOUNTS_PK, account_sk, email_pk, failures_pk, key, secret_pk, session_pk, spent_pk, token_pk, window_sk,
};
use super::store::{DynamoStore, if_condition_held, put, store_error};
use crate::ports::{Account, AccountStore, AccountToken, SESSION_LIFETIME, Session, StoreError, StoreResult};

const NEW: &str = "attribute_not_exists(PK)";

/// The form DynamoDB's TTL reads: epoch seconds.
fn expires(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp())
}

fn account_from_item(item: &Item) -> StoreResult<(Account, u64)> {
    let account = serde_json::from_str(item.text("record")?).map_err(|_| corrupt("record"))?;
    Ok((account, item.number("version")?))
}

/// Rewords a failed condition for the user; other errors pass through.
fn conflict(message: String) -> impl FnOnce(StoreError) -> StoreError {
    move |error| match error {
        StoreError::Conflict(_) => StoreError::Conflict(message),
        other => other,
    }
}

impl DynamoStore {
    /// Puts an item that must not exist yet; if it does, a conflict.
    async fn put_new(&self, item: Item) -> StoreResult<()> {
        let request = self.client.put_item().table_name(&self.table).set_item(Some(item)).condition_expression(NEW);
        request.send().await.map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn insert_account(&self, account: Account) -> StoreResult<()> {
        let mut item = key(ACCOUNTS_PK.to_owned(), &account_sk(&account.id));
        item.insert("record".into(), s(serde_json::to_string(&account).context("encoding an account")?));
        item.insert("email".into(), s(&account.email));
        item.insert("version".into(), n(1));
        let mut email = key(email_pk(&account.email), "EMAIL");
        email.insert("account".into(), s(&account.id));
        let writes = vec![put(&self.table, item, Some(NEW))?, put(&self.table, email, Some(NEW))?];
        self.transact(writes).await.map_err(conflict(format!("{} has an account already", account.email)))
    }

    async fn account(&self, id: &str) -> StoreResult<Option<(Account, u64)>> {
        self.get(ACCOUNTS_PK.to_owned(), &account_sk(id)).await?.as_ref().map(account_from_item).transpose()
    }

    async fn account_by_email(&self, email: &str) -> StoreResult<Option<(Account, u64)>> {
        let Some(item) = self.get(email_pk(email), "EMAIL").await? else { return Ok(None) };
        self.account(item.text("account")?).await
    }

    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        let items = self.query_all(None, "PK", ACCOUNTS_PK.to_owned()).await?;
        let mut accounts =
            items.iter().map(|i| account_from_item(i).map(|(account, _)| account)).collect::<Result<Vec<_>, _>>()?;
        accounts.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(accounts)
    }

    async fn update_account(&self, account: Account, version: u64) -> StoreResult<()> {
        let record = serde_json::to_string(&account).context("encoding an account")?;
        self.update_item(ACCOUNTS_PK.to_owned(), &account_sk(&account.id))
            .update_expression("SET #record = :record ADD version :one")
            // The email is fixed at insert; requiring it keeps the `EMAIL#` item pointing here.
            .condition_expression("version = :seen AND email = :email")
            .expression_attribute_names("#record", "record")
            .expression_attribute_values(":record", s(record))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":seen", n(version))
            .expression_attribute_values(":email", s(&account.email))
            .send()
            .await
            .map_err(store_error)
            .map_err(conflict(format!("{} was changed meanwhile; try again", account.email)))?;
        Ok(())
    }

    async fn insert_token(&self, token: AccountToken) -> StoreResult<()> {
        let mut item = key(token_pk(&token.hash), "TOKEN");
        item.insert("purpose".into(), s(serde_json::to_string(&token.purpose).context("encoding a token purpose")?));
        item.insert("expires_at".into(), s(timestamp(token.expires_at)));
        item.insert("expires".into(), expires(token.expires_at));
        self.put_new(item).await
    }

    async fn token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<AccountToken>> {
        let Some(item) = self.get(token_pk(hash), "TOKEN").await? else { return Ok(None) };
        let expires_at = item.time("expires_at")?;
        if item.contains_key("used_at") || expires_at <= now {
            return Ok(None);
        }
        let purpose = serde_json::from_str(item.text("purpose")?).map_err(|_| corrupt("purpose"))?;
        Ok(Some(AccountToken { hash: hash.to_owned(), purpose, expires_at }))
    }

    async fn use_token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        self.update_item(token_pk(hash), "TOKEN")
            .update_expression("SET used_at = :now")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(used_at) AND expires_at > :now")
            .expression_attribute_values(":now", s(timestamp(now)))
            .send()
            .await
            .map_err(store_error)
            .map_err(conflict("This link was used already or has expired".to_owned()))?;
        Ok(())
    }

    async fn insert_session(&self, session: Session) -> StoreResult<()> {
        let mut item = key(session_pk(&session.hash), "SESSION");
        item.extend([
            ("account".to_owned(), s(session.account)),
            ("created_at".to_owned(), s(timestamp(session.created_at))),
            ("last_seen_at".to_owned(), s(timestamp(session.last_seen_at))),
            ("expires".to_owned(), expires(session.created_at + SESSION_LIFETIME)),
        ]);
        self.put_new(item).await
    }

    async fn session(&self, hash: &str) -> StoreResult<Option<Session>> {
        let Some(item) = self.get(session_pk(hash), "SESSION").await? else { return Ok(None) };
        Ok(Some(Session {
            hash: hash.to_owned(),
            account: item.text("account")?.to_owned(),
            created_at: item.time("created_at")?,
            last_seen_at: item.time("last_seen_at")?,
        }))
    }

    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let touched = self
            .update_item(session_pk(hash), "SESSION")
            .update_expression("SET last_seen_at = :at")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":at", s(timestamp(at)))
            .send()
            .await
            .map_err(store_error);
        // A session ended meanwhile stays ended rather than coming back as a bare item.
        if_condition_held(touched)?;
        Ok(())
    }

    async fn delete_session(&self, hash: &str) -> StoreResult<()> {
        let request = self.client.delete_item().table_name(&self.table).set_key(Some(key(session_pk(hash), "SESSION")));
        request.send().await.map_err(store_error)?;
        Ok(())
    }

    async fn spend_once(&self, key_name: &str, expires_at: DateTime<Utc>) -> StoreResult<bool> {
        let mut item = key(spent_pk(key_name), "SPENT");
        item.insert("expires".into(), expires(expires_at));
        let request = self.client.put_item().table_name(&self.table).set_item(Some(item)).condition_expression(NEW);
        Ok(if_condition_held(request.send().await.map_err(store_error))?.is_some())
    }

    async fn add_failure(&self, key_name: &str, window: DateTime<Utc>) -> StoreResult<u32> {
        let output = self
            .update_item(failures_pk(key_name), &window_sk(window))
            // Windows are minutes long; a day later nothing reads them.
            .update_expression("SET expires = :expires ADD #count :one")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":expires", expires(window + Duration::days(1)))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(store_error)?;
        output.attributes().cloned().unwrap_or_default().number("count")
    }

    async fn failures(&self, key_name: &str, window: DateTime<Utc>) -> StoreResult<u32> {
        let item = self.get(failures_pk(key_name), &window_sk(window)).await?;
        item.map_or(Ok(0), |item| item.number("count"))
    }

    async fn secret(&self, name: &str, candidate: Vec<u8>) -> StoreResult<Vec<u8>> {
        let mut item = key(secret_pk(name), "SECRET");
        item.insert("secret".into(), AttributeValue::B(Blob::new(candidate)));
        // Another instance may have stored one first: theirs is the secret.
        if_condition_held(self.put_new(item).await)?;
        let item = self.get(secret_pk(name), "SECRET").await?.ok_or_else(|| corrupt("secret"))?;
        item.get("secret").and_then(|v| v.as_b().ok()).map(|b| b.as_ref().to_vec()).ok_or_else(|| corrupt("secret"))
    }
}
