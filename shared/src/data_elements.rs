//! The one vocabulary of data elements (`rules/data_elements.toml`): what the deadline rules name,
//! what the dashboard offers, and what drafts and exports print.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// The built-in vocabulary, kept with the deadline rules.
pub const BUILT_IN_DATA_ELEMENTS: &str = include_str!("../rules/data_elements.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataElement {
    /// Never changes once records and rules use it.
    pub id: String,
    pub label: String,
    /// What falls under it, in plain words.
    pub examples: String,
    /// Other ways people write it, read as this element.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Whether it is about people (business secrets are not).
    #[serde(default = "about_people")]
    pub personal: bool,
    /// A law that lists the element, where one does.
    pub defined_in: Option<String>,
}

fn about_people() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabularyFile {
    #[allow(dead_code, reason = "read so that a file without it is refused")]
    version: String,
    #[serde(rename = "element")]
    elements: Vec<DataElement>,
}

static VOCABULARY: LazyLock<Vec<DataElement>> = LazyLock::new(|| {
    let file: VocabularyFile = toml::from_str(BUILT_IN_DATA_ELEMENTS).expect("the built-in vocabulary parses (tested)");
    file.elements
});

/// Every element, in the order the dashboard offers them.
pub fn vocabulary() -> &'static [DataElement] {
    &VOCABULARY
}

/// The element with this id.
pub fn element(id: &str) -> Option<&'static DataElement> {
    vocabulary().iter().find(|e| e.id == id)
}

/// Every element by its id and by each alias read as a slug (an import reads one per cell).
static BY_SLUG: LazyLock<HashMap<String, &'static DataElement>> = LazyLock::new(|| {
    let mut named = HashMap::new();
    for element in vocabulary() {
        for alias in &element.aliases {
            named.entry(slugify(alias)).or_insert(element);
        }
    }
    // An id always names its own element, whatever another element's alias says.
    named.extend(vocabulary().iter().map(|e| (e.id.clone(), e)));
    named
});

/// The element a slug names, by its id or one of its aliases, each read as a slug.
pub fn element_named(slug: &str) -> Option<&'static DataElement> {
    BY_SLUG.get(slug).copied()
}

/// Lower-case words joined by `_`: "Health records" and "health_records" are one slug.
pub fn slugify(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_vocabulary_is_whole_and_no_name_means_two_elements() {
        let elements = vocabulary();
        assert!(elements.len() >= 20, "{}", elements.len());
        let mut names = HashSet::new();
        for element in elements {
            assert_eq!(slugify(&element.id), element.id, "ids are slugs");
            assert!(!element.label.is_empty() && !element.examples.is_empty(), "{}", element.id);
            for name in std::iter::once(element.id.clone()).chain(element.aliases.iter().map(|a| slugify(a))) {
                assert!(names.insert(name.clone()), "{name} names two elements");
            }
        }
        assert_eq!(element_named("health_records").map(|e| e.id.as_str()), Some("health_information"));
        assert_eq!(element_named("payroll_data"), None);
        assert!(!element("business_critical").unwrap().personal && element("ssn").unwrap().personal);
    }
}
