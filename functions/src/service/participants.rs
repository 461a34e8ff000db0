//! Participants named before accounts decided access: each is linked to the one active account of
//! that name, on the incident's audit trail; the rest stay unlinked, get no access by it, and the
//! incident page says who they are.

use shared::api::MAX_PAGE_SIZE;
use shared::record::IncidentEvent;

use super::access::Actor;
use super::commit::Effects;
use super::error::ServiceError;
use super::services::Services;
use crate::ports::PageRequest;

/// Who acts on the trail when linking.
const TOCSIN: &str = "Tocsin";

/// What a linking pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParticipantLinks {
    pub linked: usize,
    /// Names matching no account, or more than one.
    pub unlinked: usize,
}

impl Services {
    /// Links every incident's unlinked participants that exactly one active account is named
    /// after; two accounts of one name link neither (the name could be a newcomer's copy).
    pub async fn link_participants(&self) -> Result<ParticipantLinks, ServiceError> {
        let team: Vec<_> = self.accounts.accounts().await?.into_iter().filter(|a| !a.disabled).collect();
        let mut links = ParticipantLinks::default();
        let mut cursor = None;
        loop {
            let page = self.incidents.list_incidents(PageRequest { cursor, limit: MAX_PAGE_SIZE }).await?;
            for incident in &page.items {
                let Some((record, _)) = self.incidents.incident(incident.reference).await? else { continue };
                let mut events = Vec::new();
                for person in record.unlinked_participants() {
                    match team.iter().filter(|a| a.name == person).collect::<Vec<_>>().as_slice() {
                        [account] => {
                            events.push(IncidentEvent::ParticipantLinked {
                                person: person.to_owned(),
                                account: account.id.clone(),
                            });
                        }
                        _ => links.unlinked += 1,
                    }
                }
                if events.is_empty() {
                    continue;
                }
                links.linked += events.len();
                let tocsin = Actor::Tocsin(TOCSIN);
                self.change_incident(incident.reference, None, tocsin, |_, _| Ok(events), Effects::default()).await?;
            }
            let Some(next) = page.next_cursor else { break };
            cursor = Some(next);
        }
        Ok(links)
    }
}
