use super::*;

fn read(text: &str) -> (Vec<Person>, Vec<LineError>) {
    let mut people = Vec::new();
    let mut errors = Vec::new();
    match PeopleCsv::open(text.as_bytes()) {
        Ok(reader) => {
            for line in reader {
                match line {
                    Ok(person) => people.push(person),
                    Err(error) => errors.push(error),
                }
            }
        }
        Err(error) => errors.push(error),
    }
    (people, errors)
}

#[test]
fn reads_every_column_under_its_names_and_aliases() {
    let (people, errors) = read(
        "Account,Full name,Email,Address,Country,State,Lang,Data elements,Consent\n\
         A-1,Ann Lee,ANN@example.com,\"1 Main St, Sacramento, CA 95814\",US,CA,en-US,\"SSN; health records\",yes\n\
         A-2,,,,DE,,de,credentials,\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(people[0].id, "A-1");
    assert_eq!(people[0].email.as_deref(), Some("ann@example.com"));
    assert_eq!(people[0].jurisdiction.as_ref().unwrap().as_str(), "US-CA");
    assert_eq!(people[0].language.as_deref(), Some("en-us"));
    assert_eq!(people[0].data_elements, ["health_information", "ssn"]);
    assert_eq!(people[0].email_consent, Some(true));
    assert_eq!(people[1].jurisdiction.as_ref().unwrap().as_str(), "DE");
    assert_eq!(
        people[1].group(),
        GroupKey {
            jurisdiction: Some("DE".into()),
            data_elements: vec!["credentials".into()],
            email: false,
            postal: false
        }
    );
}

#[test]
fn each_bad_line_is_named_and_the_good_ones_still_read() {
    let (people, errors) = read(
        "id,email,jurisdiction,data_elements\n\
         1,a@example.com,US-CA,ssn\n\
         2,not-an-address,US-CA,\n\
         3,,XX,\n\
         4,,US-ZZ,\n\
         5,,DE,horoscope\n\
         1,,DE,\n\
         ,,DE,\n",
    );
    assert_eq!(people.len(), 1);
    let lines: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(lines.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [3, 4, 5, 6, 7, 8]);
    assert!(lines[0].1.contains("not an email address"));
    assert!(lines[1].1.contains("\"XX\" is not an ISO 3166"));
    assert!(lines[2].1.contains("\"US-ZZ\" is not an ISO 3166"));
    assert!(lines[3].1.contains("\"horoscope\" is not a data element"));
    assert_eq!(lines[4].1, "\"1\" is already listed on line 2");
    assert!(lines[5].1.contains("Give the person's id"));
}

#[test]
fn a_file_that_is_not_utf8_is_refused_at_its_line() {
    let mut bytes = b"id,name\n1,Ann\n2,".to_vec();
    bytes.extend_from_slice(&[0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]); // "Müller" in Latin-1
    bytes.extend_from_slice(b"\n");
    let mut errors = Vec::new();
    for line in PeopleCsv::open(bytes.as_slice()).unwrap() {
        if let Err(e) = line {
            errors.push(e);
        }
    }
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 3);
    assert!(errors[0].message.contains("not UTF-8"), "{}", errors[0].message);
}

#[test]
fn a_header_without_an_id_or_with_an_unknown_column_is_refused() {
    let no_id = PeopleCsv::open("email,name\n".as_bytes()).err().unwrap();
    assert_eq!(no_id.line, 1);
    assert!(no_id.message.contains("\"id\""));
    let unknown = PeopleCsv::open("id,shoe_size\n".as_bytes()).err().unwrap();
    assert!(unknown.message.contains("\"shoe_size\" is not a column"));
}

#[test]
fn group_keys_survive_their_string_form() {
    let key = GroupKey {
        jurisdiction: Some("US-CA".into()),
        data_elements: vec!["health_information".into(), "ssn".into()],
        email: true,
        postal: false,
    };
    assert_eq!(key.encode(), "US-CA|health_information,ssn|e");
    assert_eq!(GroupKey::decode(&key.encode()), Some(key));
    let bare = GroupKey { jurisdiction: None, data_elements: vec![], email: false, postal: true };
    assert_eq!(GroupKey::decode(&bare.encode()), Some(bare));
    assert_eq!(GroupKey::decode("a|b|x"), None);
}

#[test]
fn counts_follow_place_and_data_and_unknown_data_errs_toward_counting() {
    let group = |j: &str, elements: &[&str], count| {
        (
            GroupKey {
                jurisdiction: Some(j.into()),
                data_elements: elements.iter().map(|e| (*e).to_owned()).collect(),
                email: true,
                postal: false,
            },
            count,
        )
    };
    let population = Population::from_counts([
        group("US-TX", &["credentials"], 290),
        group("US-TX", &["ssn", "credentials"], 10),
        group("US-CA", &[], 5),
        group("DE", &["credentials"], 600),
    ]);
    assert_eq!(population.total(), 905);
    let texas = ["US-TX".to_owned()];
    assert_eq!(population.count_in(&texas, &[]), 300);
    assert_eq!(population.count_in(&texas, &["ssn".into(), "health_information".into()]), 10);
    let us = ["US".to_owned()];
    assert_eq!(population.count_in(&us, &["ssn".into()]), 15, "the five with no elements recorded count");
    assert_eq!(population.by_jurisdiction(&["EU".into()], &[]), BTreeMap::from([("DE".to_owned(), 600)]));
}
