//! The documentation in `docs/` is generated from the schemas and the HCL
//! in `examples/`; this test fails when it is out of date.
//! `scripts/docs` (UPDATE_DOCS=1) rewrites it.

use std::path::Path;

#[test]
fn docs_match_the_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let pages = tfplugin::docs::render(
        &swarm_provider::SwarmProvider::new(),
        "swarm",
        &root.join("examples"),
    );
    let docs = root.join("docs");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for page in pages {
        let path = docs.join(&page.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(page.content.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &page.content).unwrap();
        } else {
            stale.push(page.path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "docs out of date (run scripts/docs): {stale:?}"
    );
}
