//! [`PeopleStore`]: imports are unseen until committed and change nothing when discarded; a
//! person imported again is replaced, not counted twice; the aggregate moves with every write;
//! pages run in id order.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use functions::ports::{PeopleStore, Told, ToldBy, ToldCounts};
use shared::people::{GroupKey, Person};
use shared::reference::{Reference, ReferenceKind};
use shared::workflow::investigation::Jurisdiction;

fn incident(n: u32) -> Reference {
    Reference::new(ReferenceKind::Incident, 2026, n)
}

fn person(id: &str, jurisdiction: &str, elements: &[&str], email: bool) -> Person {
    Person {
        id: id.to_owned(),
        name: Some(format!("Person {id}")),
        email: email.then(|| format!("{}@example.com", id.to_lowercase())),
        postal_address: None,
        jurisdiction: Some(Jurisdiction::parse(jurisdiction).unwrap()),
        language: None,
        data_elements: elements.iter().map(|e| (*e).to_owned()).collect(),
        email_consent: None,
    }
}

fn key(jurisdiction: &str, elements: &[&str], email: bool) -> GroupKey {
    GroupKey {
        jurisdiction: Some(jurisdiction.to_owned()),
        data_elements: elements.iter().map(|e| (*e).to_owned()).collect(),
        email,
        postal: false,
    }
}

fn count(groups: &[shared::people::PeopleGroup], key: &GroupKey) -> u64 {
    groups.iter().find(|g| &g.key == key).map_or(0, |g| g.count)
}

pub async fn imports_are_unseen_until_committed_and_counts_move_with_every_write(people: Arc<dyn PeopleStore>) {
    let (one, other) = (incident(1), incident(2));
    let texans: Vec<Person> = (0..60).map(|n| person(&format!("TX-{n:03}"), "US-TX", &["credentials"], true)).collect();
    people.stage_people(&one, "import-1", &texans[..40]).await.unwrap();
    people.stage_people(&one, "import-1", &texans[40..]).await.unwrap();
    // Staging a chunk again (a retried request) replaces it.
    people.stage_people(&one, "import-1", &texans[40..]).await.unwrap();
    assert!(people.population(&one).await.unwrap().is_empty(), "nothing is seen before the commit");
    assert!(people.people(&one, None, 10).await.unwrap().people.is_empty());

    let change = people.commit_import(&one, "import-1").await.unwrap();
    assert_eq!((change.added, change.updated, change.removed), (60, 0, 0));
    assert_eq!(change.population.total(), 60);
    assert_eq!(people.population(&one).await.unwrap(), change.population);
    assert!(people.population(&other).await.unwrap().is_empty(), "another incident's register is apart");

    // A correction: ten Texans also lost their SSN, five gain a German twin; one line per person.
    let mut correction: Vec<Person> =
        (0..10).map(|n| person(&format!("TX-{n:03}"), "US-TX", &["credentials", "ssn"], true)).collect();
    correction.extend((0..5).map(|n| person(&format!("DE-{n}"), "DE", &["credentials"], false)));
    people.stage_people(&one, "import-2", &correction).await.unwrap();
    let change = people.commit_import(&one, "import-2").await.unwrap();
    assert_eq!((change.added, change.updated), (5, 10));
    let groups = change.population.groups();
    assert_eq!(count(groups, &key("US-TX", &["credentials"], true)), 50);
    assert_eq!(count(groups, &key("US-TX", &["credentials", "ssn"], true)), 10);
    assert_eq!(count(groups, &key("DE", &["credentials"], false)), 5);
    assert_eq!(change.population.total(), 65);

    // A discarded import leaves nothing behind, even when its people are staged again later.
    people.stage_people(&one, "import-3", &[person("XX-1", "FR", &[], true)]).await.unwrap();
    people.discard_import(&one, "import-3").await.unwrap();
    people.stage_people(&one, "import-4", &[]).await.unwrap();
    let change = people.commit_import(&one, "import-4").await.unwrap();
    assert_eq!((change.added, change.updated, change.population.total()), (0, 0, 65));

    let change = people.remove_people(&one, &["TX-000".into(), "DE-4".into(), "nobody".into()]).await.unwrap();
    assert_eq!(change.removed, 2);
    assert_eq!(count(change.population.groups(), &key("US-TX", &["credentials", "ssn"], true)), 9);
    assert_eq!(count(change.population.groups(), &key("DE", &["credentials"], false)), 4);
    assert_eq!(people.population(&one).await.unwrap().total(), 63);
}

pub async fn pages_run_in_id_order_and_end(people: Arc<dyn PeopleStore>) {
    let one = incident(3);
    let everyone: Vec<Person> = (0..57).rev().map(|n| person(&format!("P-{n:03}"), "IE", &[], true)).collect();
    people.stage_people(&one, "import-1", &everyone).await.unwrap();
    people.commit_import(&one, "import-1").await.unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = people.people(&one, after.as_deref(), 20).await.unwrap();
        assert!(page.people.len() <= 20);
        seen.extend(page.people.iter().map(|p| p.person.id.clone()));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (0..57).map(|n| format!("P-{n:03}")).collect();
    assert_eq!(seen, expected);
    let first = people.people(&one, None, 1).await.unwrap();
    assert_eq!(first.people[0].person, person("P-000", "IE", &[], true), "a person reads back as imported");
}

