//! Attachment bytes in a private S3 bucket, encrypted at rest, under keys the server generates.

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use crate::ports::{AttachmentStore, InboundMailbox, SignedUpload};

pub struct S3AttachmentStore {
    client: Client,
    bucket: String,
}

const PREFIX: &str = "attachments/";
/// Browser uploads land here until a submitted form claims them; a lifecycle rule expires the rest.
const UPLOAD_PREFIX: &str = "uploads/";

impl S3AttachmentStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    async fn delete_object(&self, key: String) -> anyhow::Result<()> {
        self.client.delete_object().bucket(&self.bucket).key(key).send().await.context("S3 DeleteObject")?;
        Ok(())
    }
}

#[async_trait]
impl AttachmentStore for S3AttachmentStore {
    async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(format!("{PREFIX}{key}"))
            .content_type(content_type)
            .content_disposition("attachment")
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .context("S3 PutObject")?;
        Ok(())
    }

    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let output = match self.client.get_object().bucket(&self.bucket).key(format!("{PREFIX}{key}")).send().await {
            Ok(output) => output,
            Err(error) if error.code() == Some("NoSuchKey") => return Ok(None),
            Err(error) => return Err(error).context("S3 GetObject"),
        };
        let bytes = output.body.collect().await.context("reading an S3 object")?;
        Ok(Some(bytes.to_vec()))
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.delete_object(format!("{PREFIX}{key}")).await
    }

    /// API Gateway (10 MB) and Lambda (6 MB) cap a request below five 10 MB files, so browsers put
    /// each file straight into the bucket.
    fn takes_direct_uploads(&self) -> bool {
        true
    }

    /// A pre-signed PUT: the signature covers the exact length and the encryption header, so the
    /// browser can send neither a larger file nor an unencrypted one.
    async fn sign_upload(
        &self,
        upload_id: &str,
        size_bytes: u64,
        expires_in: Duration,
    ) -> anyhow::Result<SignedUpload> {
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(format!("{UPLOAD_PREFIX}{upload_id}"))
            .content_length(i64::try_from(size_bytes)?)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .presigned(PresigningConfig::expires_in(expires_in)?)
            .await
            .context("pre-signing an S3 upload")?;
        Ok(SignedUpload {
            url: presigned.uri().to_owned(),
            headers: presigned.headers().map(|(name, value)| (name.to_owned(), value.to_owned())).collect(),
        })
    }

    async fn take_upload(&self, upload_id: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let key = format!("{UPLOAD_PREFIX}{upload_id}");
        let output = match self.client.get_object().bucket(&self.bucket).key(&key).send().await {
            Ok(output) => output,
            Err(error) if error.code() == Some("NoSuchKey") => return Ok(None),
            Err(error) => return Err(error).context("S3 GetObject"),
        };
        let bytes = output.body.collect().await.context("reading an upload")?.to_vec();
        // Whatever its fate, an upload is read once; kept files are stored again under their own key.
        self.delete_object(key).await?;
        Ok(Some(bytes))
    }
}

/// The messages SES's receipt rule stored, under `<prefix><SES message id>`.
pub struct S3InboundMailbox {
    client: Client,
    bucket: String,
    prefix: String,
}

impl S3InboundMailbox {
    pub fn new(client: Client, bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into(), prefix: prefix.into() }
    }
}

#[async_trait]
impl InboundMailbox for S3InboundMailbox {
    async fn fetch(&self, message_id: &str) -> anyhow::Result<Option<(Vec<u8>, String)>> {
        let key = format!("{}{message_id}", self.prefix);
        let output = match self.client.get_object().bucket(&self.bucket).key(&key).send().await {
            Ok(output) => output,
            Err(error) if error.code() == Some("NoSuchKey") => return Ok(None),
            Err(error) => return Err(error).context("S3 GetObject (inbound mail)"),
        };
        let bytes = output.body.collect().await.context("reading an inbound message")?;
        Ok(Some((bytes.to_vec(), format!("s3://{}/{key}", self.bucket))))
    }
}
