//! `cargo xtask check-architecture` (and the test below, run by `cargo test --workspace`): the
//! module files of `shared/src` and `functions/src` use each other in no circle, `functions`
//! keeps its layers, and no source file outgrows [`MAX_LINES`].
//!
//! A module file is `foo.rs`, `foo/mod.rs`, `lib.rs`, or a binary in `src/bin/`. An edge is a path
//! in a `use` (grouped, `pub use` and globs too) or in code (macro bodies included) that names,
//! through `crate::`, `self::`, `super::` or a child module, another module file of the same crate:
//! the deepest file the path names. Binaries reach their library by its name (`functions::`).
//! `mod x;` declarations are not edges; `#[cfg(test)]` items are skipped.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::Path;

use anyhow::Context;
use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// The layers of `functions/src`: a file in the first module, or under it, may not use the others.
const LAYER_RULES: &[(&str, &[&str])] = &[
    ("service", &["adapters", "http", "startup", "lambda"]),
    ("adapters", &["service", "http", "startup"]),
    ("ports", &["service", "adapters", "http"]),
    ("http", &["adapters"]),
];
/// The crates whose module files are checked for circles, by folder (also each library's name).
const CRATES: [&str; 2] = ["shared", "functions"];
/// The crate [`LAYER_RULES`] applies to.
const LAYERED: &str = "functions";
/// The folders whose `.rs` files must stay within [`MAX_LINES`], `tests/` and `benches/` aside.
const SIZED: [&str; 4] = ["shared", "functions", "app", "xtask"];
const MAX_LINES: usize = 800;

/// Runs the whole check on the workspace at `root`.
pub fn check(root: &Path) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for name in CRATES {
        let graph = Graph::read(&root.join(name).join("src"), name)?;
        report.cycles.extend(graph.cycles());
        if name == LAYERED {
            report.violations.extend(graph.layer_violations());
        }
    }
    for folder in SIZED {
        for file in rust_files(&root.join(folder))? {
            let lines = std::fs::read_to_string(&file)?.lines().count();
            let relative = file.strip_prefix(root)?.to_string_lossy().replace('\\', "/");
            let in_tests = relative.split('/').any(|part| part == "tests" || part == "benches");
            if lines > MAX_LINES && !in_tests {
                report.oversized.push((relative, lines));
            }
        }
    }
    Ok(report)
}

#[derive(Default)]
pub struct Report {
    cycles: Vec<Cycle>,
    violations: Vec<String>,
    oversized: Vec<(String, usize)>,
}

/// Module files that reach each other (a strongly connected component), with the shortest
/// circle through each of them.
struct Cycle {
    krate: String,
    files: Vec<String>,
    circles: BTreeSet<Vec<String>>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.cycles.is_empty() && self.violations.is_empty() && self.oversized.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(f, "Cycles among module files: {}", self.cycles.len())?;
        for cycle in &self.cycles {
            writeln!(f, "  {}/src, {} files: {}", cycle.krate, cycle.files.len(), cycle.files.join(", "))?;
            for circle in &cycle.circles {
                writeln!(f, "    {} -> {}", circle.join(" -> "), circle[0])?;
            }
        }
        writeln!(f, "Layer violations in {LAYERED}/src: {}", self.violations.len())?;
        for violation in &self.violations {
            writeln!(f, "  {violation}")?;
        }
        writeln!(f, "Files over {MAX_LINES} lines: {}", self.oversized.len())?;
        for (file, lines) in &self.oversized {
            writeln!(f, "  {file}: {lines} lines")?;
        }
        Ok(())
    }
}

/// Where a path was used: the line and the path as written.
struct Use {
    line: usize,
    path: String,
}

struct Graph {
    /// The crate's folder, which is also its library's name.
    krate: String,
    /// Module path (`["workflow", "record"]`; `[]` for `lib.rs`) to its file, relative to `src/`.
    modules: BTreeMap<Vec<String>, String>,
    /// File to the files it uses, with the first use of each.
    edges: BTreeMap<String, BTreeMap<String, Use>>,
}