fn told(person: &str, duty: &str, notice_id: u32) -> Told {
    Told {
        person: person.to_owned(),
        duty: duty.to_owned(),
        by: ToldBy::Notice(notice_id),
        at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    }
}

pub async fn people_are_told_once_per_duty_and_a_bounce_or_removal_takes_it_back(people: Arc<dyn PeopleStore>) {
    let one = incident(4);
    let everyone: Vec<Person> = (0..30).map(|n| person(&format!("P-{n:03}"), "DE", &[], true)).collect();
    people.stage_people(&one, "import-1", &everyone).await.unwrap();
    people.commit_import(&one, "import-1").await.unwrap();
    assert!(people.told_counts(&one).await.unwrap().is_empty());

    // Notice 1 tells 28 people for Art. 34 and the policy's customer duty; a retry repeats 10.
    let first: Vec<Told> = (0..28)
        .flat_map(|n| [told(&format!("P-{n:03}"), "EU-GDPR-34", 1), told(&format!("P-{n:03}"), "POLICY-CUSTOMER", 1)])
        .collect();
    people.mark_told(&one, &first).await.unwrap();
    let counts = people.mark_told(&one, &first[..20]).await.unwrap();
    assert_eq!(counts, ToldCounts::from([("EU-GDPR-34".into(), 28), ("POLICY-CUSTOMER".into(), 28)]));
    // Notice 2 reaches the last ten and five already told: each person counts once.
    let second: Vec<Told> = (25..30).map(|n| told(&format!("P-{n:03}"), "EU-GDPR-34", 2)).collect();
    let counts = people.mark_told(&one, &second).await.unwrap();
    assert_eq!(counts["EU-GDPR-34"], 30);
    // A page says what each person was told for; a correction within the scope keeps it (a
    // postal address found), one out of it takes it back: they were told under other facts.
    let found = Person { postal_address: Some("1 Rue Exemple, Paris".into()), ..person("P-000", "DE", &[], true) };
    people.stage_people(&one, "import-2", &[found, person("P-001", "FR", &["credentials"], true)]).await.unwrap();
    let change = people.commit_import(&one, "import-2").await.unwrap();
    assert_eq!((change.updated, change.untold), (2, 1));
    let page = people.people(&one, None, 2).await.unwrap();
    assert_eq!(page.people[0].told, ["EU-GDPR-34", "POLICY-CUSTOMER"]);
    assert_eq!(page.people[1].person.jurisdiction.as_ref().unwrap().as_str(), "FR");
    assert!(page.people[1].told.is_empty(), "{:?}", page.people[1]);
    let counts = people.told_counts(&one).await.unwrap();
    assert_eq!(counts, ToldCounts::from([("EU-GDPR-34".into(), 29), ("POLICY-CUSTOMER".into(), 27)]));
    let last = people.people(&one, Some("P-028"), 1).await.unwrap();
    assert_eq!(last.people[0].told, ["EU-GDPR-34"]);

    // Notice 2's message to P-028 bounced: only what notice 2 told them is taken back.
    let counts = people.unmark_told(&one, "P-028", ToldBy::Notice(2)).await.unwrap();
    assert_eq!(counts["EU-GDPR-34"], 28);
    assert!(people.people(&one, Some("P-027"), 1).await.unwrap().people[0].told.is_empty());
    let counts = people.unmark_told(&one, "P-000", ToldBy::Notice(2)).await.unwrap();
    assert_eq!(counts["EU-GDPR-34"], 28, "P-000 was told by notice 1, which did not bounce");

    // The team records P-028 told by letter (accounting 1); a notice's bounce does not undo it.
    let letter = Told { by: ToldBy::Accounting(1), ..told("P-028", "EU-GDPR-34", 0) };
    assert_eq!(people.mark_told(&one, &[letter]).await.unwrap()["EU-GDPR-34"], 29);
    let counts = people.unmark_told(&one, "P-028", ToldBy::Notice(2)).await.unwrap();
    assert_eq!(counts["EU-GDPR-34"], 29, "the bounce, delivered again, takes back only notice 2's telling");
    let found =
        people.people_by_id(&one, &["P-028".into(), "nobody".into(), "P-001".into(), "P-028".into()]).await.unwrap();
    let found: Vec<(&str, &[String])> = found.iter().map(|l| (l.person.id.as_str(), l.told.as_slice())).collect();
    assert_eq!(found, [("P-001", &[][..]), ("P-028", &["EU-GDPR-34".to_owned()][..])]);

    people.remove_people(&one, &["P-000".into(), "P-001".into()]).await.unwrap();
    assert_eq!(
        people.told_counts(&one).await.unwrap(),
        ToldCounts::from([("EU-GDPR-34".into(), 28), ("POLICY-CUSTOMER".into(), 26)])
    );
    assert!(people.told_counts(&incident(5)).await.unwrap().is_empty(), "another incident's count is apart");
}
