//! The ports: what the use cases need from the outside world. Adapters implement them (SQLite,
//! local files and the outbox here; DynamoDB, S3 and SES on AWS). The use cases know no adapter.
//!
//! The store is seen through one small port per capability ([`ReportStore`], [`IncidentStore`],
//! [`AuditStore`], [`ObligationStore`], [`PolicyStore`], [`AccountStore`], [`NoticeStore`],
//! [`PeopleStore`]);
//! each adapter keeps them all in one database, which [`Store`] names. Each file holds a port
//! and the records it exchanges. [`ImportFiles`] is the storage that large import files reach
//! directly on AWS.

mod accounts;
mod attachments;
mod audit;
mod clock;
mod error;
mod imports;
mod incidents;
mod mail;
mod notices;
mod obligations;
mod paging;
mod people;
mod policy;
mod reports;
mod store;

pub use accounts::{Account, AccountStore, AccountToken, SESSION_IDLE, SESSION_LIFETIME, Session, TokenPurpose};
pub use attachments::{AttachmentStore, SignedUpload};
pub use audit::{AuditStore, ChainAppend};
pub use clock::{Clock, SystemClock};
pub use error::{StoreError, StoreResult};
pub use imports::{ImportClaim, ImportFiles, ImportOutcome};
pub use incidents::{AlertKey, AlertKeyWrite, IncidentCommit, IncidentStore, sequence_name};
pub use mail::{DELIVERY_TAG, Email, InboundMailbox, MailEventReport, Mailer, OutboxReader, SentLookup};
pub use notices::{Campaign, CampaignWrite, DeliveryPage, DeliveryRow, NoticeStore};
pub use obligations::{
    Deliveries, Delivery, DeliveryUpdate, ObligationRow, ObligationState, ObligationStore, ObligationWrite,
    ScheduledObligation, board_key,
};
pub use paging::PageRequest;
pub use people::{PeopleChange, PeoplePage, PeopleStore, Told, ToldBy, ToldCounts};
pub use policy::{PolicyStore, RegisterCommit};
pub use reports::{EmailArrival, FollowUpDraft, ReportDismissal, ReportDraft, ReportStore, StoredAttachment};
pub use store::Store;