impl Graph {
    fn read(src: &Path, krate: &str) -> anyhow::Result<Graph> {
        let mut parsed = Vec::new();
        let mut test_modules = Vec::new();
        for file in rust_files(src)? {
            let relative = file.strip_prefix(src)?.to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&file)?;
            let ast = syn::parse_file(&text).with_context(|| format!("parsing {}", file.display()))?;
            let module = module_path(&relative);
            let mut paths = Paths { scope: module.clone().unwrap_or_default(), ..Paths::default() };
            paths.visit_file(&ast);
            test_modules.append(&mut paths.test_modules);
            parsed.push((relative, module, paths.found));
        }
        let is_test = |module: &[String]| test_modules.iter().any(|test| module.starts_with(test));
        parsed.retain(|(_, module, _)| !module.as_deref().is_some_and(is_test));
        let modules = parsed.iter().filter_map(|(file, module, _)| Some((module.clone()?, file.clone()))).collect();
        let mut graph = Graph { krate: krate.to_owned(), modules, edges: BTreeMap::new() };
        for (file, module, found) in parsed {
            let mut targets = BTreeMap::new();
            for (scope, segments, line) in found {
                let named = match module {
                    Some(_) => graph.resolve(&scope, &segments),
                    None => (segments.len() > 1 && segments[0] == krate).then(|| segments[1..].to_vec()),
                };
                let Some(target) = named.map(|named| graph.deepest_file(&named)) else { continue };
                if target != file && !targets.contains_key(&target) {
                    let path = segments.join("::").trim_end_matches("::self").to_owned();
                    targets.insert(target, Use { line, path });
                }
            }
            graph.edges.insert(file, targets);
        }
        Ok(graph)
    }

    /// The module path `segments` names from inside `scope`, if it is one of this crate's.
    fn resolve(&self, scope: &[String], segments: &[String]) -> Option<Vec<String>> {
        let (first, rest) = segments.split_first()?;
        if rest.is_empty() {
            return None; // an item in scope, whose `use` is an edge of its own
        }
        let mut base = scope.to_vec();
        match first.as_str() {
            "crate" | "$crate" => return Some(rest.to_vec()),
            "self" => {}
            "super" => {
                base.pop()?;
                let supers = rest.iter().take_while(|s| *s == "super").count();
                for _ in 0..supers {
                    base.pop()?;
                }
                return Some([base, rest[supers..].to_vec()].concat());
            }
            child if self.modules.contains_key(&[scope, &[child.to_owned()][..]].concat()) => {
                return Some([base, segments.to_vec()].concat());
            }
            _ => return None, // another crate, or an item
        }
        Some([base, rest.to_vec()].concat())
    }

    fn deepest_file(&self, module: &[String]) -> String {
        (0..=module.len()).rev().find_map(|n| self.modules.get(&module[..n])).cloned().expect("lib.rs is a module")
    }

    fn layer_violations(&self) -> Vec<String> {
        let module_of: BTreeMap<&String, &Vec<String>> = self.modules.iter().map(|(m, f)| (f, m)).collect();
        let mut found = Vec::new();
        for (from, targets) in &self.edges {
            let Some(from_module) = module_of.get(from) else { continue }; // a binary
            for (to, used) in targets {
                let to_module = module_of[to];
                for (layer, forbidden) in LAYER_RULES {
                    let Some(other) = forbidden.iter().find(|f| to_module.first().is_some_and(|m| m == *f)) else {
                        continue;
                    };
                    if from_module.first().is_some_and(|m| m == layer) {
                        found.push(format!(
                            "{}/src/{from}:{} uses {} ({layer} may not use {other})",
                            self.krate, used.line, used.path
                        ));
                    }
                }
            }
        }
        found
    }

    /// Tarjan's strongly connected components of more than one file.
    fn cycles(&self) -> Vec<Cycle> {
        let mut tarjan = Tarjan { graph: self, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new() };
        let mut components = Vec::new();
        for file in self.edges.keys() {
            if !tarjan.index.contains_key(file.as_str()) {
                tarjan.connect(file, &mut components);
            }
        }
        components
            .into_iter()
            .map(|files| {
                let members: BTreeSet<&str> = files.iter().map(String::as_str).collect();
                let circles = files.iter().map(|file| self.shortest_circle(file, &members)).collect();
                Cycle { krate: self.krate.clone(), files, circles }
            })
            .collect()
    }

    /// The shortest circle from `start` back to it within `members`, starting at its least file.
    fn shortest_circle(&self, start: &str, members: &BTreeSet<&str>) -> Vec<String> {
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(file) = queue.pop_front() {
            for next in self.edges[file].keys().map(String::as_str).filter(|n| members.contains(n)) {
                if next == start {
                    let mut circle = vec![file.to_owned()];
                    while let Some(previous) = came_from.get(circle.last().unwrap().as_str()) {
                        circle.push(previous.to_string());
                    }
                    circle.reverse();
                    let least = circle.iter().enumerate().min_by_key(|(_, f)| *f).map_or(0, |(i, _)| i);
                    circle.rotate_left(least);
                    return circle;
                }
                if next != start && !came_from.contains_key(next) {
                    came_from.insert(next, file);
                    queue.push_back(next);
                }
            }
        }
        unreachable!("{start} is in a strongly connected component")
    }
}

