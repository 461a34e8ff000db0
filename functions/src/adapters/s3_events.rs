//! S3 event notifications as Lambda receives them: the objects created under the import prefix,
//! each named by its import id.

use serde::Deserialize;
use serde_json::Value;

/// Where import files are uploaded, each under its import id; the bucket notifies the import
/// function of objects created here (infra/template.yaml, `AttachmentsBucket`).
pub const IMPORT_PREFIX: &str = "imports/";

#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    event_name: String,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
}

/// One object an event reports created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedObject {
    pub bucket: String,
    /// Decoded: events carry keys URL-encoded, spaces as `+`.
    pub key: String,
}

impl CreatedObject {
    /// The import id, for an object under [`IMPORT_PREFIX`].
    pub fn import_id(&self) -> Option<&str> {
        self.key.strip_prefix(IMPORT_PREFIX).filter(|id| !id.is_empty() && !id.contains('/'))
    }
}

/// The objects an S3 notification reports created. S3's test event, sent when a notification is
/// set up, reports none; anything else that is not a notification is an error.
pub fn parse(event: &Value) -> anyhow::Result<Vec<CreatedObject>> {
    if event.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    let notification = Notification::deserialize(event)?;
    let mut created = Vec::new();
    for record in notification.records {
        if !record.event_name.starts_with("ObjectCreated:") {
            continue;
        }
        let key = record.s3.object.key.replace('+', " ");
        let key = percent_encoding::percent_decode_str(&key).decode_utf8()?.into_owned();
        created.push(CreatedObject { bucket: record.s3.bucket.name, key });
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(event_name: &str, key: &str) -> Value {
        json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "eu-central-1",
            "eventTime": "2026-03-01T10:00:00.000Z",
            "eventName": event_name,
            "userIdentity": {"principalId": "AWS:AROAEXAMPLE"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "people-imports",
                "bucket": {"name": "tocsin-att-1", "arn": "arn:aws:s3:::tocsin-att-1"},
                "object": {"key": key, "size": 120, "eTag": "0123456789abcdef", "sequencer": "0A1B2C3D4E5F678901"}
            }
        })
    }

    #[test]
    fn created_objects_are_read_with_their_keys_decoded() {
        let event = json!({"Records": [
            record("ObjectCreated:Put", "imports/0195f3c2-7d1e-7000-8000-000000000001"),
            record("ObjectCreated:CompleteMultipartUpload", "imports/a+b%C3%A9"),
            record("ObjectRemoved:Delete", "imports/gone"),
        ]});
        let created = parse(&event).unwrap();
        assert_eq!(created.len(), 2, "removals are not imports");
        assert_eq!(created[0].bucket, "tocsin-att-1");
        assert_eq!(created[0].import_id(), Some("0195f3c2-7d1e-7000-8000-000000000001"));
        assert_eq!(created[1].key, "imports/a bé");
    }

    #[test]
    fn only_keys_directly_under_the_prefix_name_an_import() {
        let object = |key: &str| CreatedObject { bucket: "b".into(), key: key.into() };
        assert_eq!(object("uploads/abc").import_id(), None);
        assert_eq!(object("imports/").import_id(), None);
        assert_eq!(object("imports/a/b").import_id(), None);
        assert_eq!(object("imports/abc").import_id(), Some("abc"));
    }

    #[test]
    fn the_test_event_holds_nothing_and_other_shapes_are_errors() {
        let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "tocsin-att-1"});
        assert_eq!(parse(&test_event).unwrap(), Vec::new());
        assert!(parse(&json!({"detail-type": "Scheduled Event"})).is_err());
        assert!(parse(&json!({"Records": [{"eventName": "ObjectCreated:Put"}]})).is_err());
    }
}
