//! Attachment bytes in a private S3 bucket, encrypted at rest, under keys the server generates;
//! the import files browsers upload to the same bucket, and the outcomes of their imports.

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tokio::io::AsyncWriteExt;

use super::s3_events::IMPORT_PREFIX;
use crate::ports::{AttachmentStore, ImportClaim, ImportFiles, ImportOutcome, InboundMailbox, SignedUpload};

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

/// Import files under [`IMPORT_PREFIX`] (whose creation invokes the import function) and their
/// outcomes, as JSON under their own prefix so that writing one invokes nothing.
pub struct S3ImportFiles {
    client: Client,
    bucket: String,
}

const OUTCOME_PREFIX: &str = "import-outcomes/";
/// The claim's metadata (`x-amz-meta-*`), which the upload's signature covers.
const META_INCIDENT: &str = "incident";
const META_ACCOUNT: &str = "account";
const META_FILE_NAME: &str = "file-name";

impl S3ImportFiles {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    async fn get(&self, key: String) -> anyhow::Result<Option<aws_sdk_s3::operation::get_object::GetObjectOutput>> {
        match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(output) => Ok(Some(output)),
            Err(error) if error.code() == Some("NoSuchKey") => Ok(None),
            Err(error) => Err(error).context("S3 GetObject (import)"),
        }
    }
}

/// The claim signed into an upload's metadata; an object without it was not uploaded by ticket.
fn claim_of(metadata: Option<&std::collections::HashMap<String, String>>) -> anyhow::Result<ImportClaim> {
    let field = |name: &str| {
        metadata.and_then(|m| m.get(name)).with_context(|| format!("the import file has no {name} metadata"))
    };
    Ok(ImportClaim {
        incident: field(META_INCIDENT)?
            .parse()
            .map_err(|_| anyhow::anyhow!("the import's incident is not a reference"))?,
        account: field(META_ACCOUNT)?.clone(),
        file_name: percent_decode_str(field(META_FILE_NAME)?).decode_utf8()?.into_owned(),
    })
}

#[async_trait]
impl ImportFiles for S3ImportFiles {
    /// A pre-signed PUT whose signature covers the exact length, the encryption header and the
    /// claim's metadata: a browser can change none of them, so the file names who sent it where.
    async fn sign_upload(
        &self,
        import_id: &str,
        claim: &ImportClaim,
        size_bytes: u64,
        expires_in: Duration,
    ) -> anyhow::Result<SignedUpload> {
        // Metadata travels as headers: the file name is percent-encoded to stay ASCII.
        let file_name = utf8_percent_encode(&claim.file_name, NON_ALPHANUMERIC).to_string();
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(format!("{IMPORT_PREFIX}{import_id}"))
            .content_length(i64::try_from(size_bytes)?)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .metadata(META_INCIDENT, claim.incident.to_string())
            .metadata(META_ACCOUNT, &claim.account)
            .metadata(META_FILE_NAME, file_name)
            .presigned(PresigningConfig::expires_in(expires_in)?)
            .await
            .context("pre-signing an import upload")?;
        Ok(SignedUpload {
            url: presigned.uri().to_owned(),
            headers: presigned.headers().map(|(name, value)| (name.to_owned(), value.to_owned())).collect(),
        })
    }

    async fn fetch(&self, import_id: &str) -> anyhow::Result<Option<(ImportClaim, std::fs::File)>> {
        let Some(mut output) = self.get(format!("{IMPORT_PREFIX}{import_id}")).await? else {
            return Ok(None);
        };
        let claim = claim_of(output.metadata())?;
        let file = tokio::task::spawn_blocking(tempfile::tempfile).await?.context("creating a temporary file")?;
        let mut file = tokio::fs::File::from_std(file);
        while let Some(bytes) = output.body.try_next().await.context("reading an import file")? {
            file.write_all(&bytes).await.context("writing an import file to disk")?;
        }
        file.flush().await?;
        let mut file = file.into_std().await;
        std::io::Seek::rewind(&mut file)?;
        Ok(Some((claim, file)))
    }

    async fn delete(&self, import_id: &str) -> anyhow::Result<()> {
        let key = format!("{IMPORT_PREFIX}{import_id}");
        self.client.delete_object().bucket(&self.bucket).key(key).send().await.context("S3 DeleteObject (import)")?;
        Ok(())
    }

    async fn put_outcome(&self, import_id: &str, outcome: &ImportOutcome) -> anyhow::Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(format!("{OUTCOME_PREFIX}{import_id}.json"))
            .content_type("application/json")
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(serde_json::to_vec(outcome)?))
            .send()
            .await
            .context("S3 PutObject (import outcome)")?;
        Ok(())
    }

    async fn outcome(&self, import_id: &str) -> anyhow::Result<Option<ImportOutcome>> {
        let Some(output) = self.get(format!("{OUTCOME_PREFIX}{import_id}.json")).await? else {
            return Ok(None);
        };
        let bytes = output.body.collect().await.context("reading an import outcome")?.into_bytes();
        Ok(Some(serde_json::from_slice(&bytes).context("an import outcome that is not JSON")?))
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