struct Tarjan<'a> {
    graph: &'a Graph,
    index: BTreeMap<&'a str, usize>,
    low: BTreeMap<&'a str, usize>,
    stack: Vec<&'a str>,
}

impl<'a> Tarjan<'a> {
    fn connect(&mut self, file: &'a str, components: &mut Vec<Vec<String>>) {
        let index = self.index.len();
        self.index.insert(file, index);
        self.low.insert(file, index);
        self.stack.push(file);
        for next in self.graph.edges[file].keys().map(String::as_str) {
            if !self.index.contains_key(next) {
                self.connect(next, components);
                self.low.insert(file, self.low[file].min(self.low[next]));
            } else if self.stack.contains(&next) {
                self.low.insert(file, self.low[file].min(self.index[next]));
            }
        }
        if self.low[file] == index {
            let at = self.stack.iter().rposition(|f| *f == file).expect("on the stack");
            let mut component: Vec<String> = self.stack.drain(at..).map(str::to_owned).collect();
            if component.len() > 1 {
                component.sort();
                components.push(component);
            }
        }
    }
}

/// Collects every multi-segment path with the module it is written in, skipping `#[cfg(test)]`.
#[derive(Default)]
struct Paths {
    scope: Vec<String>,
    /// (module the path is written in, its segments, its line)
    found: Vec<(Vec<String>, Vec<String>, usize)>,
    /// `#[cfg(test)] mod x;` declarations: their files are tests.
    test_modules: Vec<Vec<String>>,
}

impl Paths {
    fn record(&mut self, segments: Vec<String>, line: usize) {
        self.found.push((self.scope.clone(), segments, line));
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        let leaf = |prefix: &[String], ident: &syn::Ident| ([prefix, &[ident.to_string()]].concat(), line(ident));
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                let (segments, line) = leaf(prefix, &name.ident);
                self.record(segments, line);
            }
            syn::UseTree::Rename(rename) => {
                let (segments, line) = leaf(prefix, &rename.ident);
                self.record(segments, line);
            }
            syn::UseTree::Glob(glob) => {
                self.record([prefix.as_slice(), &["*".to_owned()]].concat(), glob.star_token.spans[0].start().line);
            }
            syn::UseTree::Group(group) => group.items.iter().for_each(|tree| self.use_tree(prefix, tree)),
        }
    }

    /// Paths in a macro's tokens (`format!("{}", crate::x::y())`), which syn leaves unparsed.
    fn tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut at = 0;
        while at < tokens.len() {
            match &tokens[at] {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(first) => {
                    let dollar = at > 0 && matches!(&tokens[at - 1], TokenTree::Punct(p) if p.as_char() == '$');
                    let mut segments = vec![if dollar { format!("${first}") } else { first.to_string() }];
                    while let [TokenTree::Punct(a), TokenTree::Punct(b), TokenTree::Ident(next), ..] = &tokens[at + 1..]
                        && a.as_char() == ':'
                        && a.spacing() == Spacing::Joint
                        && b.as_char() == ':'
                    {
                        segments.push(next.to_string());
                        at += 3;
                    }
                    self.record(segments, line(first));
                }
                TokenTree::Punct(_) | TokenTree::Literal(_) => {}
            }
            at += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !is_test_only(item_attributes(item)) {
            visit::visit_item(self, item);
        } else if let syn::Item::Mod(module) = item
            && module.content.is_none()
        {
            self.test_modules.push([self.scope.clone(), vec![module.ident.to_string()]].concat());
        }
    }

    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        if module.content.is_some() {
            self.scope.push(module.ident.to_string());
            visit::visit_item_mod(self, module);
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if item.leading_colon.is_none() {
            self.use_tree(&mut Vec::new(), &item.tree);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.record(segments, line(&path.segments[0].ident));
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit::visit_macro(self, mac);
        self.tokens(mac.tokens.clone());
    }

    /// `pub(in crate::x)` limits who sees an item; it uses nothing.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
}

