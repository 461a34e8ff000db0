//! Paging through newest-first lists. The server's cursors only go forward, so the trail keeps
//! the cursors of the pages already seen to make "Previous page" possible.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, Default)]
pub struct CursorTrail {
    /// The cursor of each page after the first, up to the current one.
    cursors: RwSignal<Vec<String>>,
}

impl CursorTrail {
    /// The cursor of the current page; `None` on the first.
    pub fn current(&self) -> Option<String> {
        self.cursors.read().last().cloned()
    }

    fn page_number(&self) -> usize {
        self.cursors.read().len() + 1
    }
}

#[component]
pub fn Pagination(trail: CursorTrail, next_cursor: Option<String>) -> impl IntoView {
    let cursors = trail.cursors;
    let on_first_page = move || cursors.read().is_empty();
    if cursors.read_untracked().is_empty() && next_cursor.is_none() {
        return None;
    }
    let has_next = next_cursor.is_some();
    let next = move |_| {
        if let Some(cursor) = next_cursor.clone() {
            cursors.update(|c| c.push(cursor));
        }
    };
    Some(view! {
        <nav class="pagination" aria-label="Pages">
            <button type="button" class="button button--secondary" disabled=on_first_page on:click=move |_| cursors.set(Vec::new())>
                "First page"
            </button>
            <button type="button" class="button button--secondary" disabled=on_first_page on:click=move |_| cursors.update(|c| { c.pop(); })>
                "Previous page"
            </button>
            <span class="page-number">{move || format!("Page {}", trail.page_number())}</span>
            <button type="button" class="button button--secondary" disabled=!has_next on:click=next>
                "Next page"
            </button>
        </nav>
    })
}
