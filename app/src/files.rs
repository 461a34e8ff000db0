//! The files chosen in a file input, and the limits the browser can check before uploading.
//! The server decides each file's type from its content, so only count and size are checked here.

use leptos::html::Input;
use leptos::prelude::*;
use shared::attachment::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};
use web_sys::File;

const MAX_MEGABYTES: u64 = MAX_ATTACHMENT_BYTES / (1024 * 1024);

/// The hint under every file input, so people know the limits before choosing.
pub fn limits_hint() -> String {
    format!("Up to {MAX_ATTACHMENTS} files, {MAX_MEGABYTES} MB each: {}", shared::attachment::ALLOWED_TYPES_TEXT)
}

/// The hint under a file input that takes one file.
pub fn single_limits_hint() -> String {
    format!("One file, up to {MAX_MEGABYTES} MB: {}", shared::attachment::ALLOWED_TYPES_TEXT)
}

pub fn selected(input: NodeRef<Input>) -> Vec<File> {
    let Some(list) = input.get_untracked().and_then(|input| input.files()) else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.item(i)).collect()
}

/// Empties a file input after its files were sent.
pub fn clear(input: NodeRef<Input>) {
    if let Some(input) = input.get_untracked() {
        input.set_value("");
    }
}

/// What is wrong with the chosen files, if anything, as one message for the file field.
pub fn problem(files: &[File]) -> Option<String> {
    if files.len() > MAX_ATTACHMENTS {
        return Some(format!("Attach at most {MAX_ATTACHMENTS} files (you chose {})", files.len()));
    }
    let too_large: Vec<String> =
        files.iter().filter(|file| file.size() > MAX_ATTACHMENT_BYTES as f64).map(File::name).collect();
    match too_large.as_slice() {
        [] => None,
        [one] => Some(format!("{one} is larger than {MAX_MEGABYTES} MB; attach a smaller file or a screenshot")),
        many => Some(format!("{} are larger than {MAX_MEGABYTES} MB each; attach smaller files", many.join(", "))),
    }
}