fn is_test_only(attributes: &[syn::Attribute]) -> bool {
    attributes.iter().any(|attribute| {
        attribute.path().is_ident("cfg")
            && matches!(&attribute.meta, syn::Meta::List(list) if list.tokens.to_string() == "test")
    })
}

fn item_attributes(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

fn line(ident: &proc_macro2::Ident) -> usize {
    ident.span().start().line
}

/// `workflow/record.rs` and `workflow/record/mod.rs` are `["workflow", "record"]`, `lib.rs` is
/// `[]`; a binary in `bin/` is none of the library's modules.
fn module_path(relative: &str) -> Option<Vec<String>> {
    if relative.starts_with("bin/") {
        return None;
    }
    let mut parts: Vec<String> = relative.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
    if relative == "lib.rs" || relative == "main.rs" || parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    Some(parts)
}

/// Every `.rs` file under `folder`, sorted, leaving out `target/`.
fn rust_files(folder: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).with_context(|| format!("reading {}", folder.display()))? {
            let path = entry?.path();
            if path.is_dir() && !path.ends_with("target") {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole check on this workspace: no circle, no layer crossed, no oversized file.
    #[test]
    fn the_module_files_form_no_circle_keep_their_layers_and_stay_small() {
        let report = check(&crate::workspace_root()).unwrap();
        assert!(report.is_clean(), "cargo xtask check-architecture:\n{report}");
    }

    #[test]
    fn a_parent_and_a_child_that_use_each_other_are_a_circle() {
        let src = std::env::temp_dir().join(format!("xtask-architecture-{}", std::process::id()));
        let files = [
            ("lib.rs", "pub mod a;\npub mod c;\n#[cfg(test)]\nmod tests;\n"),
            ("a/mod.rs", "mod b;\npub use b::{B, self as child};\npub struct A;\n"),
            ("a/b.rs", "use super::A;\npub struct B;\n#[cfg(test)]\nmod tests { use crate::c::C; }\n"),
            ("c.rs", "pub fn f() { let _ = format!(\"{:?}\", crate::a::A); }\npub struct C;\n"),
            ("tests.rs", "use crate::c::C;\n"),
            ("bin/tool.rs", "use library::a::b::B;\nfn main() {}\n"),
        ];
        for (file, text) in files {
            std::fs::create_dir_all(src.join(file).parent().unwrap()).unwrap();
            std::fs::write(src.join(file), text).unwrap();
        }
        let graph = Graph::read(&src, "library").unwrap();
        std::fs::remove_dir_all(&src).unwrap();

        assert!(!graph.modules.values().any(|file| file == "tests.rs"));
        let targets = |file: &str| graph.edges[file].keys().cloned().collect::<Vec<_>>();
        assert_eq!(targets("a/mod.rs"), ["a/b.rs"]);
        assert_eq!(targets("a/b.rs"), ["a/mod.rs"]);
        assert_eq!(targets("c.rs"), ["a/mod.rs"]);
        assert_eq!(targets("bin/tool.rs"), ["a/b.rs"]);
        let cycles = graph.cycles();
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].files, ["a/b.rs", "a/mod.rs"]);
    }
}
