//! The AWS adapters on their real SDK clients against moto_server: the store conformance suite on
//! DynamoDB, the SES v2 mailer, the S3 attachment store, the whole API in AWS mode, and the
//! functions S3 and SES invoke.

use std::sync::Arc;

use functions::adapters::s3::S3AttachmentStore;
use functions::adapters::ses::SesMailer;
use functions::ports::{AttachmentStore, Email, Mailer, SystemClock};
use tocsin_tests::moto;

mod dynamodb_conformance {
    tocsin_tests::store_conformance_suite!(tocsin_tests::moto::fresh_dynamo());
}

mod api_in_aws_mode;
mod mail_intake;
mod people_import;

/// Customer notice campaigns on DynamoDB with SES v2: what AWS mode runs.
mod campaigns_with_ses {
    use std::sync::Arc;

    use functions::adapters::ses::SesMailer;
    use functions::ports::Mailer;
    use tocsin_tests::campaign::{self, Rig, rig};
    use tocsin_tests::moto;

    async fn ses_rig(per_second: u32) -> Rig {
        let sdk = moto::sdk_config().await;
        let sender = tocsin_tests::test_settings().email.sender;
        let address = sender.split('<').nth(1).unwrap().trim_end_matches('>').to_owned();
        let ses = aws_sdk_sesv2::Client::new(&sdk);
        // The identity may exist from another case: moto's SES is shared by the run.
        let _ = ses.create_email_identity().email_identity(&address).send().await;
        let store = moto::fresh_dynamo().await.store();
        rig(store, per_second, |clock, _| -> Arc<dyn Mailer> {
            Arc::new(SesMailer::new(ses, &sender, None, clock).unwrap())
        })
    }

    #[tokio::test]
    async fn a_thousand_recipients_interrupted_halfway_get_one_message_each() {
        let _turn = moto::turn();
        let rig = ses_rig(1000).await;
        let domain = rig.domain.clone();
        campaign::a_thousand_recipients_interrupted_halfway_get_one_message_each(rig, true).await;
        // What moto itself recorded: one message per address.
        let mut to: Vec<String> = moto::sent_raw_emails()
            .await
            .iter()
            .filter_map(|raw| raw.lines().find(|l| l.starts_with("To: ")).map(|l| l[4..].trim().to_owned()))
            .filter(|address| address.ends_with(&domain))
            .collect();
        let total = to.len();
        to.sort();
        to.dedup();
        assert_eq!((total, to.len()), (1000, 1000), "moto received 1,000 messages to 1,000 addresses");
    }

    #[tokio::test]
    async fn sending_keeps_to_the_rate_and_resumes_where_it_stopped() {
        let _turn = moto::turn();
        campaign::sending_keeps_to_the_rate_and_resumes_where_it_stopped(ses_rig(50).await).await;
    }

    #[tokio::test]
    async fn mail_events_in_any_order_end_the_same_and_suppress_bad_addresses() {
        let _turn = moto::turn();
        campaign::mail_events_in_any_order_end_the_same_and_suppress_bad_addresses(ses_rig(1000).await).await;
    }

    #[tokio::test]
    async fn an_unconfirmed_delivery_fails_rather_than_going_twice() {
        let _turn = moto::turn();
        campaign::an_unconfirmed_delivery_fails_rather_than_going_twice(ses_rig(1000).await).await;
    }
}

fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build())
}

#[tokio::test]
async fn ses_sends_both_parts_to_the_recipients() {
    let sdk = moto::sdk_config().await;
    let sender = format!("{}@example.com", moto::unique("security"));
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    ses.create_email_identity().email_identity(&sender).send().await.unwrap();
    let configuration_set = moto::unique("tocsin-events");
    ses.create_configuration_set().configuration_set_name(&configuration_set).send().await.unwrap();

    let mailer =
        SesMailer::new(ses, &format!("Security <{sender}>"), Some(configuration_set), Arc::new(SystemClock)).unwrap();
    let marker = moto::unique("subject");
    let email = Email {
        to: vec!["ada@example.com".into(), "grace@example.com".into()],
        subject: format!("Receipt {marker}"),
        text: "Your reference: TOC-2026-000001 (text part)".into(),
        html: "<p>Your reference: <strong>TOC-2026-000001</strong> (HTML part)</p>".into(),
        tags: vec![("kind".into(), "receipt".into()), ("report".into(), "TOC-2026-000001".into())],
    };
    let message_id = mailer.send(&email).await.unwrap();
    assert!(!message_id.is_empty());

    let raw = moto::sent_raw_emails().await.into_iter().find(|m| m.contains(&marker)).expect("moto recorded the email");
    let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    let recipients: Vec<_> = parsed.to().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(recipients, ["ada@example.com", "grace@example.com"]);
    assert_eq!(parsed.subject(), Some(format!("Receipt {marker}").as_str()));
    assert!(parsed.body_text(0).unwrap().contains("(text part)"));
    assert!(parsed.body_html(0).unwrap().contains("<strong>TOC-2026-000001</strong>"));
}

#[tokio::test]
async fn s3_keeps_attachments_private_encrypted_and_deletable() {
    let sdk = moto::sdk_config().await;
    let bucket = moto::unique("tocsin-attachments");
    let s3 = s3_client(&sdk);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let store = S3AttachmentStore::new(s3.clone(), &bucket);

    store.put("0192-abc", "image/png", tocsin_tests::PNG_BYTES.to_vec()).await.unwrap();
    assert_eq!(store.get("0192-abc").await.unwrap().as_deref(), Some(tocsin_tests::PNG_BYTES));
    let head = s3.head_object().bucket(&bucket).key("attachments/0192-abc").send().await.unwrap();
    assert_eq!(head.server_side_encryption().map(|e| e.as_str()), Some("AES256"));
    assert_eq!(head.content_type(), Some("image/png"));

    store.delete("0192-abc").await.unwrap();
    assert_eq!(store.get("0192-abc").await.unwrap(), None);
    assert_eq!(store.get("never-stored").await.unwrap(), None);
}
