//! Listings read a page at a time.

/// Where a newest-first page starts: the opaque cursor from the previous page, and its size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub cursor: Option<String>,
    pub limit: u32,
}
