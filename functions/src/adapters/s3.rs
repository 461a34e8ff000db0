//! Attachment bytes in a private S3 bucket, encrypted at rest, under keys the server generates.

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use crate::ports::AttachmentStore;

pub struct S3AttachmentStore {
    client: Client,
    bucket: String,
}

const PREFIX: &str = "attachments/";

impl S3AttachmentStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
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
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(format!("{PREFIX}{key}"))
            .send()
            .await
            .context("S3 DeleteObject")?;
        Ok(())
    }
}
